"""render stage: Variant + BrandProfile -> Instagram-ready, validated, content-addressed files.

Stills with Pillow (feed, carousel, story, reel cover), reels and multi-frame stories with
ffmpeg (stills + espeak-ng voice-over + burned-in captions synchronised to the measured speech,
an optional music bed ducked under the voice, loudness-normalised, optional slow pan), every
output checked against Instagram's media specs. `service` holds the CLI's render/preview/gc.
"""

from .audio import TARGET_LUFS, integrated_loudness, mix
from .errors import (
    BadBrandColor,
    MediaInvalid,
    RenderError,
    RenderFailed,
    TextDoesNotFit,
    ToolFailed,
)
from .fonts import find_font, load_font
from .images import (
    FEED_PORTRAIT,
    FEED_SQUARE,
    REEL_SAFE,
    STORY_SAFE,
    TEMPLATE_VERSION,
    VERTICAL,
    SafeArea,
    Style,
    compose_feed,
    compose_reel_frame,
    compose_slide,
    compose_vertical,
    gradient,
    make_style,
    safe_style,
    to_jpeg,
)
from .layout import Box, TextBlock, fit_text, wrap
from .reel import (
    Cue,
    Prepared,
    ReelResult,
    Timeline,
    build_reel,
    encode_reel,
    plan_timeline,
    prepare_reel,
)
from .renderer import Renderer
from .store import AssetStore, input_key
from .tts import TTS, EspeakTTS, SilentTTS, default_tts
from .validate import ensure_valid, validate_file, validate_image, validate_video

__all__ = [
    "FEED_PORTRAIT", "FEED_SQUARE", "REEL_SAFE", "STORY_SAFE", "TEMPLATE_VERSION", "TTS",
    "VERTICAL", "AssetStore", "BadBrandColor", "Box", "Cue", "EspeakTTS", "MediaInvalid",
    "ReelResult", "RenderError", "RenderFailed", "Renderer", "SafeArea", "SilentTTS", "Style",
    "TextBlock", "TextDoesNotFit", "Timeline", "ToolFailed", "build_reel", "compose_feed",
    "compose_reel_frame", "compose_slide", "compose_vertical", "default_tts", "ensure_valid",
    "find_font", "fit_text", "gradient", "input_key", "load_font", "make_style", "plan_timeline",
    "safe_style", "to_jpeg", "validate_file", "validate_image", "validate_video", "wrap",
    "TARGET_LUFS", "Prepared", "encode_reel", "integrated_loudness", "mix", "prepare_reel",
]
