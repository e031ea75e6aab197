"""Shared fixtures: a brand, variants of every format, and one reel rendered per session."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from contentloop.domain import Beat, BrandProfile, Format, SimulatedClock, Variant
from contentloop.render import AssetStore, EspeakTTS, Renderer, build_reel, make_style
from contentloop.render.reel import ReelResult

BEATS = [
    Beat(0, 3, "Stop wasting mornings", "Here is why your mornings feel so short.", "hook"),
    Beat(3, 7, "1. Batch email", "Check email twice a day, not fifty times.", "body"),
    Beat(7, 11, "2. Plan tonight", "Write tomorrow's three tasks before you sleep.", "body"),
    Beat(11, 15, "3. Move first", "Ten minutes of movement beats an hour of coffee.", "body"),
    Beat(15, 19, "4. Guard 9 to 11", "Protect your best two hours for deep work, every day.",
         "body"),
    Beat(19, 23, "Save this", "Save this and try one tomorrow. Follow for more.", "cta"),
]


def _variant(fmt: Format, **kw: object) -> Variant:
    base: dict[str, object] = {
        "id": f"v-{fmt.value}", "post_id": "p1", "account": "acme", "format": fmt,
        "hook": "Stop scrolling: this trick saves 2 hours a week", "hook_style": "number",
        "caption": "Try it tomorrow.", "hashtags": ["#tips"],
    }
    base.update(kw)
    return Variant(**base)  # type: ignore[arg-type]


@pytest.fixture
def make_variant() -> Callable[..., Variant]:
    """Factory: make_variant(Format.X, **overrides) -> Variant."""
    return _variant


@pytest.fixture
def brand() -> BrandProfile:
    return BrandProfile(colors=("#1f2a44", "#f2c14e", "#f7f4ea"), font="Noto Sans")


@pytest.fixture
def store(tmp_path: Path) -> AssetStore:
    return AssetStore(tmp_path / "assets")


@pytest.fixture
def renderer(store: AssetStore) -> Renderer:
    return Renderer(store, SimulatedClock())


@pytest.fixture(scope="session")
def reel(tmp_path_factory: pytest.TempPathFactory) -> ReelResult:
    """One real ~20 s reel (espeak-ng + ffmpeg), shared by the reel tests."""
    d = tmp_path_factory.mktemp("reel")
    style = make_style(BrandProfile().colors)
    return build_reel(BEATS, style, d / "reel.mp4", EspeakTTS(), d / "work")


@pytest.fixture
def media() -> Media:
    return Media()


class Media:
    """ffmpeg decoders for assertions on real output files."""

    @staticmethod
    def audio(path: Path, rate: int = 8000) -> np.ndarray:
        """Mono float samples of a media file's audio track, via ffmpeg."""
        out = subprocess.run(
            [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0",
             "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
            capture_output=True, check=True,
        ).stdout
        return np.frombuffer(out, dtype="<i2").astype(np.float32) / 32768

    @staticmethod
    def gray_frames(path: Path, w: int = 54, h: int = 96) -> np.ndarray:
        """All video frames, downscaled grey, as an array (n, h, w)."""
        out = subprocess.run(
            [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0",
             "-vf", f"scale={w}:{h},format=gray", "-f", "rawvideo", "-"],
            capture_output=True, check=True,
        ).stdout
        return np.frombuffer(out, dtype=np.uint8).reshape(-1, h, w).astype(np.int16)

    @staticmethod
    def make_video(
        path: Path, *, seconds: float = 3.5, pix_fmt: str = "yuv420p", faststart: bool = True,
        size: str = "180x320", rate: int = 48000, fps: int = 30,
    ) -> Path:
        """A small synthetic H.264/AAC test video with chosen properties (lavfi sources)."""
        cmd = [
            shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt,
            "-c:a", "aac", "-ar", str(rate), "-shortest",
        ]
        if faststart:
            cmd += ["-movflags", "+faststart"]
        subprocess.run([*cmd, str(path)], check=True, capture_output=True)
        return path
