"""Check rendered files against Instagram's media specs (instagram-graph-api.md section 2).

Each check returns a list of human-readable problems (empty means publishable);
`ensure_valid` raises MediaInvalid with that list.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from .errors import MediaInvalid, ToolFailed

MAX_IMAGE_BYTES = 8 * 1024 * 1024
FEED_ASPECT = (0.8, 1.91)
STORY_ASPECT = 9 / 16
ASPECT_TOLERANCE = 0.01
MAX_REEL_BYTES = 300 * 1024 * 1024
MAX_STORY_VIDEO_BYTES = 100 * 1024 * 1024
DURATION = {"reel": (3.0, 15 * 60.0), "story": (3.0, 60.0)}
FPS_RANGE = (23.0, 60.0)
MAX_WIDTH = 1920
MAX_AUDIO_RATE = 48000

IMAGE_KINDS = ("feed", "carousel", "story", "cover")
VIDEO_KINDS = ("reel", "story")


def validate_image(path: Path, kind: str = "feed") -> list[str]:
    """Problems of a still: JPEG (not MPO), <= 8 MB, sRGB/RGB, aspect per kind."""
    path = Path(path)
    problems: list[str] = []
    if not path.is_file():
        return [f"file {path} does not exist"]
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        problems.append(f"image is {size} bytes; the limit is {MAX_IMAGE_BYTES} (8 MiB)")
    try:
        with Image.open(path) as img:
            fmt, mode, (w, h) = img.format, img.mode, img.size
            icc = img.info.get("icc_profile")
    except (UnidentifiedImageError, OSError) as exc:
        return problems + [f"not a readable image: {exc}"]
    if fmt != "JPEG":
        problems.append(f"format is {fmt}; Instagram accepts JPEG only")
    if mode not in ("RGB", "L"):
        problems.append(f"colour mode is {mode}; use RGB (sRGB)")
    if icc and b"sRGB" not in icc[:400] and b"s\x00R\x00G\x00B" not in icc[:600]:
        problems.append("embedded ICC profile is not sRGB")
    if w <= 0 or h <= 0:
        return problems + ["image has no pixels"]
    ratio = w / h
    if kind in ("story", "cover"):
        if abs(ratio - STORY_ASPECT) > ASPECT_TOLERANCE:
            problems.append(f"aspect ratio {ratio:.4f} ({w}x{h}) is not 9:16 for a {kind}")
    else:
        lo, hi = FEED_ASPECT
        if not lo - 1e-9 <= ratio <= hi + 1e-9:
            problems.append(f"aspect ratio {ratio:.4f} ({w}x{h}) is outside {lo}-{hi} for feed")
    return problems


def top_level_atoms(path: Path) -> list[str]:
    """Names of the top-level ISO-BMFF boxes, in file order (to check moov before mdat)."""
    names: list[str] = []
    with open(path, "rb") as fh:
        end = fh.seek(0, 2)
        pos = 0
        while pos + 8 <= end:
            fh.seek(pos)
            head = fh.read(16)
            size, name = struct.unpack(">I4s", head[:8])
            if size == 1 and len(head) >= 16:
                size = struct.unpack(">Q", head[8:16])[0]
            elif size == 0:
                size = end - pos
            names.append(name.decode("latin-1"))
            if size < 8:
                break
            pos += size
    return names


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's JSON for streams and format."""
    exe = shutil.which("ffprobe")
    if exe is None:
        raise ToolFailed("ffprobe", "not installed (apt-get install ffmpeg)")
    proc = subprocess.run(
        [exe, "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if proc.returncode != 0:
        raise ToolFailed("ffprobe", proc.stderr.strip() or f"exit {proc.returncode}")
    data: dict[str, Any] = json.loads(proc.stdout or "{}")
    return data


def _rate(s: str | None) -> float:
    try:
        f = Fraction(s or "0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(f)


def validate_video(path: Path, kind: str = "reel") -> list[str]:
    """Problems of a reel or story video: container, codecs, chroma, fps, size, duration, moov."""
    path = Path(path)
    if not path.is_file():
        return [f"file {path} does not exist"]
    problems: list[str] = []
    if path.suffix.lower() not in (".mp4", ".mov"):
        problems.append(f"extension {path.suffix!r}: use .mp4 or .mov")
    try:
        info = probe(path)
    except ToolFailed as exc:
        return problems + [f"not a readable video: {exc.detail}"]
    fmt = info.get("format", {})
    if "mp4" not in fmt.get("format_name", "") and "mov" not in fmt.get("format_name", ""):
        problems.append(f"container is {fmt.get('format_name')!r}; use MP4 or MOV")
    size = path.stat().st_size
    cap = MAX_STORY_VIDEO_BYTES if kind == "story" else MAX_REEL_BYTES
    if size > cap:
        problems.append(f"file is {size} bytes; the {kind} limit is {cap}")
    streams = info.get("streams", [])
    video = [s for s in streams if s.get("codec_type") == "video"]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not video:
        problems.append("no video stream")
    for v in video[:1]:
        if v.get("codec_name") not in ("h264", "hevc"):
            problems.append(f"video codec {v.get('codec_name')}; use H.264 or HEVC")
        if v.get("pix_fmt") not in ("yuv420p", "yuvj420p"):
            problems.append(f"pixel format {v.get('pix_fmt')}; use 4:2:0 (yuv420p)")
        if v.get("field_order") not in (None, "progressive", "unknown"):
            problems.append(f"interlaced video ({v.get('field_order')}); use progressive")
        width = int(v.get("width", 0))
        if width > MAX_WIDTH:
            problems.append(f"width {width} px is over {MAX_WIDTH}")
        fps = _rate(v.get("avg_frame_rate")) or _rate(v.get("r_frame_rate"))
        if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
            problems.append(f"frame rate {fps:.2f} is outside {FPS_RANGE[0]:g}-{FPS_RANGE[1]:g}")
    for a in audio[:1]:
        if a.get("codec_name") != "aac":
            problems.append(f"audio codec {a.get('codec_name')}; use AAC")
        rate = int(a.get("sample_rate", 0) or 0)
        if rate > MAX_AUDIO_RATE:
            problems.append(f"audio sample rate {rate} Hz is over {MAX_AUDIO_RATE}")
        if int(a.get("channels", 0) or 0) not in (1, 2):
            problems.append(f"audio has {a.get('channels')} channels; use mono or stereo")
    duration = float(fmt.get("duration", 0) or 0)
    lo, hi = DURATION.get(kind, DURATION["reel"])
    if not lo <= duration <= hi:
        problems.append(f"duration {duration:.2f} s is outside {lo:g}-{hi:g} s for a {kind}")
    atoms = top_level_atoms(path)
    if "moov" in atoms and "mdat" in atoms and atoms.index("moov") > atoms.index("mdat"):
        problems.append("moov atom is after mdat; re-mux with -movflags +faststart")
    return problems


def validate_file(path: Path, kind: str) -> list[str]:
    """Dispatch on the file's extension: video containers go to ffprobe, the rest to Pillow."""
    if Path(path).suffix.lower() in (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"):
        return validate_video(path, "story" if kind == "story" else "reel")
    return validate_image(path, kind)


def ensure_valid(path: Path, kind: str) -> None:
    """Raise MediaInvalid listing every broken rule, or return quietly."""
    problems = validate_file(path, kind)
    if problems:
        raise MediaInvalid(path, kind, problems)
