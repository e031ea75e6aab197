"""Choose the media hosting backend from the `[media]` config section."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from .hosting import MediaHost, MediaHosting


def url_secret(secret_key: str | None) -> bytes | None:
    """A stable URL-signing secret derived from the app's secret key (None: random)."""
    if not secret_key:
        return None
    return hmac.new(secret_key.encode(), b"contentloop media urls", hashlib.sha256).digest()


def make_media_host(cfg: Any, root: Path, secret_key: str | None = None) -> MediaHosting:
    """`cfg` is a config.MediaConfig (None: the local default). Not started."""
    secret = url_secret(secret_key)
    if cfg is None or cfg.backend == "local":
        return MediaHost(root, host=getattr(cfg, "host", "127.0.0.1"),
                         port=getattr(cfg, "port", 0),
                         public_base_url=getattr(cfg, "public_base_url", "") or None,
                         secret=secret)
    from .s3hosting import S3MediaHost

    return S3MediaHost(root, bucket=cfg.s3_bucket, public_base_url=cfg.public_base_url,
                       endpoint_url=cfg.s3_endpoint_url or None, region=cfg.s3_region or None,
                       prefix=cfg.s3_prefix, secret=secret)
