"""Branded still templates (Pillow): feed posts, carousel slides, stories, reel covers and frames.

Every template draws a brand gradient and fits its text into a box that keeps clear of the
Instagram UI (safe zones on 9:16 canvases, a 64 px margin on feed canvases).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .errors import BadBrandColor
from .fonts import find_font, load_font
from .layout import Box, TextBlock, draw_block, fit_text

#: Bump when a template's look changes, so cached renders are not reused.
TEMPLATE_VERSION = "2"

FEED_PORTRAIT = (1080, 1350)
FEED_SQUARE = (1080, 1080)
VERTICAL = (1080, 1920)
FEED_MARGIN = 64
DEFAULT_COLORS = ("#1f2a44", "#f2c14e", "#f7f4ea")
JPEG_QUALITY = 90

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class SafeArea:
    """Bands of a 1080x1920 canvas kept free of text (pixels from each edge)."""

    top: int
    bottom: int
    side: int

    def box(self, size: tuple[int, int]) -> Box:
        w, h = size
        return Box(self.side, self.top, w - self.side, h - self.bottom)


#: Meta's percentages (copywriting.md 3.5): stories 14 % top / 20 % bottom; reels 14 % top /
#: 35 % bottom, with the top at 285 so a first frame also survives the 4:5 cover crop.
STORY_SAFE = SafeArea(top=269, bottom=384, side=65)
REEL_SAFE = SafeArea(top=285, bottom=672, side=65)


@dataclass(frozen=True, slots=True)
class Style:
    """Resolved look of one render: palette and fonts. `safe()` is the fallback style."""

    background: tuple[RGB, RGB]
    text: RGB
    accent: RGB
    bold_font: Path | None
    regular_font: Path | None
    truncate: bool = False
    min_headline: int = 48
    min_body: int = 30

    def fingerprint(self) -> dict[str, object]:
        return {
            "bg": [list(c) for c in self.background],
            "text": list(self.text),
            "accent": list(self.accent),
            "bold": str(self.bold_font),
            "regular": str(self.regular_font),
            "truncate": self.truncate,
            "min": [self.min_headline, self.min_body],
        }


_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_color(value: str) -> RGB:
    m = _HEX.match(value.strip())
    if not m:
        raise BadBrandColor(value)
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def _luminance(c: RGB) -> float:
    def ch(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (ch(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio between two colours (1..21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        int(round(a[0] + (b[0] - a[0]) * t)),
        int(round(a[1] + (b[1] - a[1]) * t)),
        int(round(a[2] + (b[2] - a[2]) * t)),
    )


def make_style(colors: Sequence[str], font: str = "", *, truncate: bool = False) -> Style:
    """Palette from brand colours: gradient from the first colour, the most legible text colour.

    Raises BadBrandColor for a malformed colour.
    """
    parsed = [parse_color(c) for c in colors] or [parse_color(c) for c in DEFAULT_COLORS]
    base = parsed[0]
    other = parsed[1] if len(parsed) > 1 else (0, 0, 0)
    bg = (base, _mix(base, other, 0.25))
    candidates = parsed[1:] + [(255, 255, 255), (17, 17, 17)]

    def worst(c: RGB) -> float:
        return min(contrast(c, bg[0]), contrast(c, bg[1]))

    text = next((c for c in parsed[2:] if worst(c) >= 4.5), max(candidates, key=worst))
    accent = next((c for c in parsed[1:] if worst(c) >= 3.0), text)
    return Style(
        background=bg,
        text=text,
        accent=accent,
        bold_font=find_font(font, bold=True),
        regular_font=find_font(font, bold=False),
        truncate=truncate,
    )


def safe_style(colors: Sequence[str]) -> Style:
    """The fallback look for a re-render: valid colours only, default fonts, truncation on."""
    good = []
    for c in colors:
        try:
            parse_color(c)
            good.append(c)
        except BadBrandColor:
            continue
    style = make_style(good or DEFAULT_COLORS, "", truncate=True)
    return replace(style, min_headline=36, min_body=24)


def gradient(size: tuple[int, int], colors: tuple[RGB, RGB]) -> Image.Image:
    """Vertical linear gradient between two colours (the template background)."""
    w, h = size
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    a = np.asarray(colors[0], dtype=np.float32)
    b = np.asarray(colors[1], dtype=np.float32)
    col = np.rint(a + (b - a) * t).astype(np.uint8)  # (h, 3)
    arr = np.broadcast_to(col[:, None, :], (h, w, 3))
    return Image.fromarray(np.ascontiguousarray(arr), "RGB")


@dataclass(slots=True)
class Composition:
    """A rendered canvas plus where its text ended up (for tests and debugging)."""

    image: Image.Image
    blocks: list[TextBlock]
    text_box: Box


def _headline_body(
    draw: ImageDraw.ImageDraw, text: str, box: Box, style: Style, *, head_max: int, body_max: int
) -> list[TextBlock]:
    """First line is a bold headline, the rest regular body text; both fitted inside `box`."""
    head, _, body = text.strip().partition("\n")
    body = body.strip()
    if not body:
        block = fit_text(
            head, box, style.bold_font, max_size=head_max, min_size=style.min_headline,
            truncate=style.truncate,
        )
        draw_block(draw, block, style.text)
        return [block]
    head_box = Box(box.left, box.top, box.right, box.top + int(box.height * 0.42))
    hb = fit_text(
        head, head_box, style.bold_font, max_size=head_max, min_size=style.min_headline,
        valign="bottom", truncate=style.truncate,
    )
    gap = max(24, hb.size // 2)
    body_box = Box(box.left, hb.bbox[3] + gap, box.right, box.bottom)
    bb = fit_text(
        body, body_box, style.regular_font, max_size=body_max, min_size=style.min_body,
        valign="top", truncate=style.truncate,
    )
    draw_block(draw, hb, style.text)
    draw_block(draw, bb, style.text)
    return [hb, bb]


def _accent_bar(draw: ImageDraw.ImageDraw, x: int, y: int, style: Style) -> None:
    draw.rounded_rectangle((x, y, x + 120, y + 12), radius=6, fill=style.accent)


def compose_feed(text: str, style: Style, size: tuple[int, int] = FEED_PORTRAIT) -> Composition:
    """Single-image feed post (4:5 default or 1:1): hook as headline, optional body."""
    img = gradient(size, style.background)
    draw = ImageDraw.Draw(img)
    w, h = size
    _accent_bar(draw, FEED_MARGIN, FEED_MARGIN, style)
    box = Box(FEED_MARGIN, FEED_MARGIN + 60, w - FEED_MARGIN, h - FEED_MARGIN - 40)
    blocks = _headline_body(draw, text, box, style, head_max=130, body_max=64)
    return Composition(img, blocks, box)


def compose_slide(
    text: str, index: int, count: int, style: Style, size: tuple[int, int] = FEED_PORTRAIT
) -> Composition:
    """One carousel slide: same template on every slide, "i/n" number, swipe cue but on last."""
    img = gradient(size, style.background)
    draw = ImageDraw.Draw(img)
    w, h = size
    _accent_bar(draw, FEED_MARGIN, FEED_MARGIN + 14, style)
    small = load_font(style.bold_font, 40)
    draw.text((w - FEED_MARGIN, FEED_MARGIN), f"{index}/{count}", font=small,
              fill=style.accent, anchor="ra")
    if index < count:  # swipe cue: a word and a drawn arrow (fonts may lack U+2192)
        ax, ay = w - FEED_MARGIN, h - FEED_MARGIN - 20
        draw.line((ax - 56, ay, ax - 4, ay), fill=style.accent, width=6)
        draw.polygon([(ax, ay), (ax - 22, ay - 16), (ax - 22, ay + 16)], fill=style.accent)
        draw.text((ax - 76, h - FEED_MARGIN), "swipe", font=small, fill=style.accent,
                  anchor="rd")
    box = Box(FEED_MARGIN, FEED_MARGIN + 100, w - FEED_MARGIN, h - FEED_MARGIN - 90)
    head_max = 120 if index == 1 else 88
    blocks = _headline_body(draw, text, box, style, head_max=head_max, body_max=56)
    return Composition(img, blocks, box)


def compose_vertical(
    text: str, style: Style, safe: SafeArea = STORY_SAFE, size: tuple[int, int] = VERTICAL
) -> Composition:
    """Story image or reel cover: text only inside the safe box, bands left as background."""
    img = gradient(size, style.background)
    draw = ImageDraw.Draw(img)
    box = safe.box(size)
    _accent_bar(draw, box.left, box.top, style)
    inner = Box(box.left, box.top + 40, box.right, box.bottom)
    blocks = _headline_body(draw, text, inner, style, head_max=140, body_max=70)
    return Composition(img, blocks, box)


def compose_reel_frame(
    on_screen: str, caption: str, style: Style, safe: SafeArea = REEL_SAFE,
    size: tuple[int, int] = VERTICAL,
) -> Composition:
    """A reel beat still: on-screen text above, the spoken line as a caption card below.

    A beat without a spoken line (a visual beat, a story frame) uses the whole safe box for its
    text: first line as headline, the rest as body.
    """
    img = gradient(size, style.background)
    draw = ImageDraw.Draw(img)
    box = safe.box(size)
    if not caption.strip() and on_screen.strip():
        _accent_bar(draw, box.left, box.top, style)
        inner = Box(box.left, box.top + 40, box.right, box.bottom)
        return Composition(img, _headline_body(draw, on_screen, inner, style, head_max=120,
                                               body_max=70), box)
    split = box.top + int(box.height * 0.5)
    blocks: list[TextBlock] = []
    if on_screen.strip():
        top_box = Box(box.left, box.top, box.right, split - 20)
        hb = fit_text(on_screen, top_box, style.bold_font, max_size=120,
                      min_size=style.min_headline, truncate=style.truncate)
        draw_block(draw, hb, style.text)
        blocks.append(hb)
    if caption.strip():
        card = Box(box.left, split, box.right, box.bottom)
        pad = 28
        inner = Box(card.left + pad, card.top + pad, card.right - pad, card.bottom - pad)
        cb = fit_text(caption, inner, style.bold_font, max_size=64,
                      min_size=style.min_body, truncate=style.truncate)
        x0, y0, x1, y1 = cb.bbox
        draw.rounded_rectangle(
            (max(card.left, x0 - pad), max(card.top, y0 - pad), min(card.right - 1, x1 + pad),
             min(card.bottom - 1, y1 + pad)),
            radius=24, fill=_mix(style.background[0], (0, 0, 0), 0.45),
        )
        draw_block(draw, cb, (255, 255, 255))
        blocks.append(cb)
    return Composition(img, blocks, box)


def to_jpeg(img: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    """Baseline sRGB JPEG bytes (RGB, 4:2:0), as Instagram wants."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True, subsampling=2)
    return buf.getvalue()
