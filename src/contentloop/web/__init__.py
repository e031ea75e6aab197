"""web: the dashboard (approval queue, calendar, post detail, report) and the REST API."""

from .app import create_app
from .context import WebConfig

__all__ = ["WebConfig", "create_app"]
