from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from contentloop.render import Box, TextDoesNotFit, find_font, fit_text, load_font, wrap
from contentloop.render.layout import draw_block

BOX = Box(64, 200, 1016, 700)


def test_find_font_prefers_debian_noto_then_dejavu() -> None:
    bold = find_font()
    assert bold is not None and bold.is_file()
    assert bold.name in ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
    regular = find_font(bold=False)
    assert regular is not None and "Bold" not in regular.name


def test_find_font_by_family_path_and_unknown_name(tmp_path: Path) -> None:
    dejavu = find_font("DejaVu Sans")
    assert dejavu is not None and dejavu.name == "DejaVuSans-Bold.ttf"
    assert find_font(str(dejavu)) == dejavu
    assert find_font("No Such Font Family") == find_font()  # falls back, never downloads


def test_load_font_falls_back_to_builtin_when_file_unreadable(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.ttf"
    bogus.write_bytes(b"not a font")
    font = load_font(bogus, 40)
    assert font.getlength("Hello") > 0
    assert isinstance(load_font(find_font(), 40), ImageFont.FreeTypeFont)


def test_wrap_keeps_every_line_within_width_and_splits_giant_words() -> None:
    font = load_font(find_font(), 60)
    text = "short words then " + "x" * 200 + " and more"
    lines = wrap(text, font, 500)
    assert len(lines) > 3
    assert all(font.getlength(line) <= 500 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_fit_text_shrinks_longer_text() -> None:
    short = fit_text("Short hook", BOX, find_font(), max_size=140, min_size=20)
    long = fit_text("A much longer hook " * 8, BOX, find_font(), max_size=140, min_size=20)
    assert long.size < short.size
    assert BOX.contains(short.bbox) and BOX.contains(long.bbox)


def _ink_bbox(text_img: Image.Image, bg: Image.Image) -> tuple[int, int, int, int]:
    import numpy as np

    diff = np.any(np.asarray(text_img) != np.asarray(bg), axis=2)
    ys, xs = np.nonzero(diff)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("text", ["W" * 400, "Mississippi " * 300, "Ünïcødé ÂÊÎ gjpqy " * 90])
def test_truncated_very_long_text_never_draws_outside_the_box(text: str) -> None:
    block = fit_text(text, BOX, find_font(), max_size=120, min_size=40, truncate=True)
    assert block.truncated and block.lines[-1].endswith("…")
    bg = Image.new("RGB", (1080, 900), (0, 0, 0))
    img = bg.copy()
    draw_block(ImageDraw.Draw(img), block, (255, 255, 255))
    assert BOX.contains(_ink_bbox(img, bg))  # measured from pixels, not from the layout


def test_strict_fit_raises_when_text_cannot_fit() -> None:
    with pytest.raises(TextDoesNotFit) as err:
        fit_text("word " * 3000, BOX, find_font(), max_size=120, min_size=40)
    assert err.value.min_size == 40 and err.value.chars == len("word " * 3000)


def test_emoji_are_dropped_from_drawn_text_not_drawn_as_boxes():
    from contentloop.render.fonts import find_font
    from contentloop.render.layout import Box, fit_text

    block = fit_text("6 points · swipe 👉 ✅", Box(0, 0, 900, 300), find_font(),
                     max_size=80, min_size=20)
    drawn = " ".join(block.lines)
    assert "swipe" in drawn and "·" in drawn
    assert "👉" not in drawn and "✅" not in drawn
