"""`contentloop run` (scheduler + in-process consumer) and `contentloop worker` (consumer)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from ..domain import ConfigError, ContentloopError
from .common import ConfigOpt, console, fail, settings_or_exit

Concurrency = Annotated[int, typer.Option("--concurrency", "-n", min=0, max=64,
                                          help="Consumer threads in this process.")]
HealthPort = Annotated[int | None, typer.Option(
    "--health-port", help="Serve /healthz and /metrics on this loopback port (0: any free).")]
HealthHost = Annotated[str, typer.Option("--health-host", help="Interface of the health endpoint.")]
ClockOpt = Annotated[str, typer.Option(
    "--clock", help="system, or scaled:START_ISO@EPOCHxFACTOR (tests, benchmarks).")]
HeartbeatTTL = Annotated[float, typer.Option(
    "--heartbeat-ttl", min=0.5, help="Seconds of silence after which a worker counts as dead "
    "and its claims are recovered.")]
Horizon = Annotated[int, typer.Option("--horizon-days", min=1, max=60,
                                      help="Days of calendar the planner keeps filled.")]


def _options(concurrency: int, health_port: int | None, health_host: str, horizon: int,
             heartbeat_ttl: float, **kw: object):  # type: ignore[no-untyped-def]
    from ..orchestrator.runner import RunOptions

    base = RunOptions()
    context = replace(base.context, horizon_days=horizon, heartbeat_ttl_s=heartbeat_ttl,
                      heartbeat_s=min(base.context.heartbeat_s, heartbeat_ttl / 3))
    return replace(base, concurrency=concurrency, health_port=health_port,
                   health_host=health_host, context=context, **kw)  # type: ignore[arg-type]


def _launch(config, options, clock_spec: str, role: str) -> None:  # type: ignore[no-untyped-def]
    from ..logs import configure
    from ..orchestrator.runner import launch
    from ..orchestrator.timescale import parse_clock

    settings = settings_or_exit(config)
    configure(settings.log_level, json_console=True)
    try:
        clock = parse_clock(clock_spec)
        launch(settings, options, clock=clock, role=role,
               on_ready=lambda p: console.print(
                   f"{role} {p.ctx.name} ready" + (f"; health {p.health.url}/healthz"
                                                   if p.health else ""), highlight=False))
    except ConfigError as exc:
        fail(str(exc), code=2)
    except ContentloopError as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        concurrency: Concurrency = 2,
        consumer: Annotated[bool, typer.Option(
            "--consumer/--no-consumer", help="Also run tasks here (off: scheduler only).")] = True,
        tick: Annotated[float, typer.Option("--tick", min=0.2, help="Seconds between "
                                            "scheduler passes.")] = 5.0,
        health_port: HealthPort = None,
        health_host: HealthHost = "127.0.0.1",
        horizon_days: Horizon = 7,
        heartbeat_ttl: HeartbeatTTL = 15.0,
        clock: ClockOpt = "system",
        config: ConfigOpt = None,
    ) -> None:
        """The long-running loop for one machine: scheduler plus in-process consumer.

        Embedded by default (SQLite store and queue, built-in simulator when no Graph URL).
        SIGTERM shuts down gracefully.
        """
        opts = _options(concurrency, health_port, health_host, horizon_days, heartbeat_ttl,
                        consumer=consumer, tick_s=tick)
        _launch(config, opts, clock, "run")

    @app.command("worker")
    def worker(
        concurrency: Concurrency = 2,
        health_port: HealthPort = None,
        health_host: HealthHost = "127.0.0.1",
        horizon_days: Horizon = 7,
        heartbeat_ttl: HeartbeatTTL = 15.0,
        clock: ClockOpt = "system",
        config: ConfigOpt = None,
    ) -> None:
        """Consume stage tasks from the queue (CONTENTLOOP_QUEUE_URL); run any number of these."""
        opts = _options(concurrency, health_port, health_host, horizon_days, heartbeat_ttl,
                        scheduler=False)
        _launch(config, opts, clock, "worker")
