"""A time-compressed wall clock that several processes can share (tests, benchmarks).

`ScaledClock(start, factor, epoch)` reads `start + (wall - epoch) * factor`: every process
given the same three numbers sees the same simulated time, with no coordination.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from ..domain import Clock, ConfigError, SystemClock


class ScaledClock:
    """Simulated time that runs `factor` times faster than the wall clock from `epoch`."""

    def __init__(self, start: datetime, factor: float, epoch: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start")
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.start = start.astimezone(UTC)
        self.factor = float(factor)
        self.epoch = time.time() if epoch is None else float(epoch)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.factor)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.factor)

    def spec(self) -> str:
        """The `--clock` value that reproduces this clock in another process."""
        return f"scaled:{self.start.isoformat()}@{self.epoch!r}x{self.factor!r}"


def parse_clock(spec: str | None) -> Clock:
    """`""`/`system` → SystemClock; `scaled:START_ISO@EPOCHxFACTOR` → ScaledClock."""
    if not spec or spec == "system":
        return SystemClock()
    if spec.startswith("scaled:"):
        body = spec.removeprefix("scaled:")
        try:
            start_s, rest = body.rsplit("@", 1)
            epoch_s, factor_s = rest.split("x", 1)
            return ScaledClock(datetime.fromisoformat(start_s), float(factor_s), float(epoch_s))
        except ValueError:
            pass
    raise ConfigError("--clock", spec, "system or scaled:START_ISO@EPOCHxFACTOR")
