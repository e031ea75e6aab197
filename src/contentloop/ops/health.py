"""A small HTTP endpoint for probes and scraping: `/healthz` (JSON) and `/metrics`.

Standard library server in a daemon thread: no event loop to share with the consumer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import Metrics


class HealthServer:
    """Serve `status()` at /healthz (503 when its "ok" is false) and metrics at /metrics."""

    def __init__(self, status: Callable[[], dict[str, Any]], metrics: Metrics,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.status = status
        self.metrics = metrics
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path = self.path.split("?", 1)[0]
                if path in ("/healthz", "/health"):
                    try:
                        body = outer.status()
                    except Exception as exc:  # a probe reports, never crashes
                        body = {"ok": False, "error": type(exc).__name__}
                    data = json.dumps(body, default=str).encode()
                    self._send(200 if body.get("ok") else 503, "application/json", data)
                elif path == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, outer.metrics.exposition())
                else:
                    self._send(404, "text/plain", b"not found\n")

            def _send(self, code: int, ctype: str, data: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="contentloop-health", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
