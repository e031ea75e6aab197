"""Fetch media by URL and judge it the way Instagram's ingest does (§2 media constraints)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import httpx2
from PIL import Image

from . import errors as E

MAX_IMAGE_BYTES = 8 * 1024 * 1024
FEED_RATIO = (0.8, 1.91)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    size: int


@dataclass(frozen=True, slots=True)
class VideoVerdict:
    """ok=False carries the container ERROR subcode and a human reason."""

    ok: bool
    subcode: int | None = None
    reason: str = ""
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    probe: dict[str, Any] = field(default_factory=dict)


def fetch(url: str, timeout_s: float, max_bytes: int) -> bytes:
    """GET the URL (what Meta's cURL fetcher does); any failure is 9004/2207052."""
    if not url.isascii() or not url.lower().startswith(("http://", "https://")):
        raise E.fetch_failed(url)
    try:
        with httpx2.Client(timeout=timeout_s, follow_redirects=True) as client, \
                client.stream("GET", url) as resp:
            if resp.status_code != 200:
                raise E.fetch_failed(url)
            ctype = resp.headers.get("content-type", "")
            if ctype.startswith("text/html"):
                raise E.fetch_failed(url)
            chunks: list[bytes] = []
            total = 0
            for chunk in resp.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    # Stop reading: big enough to judge as too large.
                    chunks.append(chunk)
                    break
                chunks.append(chunk)
            return b"".join(chunks)
    except E.GraphError:
        raise
    except Exception as exc:  # network errors of any kind
        raise E.fetch_failed(url) from exc


def check_image(data: bytes, *, feed_ratio: bool) -> ImageInfo:
    """JPEG only, ≤ 8 MiB, 0.8..1.91 aspect ratio for feed images. Raises GraphError."""
    fmt = _sniff_format(data)
    if fmt != "JPEG":
        raise E.image_format(fmt)
    if len(data) > MAX_IMAGE_BYTES:
        raise E.image_too_large()
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "JPEG" or getattr(im, "is_animated", False):
                raise E.image_format(im.format or "unknown")
            width, height = im.size
    except E.GraphError:
        raise
    except Exception as exc:
        raise E.image_format("unknown") from exc
    if feed_ratio and height > 0:
        ratio = width / height
        if ratio < FEED_RATIO[0] - 1e-3 or ratio > FEED_RATIO[1] + 1e-3:
            raise E.aspect_ratio(ratio)
    return ImageInfo(width, height, len(data))


def _sniff_format(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "HEIC"
    return "unknown"


def check_video(
    data: bytes,
    *,
    min_s: float,
    max_s: float,
    max_bytes: int,
    require_faststart: bool = False,
) -> VideoVerdict:
    """Probe with ffprobe; a bad file gives ok=False with subcode 2207026 (as a status ERROR)."""
    if len(data) > max_bytes:
        return VideoVerdict(False, 2207026, f"file is {len(data)} bytes, over {max_bytes}")
    fd, path = tempfile.mkstemp(suffix=".mp4")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        proc = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
             "-show_streams", path],
            capture_output=True, timeout=30, check=False,
        )
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        return VideoVerdict(False, 2207026, "ffprobe could not read the file")
    probe = json.loads(proc.stdout or b"{}")
    fmt = probe.get("format", {})
    names = set(str(fmt.get("format_name", "")).split(","))
    if not names & {"mp4", "mov"}:
        return VideoVerdict(False, 2207026, f"container {fmt.get('format_name')} is not MP4/MOV")
    streams = probe.get("streams", [])
    video = [s for s in streams if s.get("codec_type") == "video"]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not video:
        return VideoVerdict(False, 2207026, "no video stream")
    v = video[0]
    width, height = int(v.get("width", 0)), int(v.get("height", 0))
    if v.get("codec_name") not in ("h264", "hevc"):
        return VideoVerdict(False, 2207026, f"video codec {v.get('codec_name')} not H.264/HEVC")
    fps = _fps(v.get("avg_frame_rate")) or _fps(v.get("r_frame_rate"))
    if fps is None or not 23 <= fps <= 60.5:
        return VideoVerdict(False, 2207026, f"frame rate {fps} outside 23-60 fps")
    if width > 1920:
        return VideoVerdict(False, 2207026, f"width {width} over 1920 px")
    try:
        duration = float(fmt.get("duration") or v.get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    if not min_s <= duration <= max_s:
        return VideoVerdict(False, 2207026, f"duration {duration:.2f}s outside {min_s}-{max_s}s")
    for a in audio:
        if a.get("codec_name") != "aac":
            return VideoVerdict(False, 2207026, f"audio codec {a.get('codec_name')} not AAC")
        if int(a.get("sample_rate", 0) or 0) > 48000:
            return VideoVerdict(False, 2207026, "audio sample rate over 48 kHz")
    if require_faststart and not _moov_first(data):
        return VideoVerdict(False, 2207026, "moov atom is not at the front (use +faststart)")
    return VideoVerdict(True, None, "", duration, width, height, probe)


def _fps(rate: object) -> float | None:
    if not rate or rate == "0/0":
        return None
    try:
        return float(Fraction(str(rate)))
    except (ValueError, ZeroDivisionError):
        return None


def _moov_first(data: bytes) -> bool:
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"moov":
            return True
        if kind == b"mdat":
            return False
        if size == 1 and pos + 16 <= len(data):
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        if size < 8:
            return False
        pos += size
    return False
