"""Text layout: wrap and shrink text until its measured ink fits a box; never overflow."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import TextDoesNotFit
from .fonts import FontT, load_font

ELLIPSIS = "…"
_MEASURE = ImageDraw.Draw(Image.new("L", (1, 1)))


@dataclass(frozen=True, slots=True)
class Box:
    """A pixel rectangle [left, right) x [top, bottom)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def contains(self, bbox: tuple[int, int, int, int]) -> bool:
        x0, y0, x1, y1 = bbox
        return x0 >= self.left and y0 >= self.top and x1 <= self.right and y1 <= self.bottom

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.right, self.bottom)


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Lines placed at absolute positions, with the font size and measured ink bbox."""

    lines: tuple[str, ...]
    positions: tuple[tuple[int, int], ...]
    size: int
    font_path: Path | None
    bbox: tuple[int, int, int, int]
    truncated: bool = False

    @property
    def font(self) -> FontT:
        return load_font(self.font_path, self.size)


def _metrics(font: FontT) -> tuple[int, int]:
    """Ascent and descent in px (bitmap fallback fonts have no metrics: use a tall glyph box)."""
    if isinstance(font, ImageFont.FreeTypeFont):
        return font.getmetrics()
    box = font.getbbox("Ayg")
    return int(box[3]), 0


def _split_long_word(word: str, font: FontT, width: int) -> list[str]:
    parts, cur = [], ""
    for ch in word:
        if cur and font.getlength(cur + ch) > width:
            parts.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return parts


def wrap(text: str, font: FontT, width: int) -> list[str]:
    """Greedy word wrap by measured width; honours newlines; splits words wider than a line."""
    lines: list[str] = []
    for para in text.replace("\r", "").split("\n"):
        words = para.split()
        if not words:
            if lines:
                lines.append("")
            continue
        cur = ""
        for word in words:
            fits = font.getlength(word) <= width
            pieces = [word] if fits else _split_long_word(word, font, width)
            for piece in pieces:
                cand = f"{cur} {piece}" if cur else piece
                if not cur or font.getlength(cand) <= width:
                    cur = cand
                else:
                    lines.append(cur)
                    cur = piece
        lines.append(cur)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _place(
    lines: list[str], font: FontT, box: Box, spacing: float, align: str, valign: str
) -> tuple[tuple[tuple[int, int], ...], tuple[int, int, int, int]]:
    ascent, descent = _metrics(font)
    line_h = int(round((ascent + descent) * spacing))
    total_h = line_h * (len(lines) - 1) + ascent + descent
    if valign == "top":
        y = box.top
    elif valign == "bottom":
        y = box.bottom - total_h
    else:
        y = box.top + (box.height - total_h) // 2
    positions: list[tuple[int, int]] = []
    ink: list[tuple[int, int, int, int]] = []
    for i, line in enumerate(lines):
        w = font.getlength(line)
        if align == "left":
            x = box.left
        elif align == "right":
            x = int(box.right - w)
        else:
            x = int(box.left + (box.width - w) / 2)
        pos = (x, y + i * line_h)
        positions.append(pos)
        if line.strip():
            x0, y0, x1, y1 = _MEASURE.textbbox(pos, line, font=font, anchor="la")
            ink.append((math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)))
    if not ink:
        return tuple(positions), (box.left, box.top, box.left, box.top)
    bbox = (
        min(b[0] for b in ink),
        min(b[1] for b in ink),
        max(b[2] for b in ink),
        max(b[3] for b in ink),
    )
    return tuple(positions), bbox


def _try(
    text: str, box: Box, font_path: Path | None, size: int, spacing: float, align: str, valign: str
) -> TextBlock | None:
    font = load_font(font_path, size)
    lines = wrap(text, font, box.width)
    if not lines:
        return TextBlock((), (), size, font_path, (box.left, box.top, box.left, box.top))
    positions, bbox = _place(lines, font, box, spacing, align, valign)
    if not box.contains(bbox):
        return None
    return TextBlock(tuple(lines), positions, size, font_path, bbox)


def _truncate(
    text: str, box: Box, font_path: Path | None, size: int, spacing: float, align: str, valign: str
) -> TextBlock:
    """At `size`, keep as many lines as fit and end the last one with an ellipsis."""
    font = load_font(font_path, size)
    lines = wrap(text, font, box.width)
    ascent, descent = _metrics(font)
    line_h = max(1, int(round((ascent + descent) * spacing)))
    lines = lines[: max(1, (box.height - ascent - descent) // line_h + 2)]
    while lines:
        keep = lines[:-1] if len(lines) > 1 else lines
        last = keep[-1]
        while last and font.getlength(last + ELLIPSIS) > box.width:
            last = last[:-1]
        cand = keep[:-1] + [last.rstrip() + ELLIPSIS]
        positions, bbox = _place(cand, font, box, spacing, align, valign)
        if box.contains(bbox):
            return TextBlock(tuple(cand), positions, size, font_path, bbox, truncated=True)
        lines = keep if len(keep) < len(lines) else keep[:-1]
    return TextBlock((), (), size, font_path, (box.left, box.top, box.left, box.top), True)


_PICTOGRAPHS = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F1E6-\U0001F1FF"
    "\u200d\ufe0e\ufe0f\u20e3]"
)


def drawable(text: str) -> str:
    """Text without emoji and pictographs: the text fonts have no glyphs for them, and a
    box ("tofu") on a branded image looks broken. Captions keep their emoji."""
    if not _PICTOGRAPHS.search(text):
        return text
    clean = _PICTOGRAPHS.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", clean).strip()


def fit_text(
    text: str,
    box: Box,
    font_path: Path | None,
    *,
    max_size: int,
    min_size: int,
    spacing: float = 1.15,
    align: str = "center",
    valign: str = "center",
    truncate: bool = False,
) -> TextBlock:
    """The largest font size in [min_size, max_size] whose wrapped text's ink fits `box`.

    If nothing fits: with `truncate` the text is cut with an ellipsis at `min_size`,
    otherwise TextDoesNotFit is raised. The returned bbox is measured, not estimated.
    """
    text = drawable(text)
    lo, hi, best = min_size, max_size, None
    while lo <= hi:  # binary search on size; fit is monotone in practice
        mid = (lo + hi) // 2
        got = _try(text, box, font_path, mid, spacing, align, valign)
        if got is not None:
            best, lo = got, mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return best
    if truncate:
        return _truncate(text, box, font_path, min_size, spacing, align, valign)
    raise TextDoesNotFit(len(text), box.as_tuple(), min_size)


def draw_block(draw: ImageDraw.ImageDraw, block: TextBlock, fill: tuple[int, int, int]) -> None:
    font = block.font
    for line, pos in zip(block.lines, block.positions, strict=True):
        if line.strip():
            draw.text(pos, line, font=font, fill=fill, anchor="la")
