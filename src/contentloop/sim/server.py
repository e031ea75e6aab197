"""Run the simulator on loopback: in a daemon thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Callable

import uvicorn

from contentloop.domain.clock import SystemClock

from .app import create_app
from .config import SimConfig
from .world import SimWorld


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Small responses go out at once: without this, Nagle's algorithm on the server and
    # delayed ACKs on the client add ~40 ms to every call (accepted sockets inherit it).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(128)
    return sock


def serve_in_thread(
    world: SimWorld, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Start uvicorn in a daemon thread; returns (base_url, stop). The socket is bound
    before returning, so the URL is usable at once."""
    sock = _bind(host, port)
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(world), log_level="warning", access_log=False, lifespan="off",
        timeout_keep_alive=5, timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"ig-sim:{actual_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError(f"simulator did not start on {host}:{actual_port}")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://{host}:{actual_port}", stop


def _mask(token: str) -> str:
    return token[:5] + "…" + token[-3:] if len(token) > 10 else "***"


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 0,
    strict_tokens: bool = False,
    *,
    token_file: str | None = None,
    faults: str | None = None,
) -> None:
    """Foreground server for `contentloop sim serve` (wall clock, one sandbox account).

    The sandbox token is written to `token_file` (mode 0600) when given; only a masked
    form is printed.
    """
    world = SimWorld(SystemClock(), SimConfig(seed=seed, strict_tokens=strict_tokens))
    if faults:
        from .faultspec import apply_fault_spec

        apply_fault_spec(world, faults)
    ig, token = world.create_account("sim_creator")
    if token_file:
        import os

        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
    print(f"Instagram Graph API simulator on http://{host}:{port}", file=sys.stderr)
    print(f"sandbox account ig_user_id={ig} token={_mask(token)}"
          + (f" (full token in {token_file})" if token_file else ""), file=sys.stderr)
    if not strict_tokens:
        print("standalone mode: any access token creates a sandbox account", file=sys.stderr)
    config = uvicorn.Config(create_app(world), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[_bind(host, port)])
