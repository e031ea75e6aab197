"""Instagram Graph API simulator: a loopback ASGI app over a seeded in-memory world."""

from .app import create_app
from .audience import AudienceModel, PostFeatures, hook_style
from .config import FaultQueue, SimConfig
from .errors import GraphError
from .faultspec import FaultPlan, FaultSpecError, apply_fault_spec, parse_fault_spec
from .hashtags import TrendPulse, hashtag_id
from .server import serve, serve_in_thread
from .world import SimWorld

__all__ = [
    "AudienceModel", "FaultPlan", "FaultQueue", "FaultSpecError", "GraphError", "PostFeatures",
    "SimConfig", "SimWorld",
    "TrendPulse", "apply_fault_spec", "create_app", "hashtag_id", "hook_style",
    "parse_fault_spec", "serve", "serve_in_thread",
]
