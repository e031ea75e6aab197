"""Serve rendered media over HTTP so the Graph API can fetch it by URL.

Meta's fetcher sends HTTP Range requests; a server that ignores Range makes video
containers fail minutes later (2207077), so this one answers Range and HEAD properly.

URLs are unguessable: each carries an HMAC of the file's relative path under a secret
(`/<token>/<path>`), so knowing the media root's layout (or one URL) reveals no other file.
A stable `secret` keeps URLs valid across restarts; by default a random one per process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TOKEN_LEN = 32  # hex chars: 128 bits


class MediaHosting(Protocol):
    """Where the Graph API fetches media from: local HTTP or an S3-compatible bucket."""

    def start(self) -> MediaHosting: ...

    def stop(self) -> None: ...

    def url_for(self, path: str | Path) -> str: ...


def path_token(secret: bytes, rel: str) -> str:
    """The unguessable part of a media URL: HMAC-SHA256(secret, relative path)."""
    return hmac.new(secret, rel.encode("utf-8"), hashlib.sha256).hexdigest()[:_TOKEN_LEN]


def relative_to_root(root: Path, path: str | Path) -> str:
    """`path` (relative to root, or absolute inside it) as a POSIX relative path."""
    p = Path(path)
    full = (p if p.is_absolute() else root / p).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        raise ValueError(f"{full} is outside the media root {root}") from None


class _RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single-range support (multi-range requests get the whole file)."""

    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms stalls)
    protocol_version = "HTTP/1.1"
    secret: bytes | None = None  # set per server via partial(); None: plain paths

    def __init__(self, *args: Any, secret: bytes | None = None, **kwargs: Any) -> None:
        self.secret = secret
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and daemons
        pass

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def _file_path(self) -> str | None:
        """The file a request names, only if its token matches and it stays in the root."""
        url_path = unquote(urlsplit(self.path).path)
        if self.secret is not None:
            token, _, rel = url_path.lstrip("/").partition("/")
            if not rel or not hmac.compare_digest(token, path_token(self.secret, rel)):
                return None
            url_path = "/" + rel
        root = Path(self.directory).resolve()
        full = Path(self.translate_path(quote(url_path))).resolve()
        if full != root and root not in full.parents:
            return None
        return str(full)

    def send_head(self) -> Any:
        path = self._file_path()
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND, "file not found")
            return None
        if os.path.isdir(path):
            self.send_error(HTTPStatus.NOT_FOUND, "not a file")
            return None
        try:
            f = open(path, "rb")  # noqa: SIM115 - handed to copyfile by the base class
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "file not found")
            return None
        size = os.fstat(f.fileno()).st_size
        ctype = self.guess_type(path)
        rng = self.headers.get("Range")
        self._range: tuple[int, int] | None = None
        if rng:
            m = _RANGE_RE.match(rng.strip())
            if m and (m.group(1) or m.group(2)):
                start_s, end_s = m.group(1), m.group(2)
                if start_s:
                    start = int(start_s)
                    end = min(int(end_s), size - 1) if end_s else size - 1
                else:  # suffix range: the last N bytes
                    start, end = max(0, size - int(end_s)), size - 1
                if start >= size or start > end:
                    f.close()
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                self._range = (start, end)
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                self.send_header("Content-Length", str(end - start + 1))
                self.end_headers()
                return f
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        return f

    def copyfile(self, source: Any, outputfile: Any) -> None:
        rng = getattr(self, "_range", None)
        if rng is None:
            shutil.copyfileobj(source, outputfile)
            return
        start, end = rng
        source.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = source.read(min(64 * 1024, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


class MediaHost:
    """A directory served on loopback from a daemon thread.

    `public_base_url` is what the Graph API sees (e.g. a tunnel or CDN in front of this
    server); it defaults to the local address, which is right for the simulator.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_base_url: str | None = None,
        secret: bytes | None = None,
        signed: bool = True,
    ) -> None:
        self.root = Path(root).resolve()
        self.secret: bytes | None = (secret or os.urandom(32)) if signed else None
        self.host = host
        self.port = port
        self._public = public_base_url.rstrip("/") if public_base_url else None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._public:
            return self._public
        if self._server is None:
            raise RuntimeError("MediaHost is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> MediaHost:
        if self._server is not None:
            return self
        handler = partial(_RangeHandler, directory=str(self.root), secret=self.secret)
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="media-host", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> MediaHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url_for(self, path: str | Path) -> str:
        """A US-ASCII, unguessable URL for a file under `root` (relative or absolute)."""
        rel = relative_to_root(self.root, path)
        prefix = f"{path_token(self.secret, rel)}/" if self.secret is not None else ""
        return f"{self.base_url}/{prefix}{quote(rel, safe='/')}"
