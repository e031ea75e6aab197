"""Render a Variant into Instagram-ready assets, cached in the AssetStore and validated.

A failing output (bad brand colour, text too long, a tool error, an invalid file) triggers one
automatic re-render with safe settings; if that fails too, RenderFailed is raised. Nothing
else escapes `render`, so one bad variant never stops the caller's whole run.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from contentloop.domain import Asset, Beat, BrandProfile, Clock, Format, Variant

from .audio import file_digest
from .errors import MediaInvalid, RenderError, RenderFailed
from .images import (
    FEED_PORTRAIT,
    REEL_SAFE,
    STORY_SAFE,
    TEMPLATE_VERSION,
    VERTICAL,
    Composition,
    Style,
    compose_feed,
    compose_slide,
    compose_vertical,
    make_style,
    safe_style,
    to_jpeg,
)
from .reel import AUDIO_VERSION, CRF, FPS, PAN_X, PAN_Y, PRESET, Timeline, build_reel
from .store import AssetStore, Stored
from .tts import TTS, SilentTTS, default_tts
from .validate import validate_file

log = structlog.get_logger(__name__)

JPEG = "image/jpeg"
MP4 = "video/mp4"
MIN_SLIDES, MAX_SLIDES = 2, 10
#: a multi-frame story becomes one vertical video, each frame on screen this long
#: (3 frames -> 15 s, inside the 60 s story limit; one story container per post)
STORY_FRAME_S = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    """What may change between the first attempt and the safe re-render."""

    style: Style
    jpeg_quality: int = 90
    crf: int = CRF
    tts: TTS | None = None
    #: music bed; the safe re-render drops it (a broken music file must not sink the reel)
    music: Path | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {"style": self.style.fingerprint(), "q": self.jpeg_quality, "crf": self.crf}


class Renderer:
    """`render(variant, brand)` -> assets. Identical inputs are served from the store."""

    def __init__(
        self, store: AssetStore, clock: Clock, *, tts: TTS | None = None,
        feed_size: tuple[int, int] = FEED_PORTRAIT, validate: bool = True,
        music: Path | Mapping[str, Path] | None = None, motion: bool = False,
    ) -> None:
        """`music`: a bed for every reel, or one per account handle (see `music_for`).
        `motion`: slow pan over each reel still (reel.PAN_X; ~1.3x the encode time)."""
        self.store = store
        self.motion = motion
        self.music = music
        self.clock = clock
        self.tts = tts
        self.feed_size = feed_size
        self.validate = validate
        #: the timeline of the last reel rendered or loaded, keyed by variant id
        self.timelines: dict[str, Timeline] = {}

    # ---- public ----------------------------------------------------------------------
    def render(self, variant: Variant, brand: BrandProfile) -> list[Asset]:
        """Assets for `variant`: image -> 1 JPEG; carousel -> N slides; story -> 1 JPEG
        (or an MP4 + cover when it has beats); reel -> MP4 + cover JPEG.

        Raises RenderFailed (only) when the variant cannot be rendered even with safe settings.
        """
        started = self.clock.now()
        first_error = ""
        try:
            problem = self._precheck(variant)
            if problem:
                raise RenderFailed(variant.id, problem)
            try:
                tts = self.tts or default_tts(brand.language)
                settings = Settings(make_style(brand.colors, brand.font), tts=tts,
                                    music=self.music_for(variant, brand))
                return self._render_with(variant, settings)
            except Exception as exc:  # noqa: BLE001 - any failure earns one safe re-render
                first_error = _describe(exc)
                log.warning("render.retry_safe", variant=variant.id, error=first_error,
                            at=self.clock.now().isoformat())
            try:
                settings = Settings(
                    safe_style(brand.colors), jpeg_quality=85, crf=CRF + 3,
                    tts=self._safe_tts(brand),
                )
                return self._render_with(variant, settings)
            except Exception as exc:  # noqa: BLE001
                raise RenderFailed(
                    variant.id, f"{first_error}; safe re-render: {_describe(exc)}"
                ) from exc
        except RenderFailed as exc:
            log.error("render.failed", variant=variant.id, reason=exc.reason,
                      at=self.clock.now().isoformat())
            raise
        except Exception as exc:  # noqa: BLE001 - never let anything else escape
            raise RenderFailed(variant.id, _describe(exc)) from exc
        finally:
            log.info("render.done", variant=variant.id, started=started.isoformat())

    def music_for(self, v: Variant, brand: BrandProfile) -> Path | None:
        """The music bed of `v`'s reel: per-account mapping, else the renderer-wide file,
        else the brand's `music` path; None means voice only."""
        if isinstance(self.music, Mapping):
            if v.account in self.music:
                return Path(self.music[v.account])
        elif self.music is not None:
            return Path(self.music)
        own = brand.music
        return Path(own).expanduser() if own else None

    # ---- internals ---------------------------------------------------------------------
    def _safe_tts(self, brand: BrandProfile) -> TTS:
        tts = self.tts or default_tts(brand.language)
        return tts

    @staticmethod
    def _precheck(v: Variant) -> str:
        """Inputs no setting can fix; answer them at once instead of rendering twice."""
        fmt = Format(v.format)
        if fmt is Format.CAROUSEL:
            n = len([s for s in v.slides if s.strip()])
            if not MIN_SLIDES <= n <= MAX_SLIDES:
                return f"carousel needs {MIN_SLIDES}-{MAX_SLIDES} non-empty slides, got {n}"
        elif fmt is Format.REEL:
            if not any(b.voice_over.strip() or b.on_screen.strip() for b in v.beats):
                return "reel has no beats with text or voice-over"
        elif not (v.hook.strip() or any(s.strip() for s in v.slides)):
            return f"{fmt.value} has no text (empty hook and slides)"
        return ""

    def _render_with(self, v: Variant, s: Settings) -> list[Asset]:
        fmt = Format(v.format)
        if fmt is Format.IMAGE:
            return [self._still(v, "feed", self._image_text(v), s, self.feed_size,
                                lambda t, st: compose_feed(t, st, self.feed_size))]
        if fmt is Format.CAROUSEL:
            slides = [x for x in v.slides if x.strip()]
            n = len(slides)

            def slide(i: int) -> Callable[[str, Style], Composition]:
                return lambda t, st: compose_slide(t, i, n, st, self.feed_size)

            return [
                self._still(v, "carousel", text, s, self.feed_size, slide(i), role="slide",
                            extra={"index": i, "count": n})
                for i, text in enumerate(slides, start=1)
            ]
        if fmt is Format.STORY and not v.beats:
            frames = [x.strip() for x in v.slides if x.strip()]
            if len(frames) >= 2:  # every frame, in one story video
                beats = [Beat(i * STORY_FRAME_S, (i + 1) * STORY_FRAME_S, f, "", "frame")
                         for i, f in enumerate(frames)]
                return self._reel(v, s, "story", beats=beats)
            return [self._still(v, "story", self._image_text(v), s, VERTICAL,
                                lambda t, st: compose_vertical(t, st, STORY_SAFE))]
        return self._reel(v, s, "story" if fmt is Format.STORY else "reel")

    @staticmethod
    def _image_text(v: Variant) -> str:
        head = v.hook.strip() or (v.slides[0].strip() if v.slides else "")
        return head

    def _check(self, stored: Stored, kind: str) -> None:
        if not self.validate:
            return
        problems = validate_file(stored.path, kind)
        if problems:
            self.store.discard(stored.key)  # never serve a bad file from cache again
            raise MediaInvalid(stored.path, kind, problems)

    def _still(
        self, v: Variant, kind: str, text: str, s: Settings, size: tuple[int, int],
        compose: Callable[[str, Style], Composition], *, role: str = "main",
        extra: Mapping[str, Any] | None = None,
    ) -> Asset:
        inputs = {
            "template": TEMPLATE_VERSION, "kind": kind, "text": text, "size": list(size),
            "settings": s.fingerprint(), **(extra or {}),
        }

        def produce(tmp: Path) -> dict[str, Any]:
            comp = compose(text, s.style)
            tmp.write_bytes(to_jpeg(comp.image, s.jpeg_quality))
            return {"mime": JPEG, "width": comp.image.width, "height": comp.image.height}

        stored = self.store.ensure(inputs, "jpg", produce)
        self._check(stored, kind)
        return _asset(stored, role)

    def _reel(
        self, v: Variant, s: Settings, kind: str, beats: list[Beat] | None = None
    ) -> list[Asset]:
        """A reel (video + cover) or a story video (no cover: stories take none)."""
        tts = s.tts or SilentTTS()
        safe = STORY_SAFE if kind == "story" else REEL_SAFE
        if beats is None:
            beats = [b for b in v.beats if b.voice_over.strip() or b.on_screen.strip()]
        inputs = {
            "template": TEMPLATE_VERSION, "kind": kind, "size": list(VERTICAL),
            # a silent beat lasts its scripted time, so that time is an input too
            "beats": [[b.on_screen, b.voice_over] if b.voice_over.strip()
                      else [b.on_screen, "", round(b.end_s - b.start_s, 3)] for b in beats],
            "tts": tts.name,
            "fps": FPS, "preset": PRESET, "settings": s.fingerprint(), "audio": AUDIO_VERSION,
            "music": file_digest(s.music) if s.music is not None else None,
            **({"motion": [PAN_X, PAN_Y]} if self.motion else {}),
        }

        def produce(tmp: Path) -> dict[str, Any]:
            with tempfile.TemporaryDirectory(prefix="reel-", dir=self.store.root) as work:
                result = build_reel(beats, s.style, tmp, tts, Path(work), crf=s.crf,
                                    music=s.music, safe=safe, motion=self.motion)
            return {"mime": MP4, "width": result.width, "height": result.height,
                    "duration_s": result.timeline.duration_s, "lufs": _finite(result.lufs),
                    "music": result.music, "timeline": result.timeline.to_dict()}

        video = self.store.ensure(inputs, "mp4", produce)
        self._check(video, kind)
        self.timelines[v.id] = Timeline.from_dict(video.meta["timeline"])
        if kind == "story":
            return [_asset(video, "main")]
        cover_text = v.hook.strip() or beats[0].on_screen or beats[0].voice_over
        cover = self._still(v, "cover", cover_text, s, VERTICAL,
                            lambda t, st: compose_vertical(t, st, REEL_SAFE), role="cover")
        return [_asset(video, "main"), cover]


def _asset(stored: Stored, role: str) -> Asset:
    m = stored.meta
    return Asset(
        sha256=stored.key, path=str(stored.path), mime=str(m["mime"]),
        width=int(m.get("width", 0)), height=int(m.get("height", 0)),
        duration_s=float(m.get("duration_s", 0.0)), role=role,
    )


def _finite(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RenderError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
