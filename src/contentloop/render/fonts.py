"""Find fonts already on disk (Debian packages); never download. Falls back to Pillow's own."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont

#: Where Debian (fonts-noto-core, fonts-dejavu-core, ...) and users put fonts.
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)

#: Preferred faces in order; Noto and DejaVu cover Latin, Greek and Cyrillic.
BOLD_FALLBACKS = ("NotoSans-Bold", "DejaVuSans-Bold", "LiberationSans-Bold")
REGULAR_FALLBACKS = ("NotoSans-Regular", "DejaVuSans", "LiberationSans-Regular")
_EXTS = (".ttf", ".otf", ".ttc")


@lru_cache(maxsize=1)
def _index() -> dict[str, Path]:
    """Map lower-case file stem -> path for every font file under FONT_DIRS (first wins)."""
    extra = os.environ.get("CONTENTLOOP_FONT_DIRS", "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p] + list(FONT_DIRS)
    found: dict[str, Path] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.rglob("*")):
            if p.suffix.lower() in _EXTS and p.is_file():
                found.setdefault(p.stem.lower(), p)
    return found


def find_font(name: str = "", *, bold: bool = True) -> Path | None:
    """Resolve a brand font name (a path, a file stem, or a family like "Noto Sans") to a file.

    Unknown names fall back to Noto Sans, then DejaVu Sans, then any font on disk; None means
    no font file exists at all and callers use Pillow's built-in font.
    """
    index = _index()
    if name:
        p = Path(name).expanduser()
        if p.suffix.lower() in _EXTS and p.is_file():
            return p
        stem = name.replace(" ", "").lower()
        weight = "-bold" if bold else "-regular"
        for cand in (stem + weight, stem, stem + ("-bold" if bold else "")):
            if cand in index:
                return index[cand]
    for cand in BOLD_FALLBACKS if bold else REGULAR_FALLBACKS:
        if cand.lower() in index:
            return index[cand.lower()]
    return next(iter(index.values()), None)


@lru_cache(maxsize=256)
def load_font(path: Path | None, size: int) -> FontT:
    """A font object at `size` px; Pillow's bundled font when `path` is None or unreadable."""
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    return ImageFont.load_default(size)
