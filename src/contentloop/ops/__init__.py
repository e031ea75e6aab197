"""Operations: Prometheus metrics and the health/metrics HTTP endpoint of long-running processes."""

from .health import HealthServer
from .metrics import Metrics

__all__ = ["HealthServer", "Metrics"]
