"""A one-line text form of simulator faults, for `--faults SPEC` on the command line.

Grammar (whitespace ignored, items separated by commas)::

    SPEC     := ITEM ("," ITEM)*
    ITEM     := ENDPOINT ":" KIND [COUNT | RATE]
              | "latency:" LO "-" HI ["ms" | "s"]      delay per request (simulated time)
              | "seed:" INT                             seed of the RATE draws
    COUNT    := "x" INT          the next INT calls fail (default x1)
    RATE     := "@" FLOAT | "@" INT "%"   that share of all calls fails, forever
    ENDPOINT := media | media_publish | container_status | media_insights
              | user_insights | hashtag_search | "*"
    KIND     := 500 | timeout | drop | spam | 9007 | 9 | quota | 24 | 190 | expired
              | restricted | 1 | 2 | THROTTLE ["=" MINUTES] | error ["=" SUBCODE]
    THROTTLE := 4 | 17 | 32 | 613 | 80002 | throttle (= 80002)

`drop` (media_publish only) commits the publish and then drops the connection; `timeout`
holds the answer back longer than a client waits (on media_publish, after committing);
`error` (media only) makes the new container end in status ERROR (default subcode
2207082, retryable; 2207026 is a permanent format error).

Examples: ``media_publish:500x3,container_status:9007`` ;
``media_publish:drop@10%,*:500@0.05,latency:50-200ms,seed:7``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contentloop.domain.errors import ContentloopError

from .config import FaultQueue, SimConfig

ENDPOINTS = frozenset({
    "media", "media_publish", "container_status", "media_insights", "user_insights",
    "hashtag_search", "*",
})
_ALIASES = {"drop": "drop_after_publish", "quota": "9", "expired": "190",
            "token_expired": "190", "throttle": "80002"}
_PLAIN = frozenset({"500", "timeout", "drop_after_publish", "spam", "9007", "9", "24", "190",
                    "restricted", "1", "2"})
_THROTTLES = frozenset({"4", "17", "32", "613", "80002"})
_ITEM_RE = re.compile(
    r"^(?P<ep>[a-z_*]+):(?P<kind>[a-z0-9_]+?(?:=\d+)?)"
    r"(?:x(?P<times>\d+)|@(?P<rate>\d+(?:\.\d+)?)(?P<pct>%)?)?$"
)
_LATENCY_RE = re.compile(r"^latency:(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)(ms|s)?$")


class FaultSpecError(ContentloopError):
    """A --faults SPEC item that does not parse: names the item and the expected form."""

    def __init__(self, item: str, why: str) -> None:
        self.item = item
        super().__init__(
            f"bad fault item {item!r}: {why}. Expected ENDPOINT:KIND[xN|@P], e.g. "
            "media_publish:500x3 or *:500@5% (see `contentloop sim serve --help`)"
        )


@dataclass(frozen=True, slots=True)
class FaultRule:
    endpoint: str
    kind: str
    times: int = 1
    probability: float | None = None


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """A parsed SPEC: the rules plus the non-fault knobs it carries."""

    rules: tuple[FaultRule, ...] = ()
    latency_s: tuple[float, float] | None = None
    seed: int | None = None

    def apply(self, queue: FaultQueue, config: SimConfig | None = None) -> None:
        """Push the rules onto a world's queue (and set latency on its config)."""
        if self.seed is not None:
            queue.seed(self.seed)
        for r in self.rules:
            queue.push(r.endpoint, r.kind, r.times, probability=r.probability)
        if config is not None and self.latency_s is not None:
            config.latency_s = self.latency_s


def _kind(item: str, endpoint: str, raw: str) -> str:
    base, _, arg = raw.partition("=")
    base = _ALIASES.get(base, base)
    if base in _THROTTLES:
        return f"{base}={arg}" if arg else base
    if base == "error":
        if endpoint != "media":
            raise FaultSpecError(item, "error (container ERROR) applies to the media endpoint")
        if arg and len(arg) != 7:
            raise FaultSpecError(item, "an error subcode has 7 digits, e.g. error=2207026")
        return f"error={arg}" if arg else "error"
    if arg:
        raise FaultSpecError(item, f"{base} takes no =value")
    if base not in _PLAIN:
        raise FaultSpecError(item, f"unknown fault kind {base!r}")
    if base == "drop_after_publish" and endpoint != "media_publish":
        raise FaultSpecError(item, "drop applies to media_publish only")
    return base


def parse_fault_spec(spec: str | None) -> FaultPlan:
    """Parse SPEC (see the module docstring); an empty spec is no faults."""
    rules: list[FaultRule] = []
    latency: tuple[float, float] | None = None
    seed: int | None = None
    for raw in (spec or "").split(","):
        item = "".join(raw.split()).lower()
        if not item:
            continue
        m = _LATENCY_RE.match(item)
        if m:
            scale = 1.0 if m.group(3) == "s" else 0.001
            lo, hi = float(m.group(1)) * scale, float(m.group(2)) * scale
            if hi < lo:
                raise FaultSpecError(item, "latency LO-HI needs LO <= HI")
            latency = (lo, hi)
            continue
        if item.startswith("seed:"):
            try:
                seed = int(item.removeprefix("seed:"))
            except ValueError:
                raise FaultSpecError(item, "seed takes an integer") from None
            continue
        m = _ITEM_RE.match(item)
        if not m:
            raise FaultSpecError(item, "does not match the grammar")
        endpoint = m.group("ep")
        if endpoint not in ENDPOINTS:
            raise FaultSpecError(item, f"unknown endpoint; one of {', '.join(sorted(ENDPOINTS))}")
        kind = _kind(item, endpoint, m.group("kind"))
        probability = None
        times = 1
        if m.group("rate"):
            probability = float(m.group("rate")) / (100.0 if m.group("pct") else 1.0)
            if not 0.0 < probability <= 1.0:
                raise FaultSpecError(item, "a rate is in (0, 1] or (0, 100]%")
        elif m.group("times"):
            times = int(m.group("times"))
            if times < 1:
                raise FaultSpecError(item, "xN needs N >= 1")
        rules.append(FaultRule(endpoint, kind, times, probability))
    return FaultPlan(tuple(rules), latency, seed)


def apply_fault_spec(world: object, spec: str | None) -> FaultPlan:
    """Parse SPEC and load it into a SimWorld (its fault queue and latency)."""
    plan = parse_fault_spec(spec)
    plan.apply(world.faults, world.config)  # type: ignore[attr-defined]
    return plan
