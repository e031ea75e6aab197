"""Instagram Graph API simulator: a loopback ASGI app over a seeded in-memory world."""

from .app import create_app
from .audience import AudienceModel, PostFeatures, hook_style
from .config import FaultQueue, SimConfig
from .errors import GraphError
from .hashtags import TrendPulse, hashtag_id
from .server import serve, serve_in_thread
from .world import SimWorld

__all__ = [
    "AudienceModel", "FaultQueue", "GraphError", "PostFeatures", "SimConfig", "SimWorld",
    "TrendPulse", "create_app", "hashtag_id", "hook_style", "serve", "serve_in_thread",
]
