"""Media hosting on an S3-compatible bucket (AWS S3, MinIO, R2, ...), for when the
machine running contentloop is not reachable from the internet.

Each file is uploaded once under an unguessable key (`<prefix>/<hmac token>/<name>`) and
served from `public_base_url` (the bucket's public endpoint or a CDN in front of it).
Credentials come from boto3's usual chain (environment, profile), never from the config.
"""

from __future__ import annotations

import mimetypes
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from contentloop.domain.errors import ContentloopError

from .hosting import path_token, relative_to_root


class S3HostingError(ContentloopError):
    """An upload failed: says which file, which bucket, and what the service answered."""


class S3MediaHost:
    """`url_for(path)` uploads the file (once per content) and returns its public URL."""

    def __init__(
        self,
        root: str | Path,
        *,
        bucket: str,
        public_base_url: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "media",
        secret: bytes | None = None,
        client: Any = None,
    ) -> None:
        if not bucket or not public_base_url:
            raise ContentloopError("S3 media hosting needs media.s3_bucket and "
                                   "media.public_base_url in contentloop.toml")
        self.root = Path(root).resolve()
        self.bucket = bucket
        self.public_base_url = public_base_url.rstrip("/")
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.prefix = prefix.strip("/")
        self.secret = secret or os.urandom(32)
        self._client = client
        self._uploaded: dict[str, tuple[int, int]] = {}  # key -> (size, mtime_ns)
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        if self._client is None:
            import boto3  # optional dependency: pip install 'contentloop[s3]'

            self._client = boto3.client("s3", endpoint_url=self.endpoint_url,
                                        region_name=self.region)
        return self._client

    def start(self) -> S3MediaHost:
        self._s3()
        return self

    def stop(self) -> None:
        self._client = None

    def key_for(self, rel: str) -> str:
        parts = [self.prefix] if self.prefix else []
        return "/".join([*parts, path_token(self.secret, rel), rel])

    def url_for(self, path: str | Path) -> str:
        rel = relative_to_root(self.root, path)
        key = self.key_for(rel)
        full = self.root / rel
        st = full.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        with self._lock:
            fresh = self._uploaded.get(key) != stamp
        if fresh:
            ctype = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
            try:
                with full.open("rb") as fh:
                    self._s3().put_object(Bucket=self.bucket, Key=key, Body=fh,
                                          ContentType=ctype)
            except Exception as exc:  # botocore errors carry no secrets, only codes
                raise S3HostingError(
                    f"could not upload {rel} to bucket {self.bucket!r}"
                    f"{' at ' + self.endpoint_url if self.endpoint_url else ''}: "
                    f"{type(exc).__name__}: {exc}. Check media.s3_* in contentloop.toml and "
                    "the AWS_* credentials in the environment"
                ) from None
            with self._lock:
                self._uploaded[key] = stamp
        return f"{self.public_base_url}/{quote(key, safe='/')}"
