"""Prometheus metrics of a scheduler or worker process (one registry per process).

Names follow Prometheus conventions; `/metrics` on the health endpoint exposes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_LATENESS_BUCKETS = (0, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)


class _Callback(Collector):
    """A gauge read at scrape time (queue depth, post states)."""

    def __init__(self, name: str, doc: str, label: str | None,
                 read: Callable[[], dict[str, float] | float]) -> None:
        self.name, self.doc, self.label, self.read = name, doc, label, read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            value = self.read()
        except Exception:  # a scrape must not fail because the queue is down
            return
        if self.label is None:
            yield GaugeMetricFamily(self.name, self.doc, value=float(value))  # type: ignore[arg-type]
            return
        fam = GaugeMetricFamily(self.name, self.doc, labels=[self.label])
        for k, v in dict(value).items():  # type: ignore[arg-type]
            fam.add_metric([k], float(v))
        yield fam


class Metrics:
    """Task latency, failures by class, publish lateness and outcomes, queue depth."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.task_seconds = Histogram(
            "contentloop_task_seconds", "Wall time of one task run.", ["task"], registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        )
        self.task_failures = Counter(
            "contentloop_task_failures_total", "Tasks that raised, by task and error class.",
            ["task", "error_class"], registry=r,
        )
        self.publish_failures = Counter(
            "contentloop_publish_failures_total",
            "Publish attempts that did not publish, by error class (transient, quota, auth...).",
            ["error_class"], registry=r,
        )
        self.publish_lateness = Histogram(
            "contentloop_publish_lateness_seconds",
            "Published time minus scheduled time (domain clock).", registry=r,
            buckets=_LATENESS_BUCKETS,
        )
        self.published = Counter(
            "contentloop_posts_published_total", "Posts this process published.", registry=r,
        )
        self.enqueued = Counter(
            "contentloop_tasks_enqueued_total", "Tasks the scheduler enqueued.", ["task"],
            registry=r,
        )
        self.ticks = Counter(
            "contentloop_scheduler_ticks_total", "Scheduler ticks run as leader.", registry=r,
        )

    def watch_queue(self, depth: Callable[[], float]) -> None:
        self.registry.register(_Callback(
            "contentloop_queue_depth", "Tasks waiting in the queue.", None, depth))

    def watch_states(self, states: Callable[[], dict[str, float]]) -> None:
        self.registry.register(_Callback(
            "contentloop_posts", "Posts by state (from the store).", "state", states))

    @contextmanager
    def timed(self, task: str) -> Iterator[None]:
        started = perf_counter()
        try:
            yield
        except Exception as exc:
            self.task_failures.labels(task, type(exc).__name__).inc()
            raise
        finally:
            self.task_seconds.labels(task).observe(perf_counter() - started)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
