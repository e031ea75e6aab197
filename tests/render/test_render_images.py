from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from contentloop.render import (
    FEED_PORTRAIT,
    FEED_SQUARE,
    REEL_SAFE,
    STORY_SAFE,
    VERTICAL,
    BadBrandColor,
    SafeArea,
    compose_feed,
    compose_reel_frame,
    compose_slide,
    compose_vertical,
    gradient,
    make_style,
    safe_style,
    to_jpeg,
)
from contentloop.render.images import contrast

COLORS = ("#1f2a44", "#f2c14e", "#f7f4ea")
LONG = "Why your mornings vanish\n" + "Every small decision costs focus and time. " * 60


def _changed(img: Image.Image, bg: Image.Image) -> np.ndarray:
    return np.any(np.asarray(img) != np.asarray(bg), axis=2)


def test_gradient_runs_between_the_two_brand_colours() -> None:
    style = make_style(COLORS)
    img = np.asarray(gradient(VERTICAL, style.background))
    assert tuple(img[0, 0]) == style.background[0]
    assert tuple(img[-1, -1]) == style.background[1]
    assert (img[:, 0] == img[:, 540]).all()  # vertical gradient: rows are uniform


def test_text_colour_is_legible_on_the_background() -> None:
    for colors in (COLORS, ("#ffffff",), ("#000000", "#111111"), ("#f2c14e", "#ffffff")):
        style = make_style(colors)
        assert min(contrast(style.text, c) for c in style.background) >= 4.5, colors


def test_bad_colour_raises_and_safe_style_recovers() -> None:
    with pytest.raises(BadBrandColor):
        make_style(("nope", "#fff"))
    assert safe_style(("nope", "#fff")).truncate


@pytest.mark.parametrize(
    ("compose", "size"),
    [
        (lambda s: compose_feed("Hook", s, FEED_PORTRAIT), FEED_PORTRAIT),
        (lambda s: compose_feed("Hook", s, FEED_SQUARE), FEED_SQUARE),
        (lambda s: compose_slide("Slide\nbody", 3, 7, s), FEED_PORTRAIT),
        (lambda s: compose_vertical("Story", s, STORY_SAFE), VERTICAL),
        (lambda s: compose_vertical("Cover", s, REEL_SAFE), VERTICAL),
        (lambda s: compose_reel_frame("Step 1", "Say it", s), VERTICAL),
    ],
)
def test_every_kind_has_its_size_and_encodes_as_srgb_jpeg(compose, size) -> None:  # type: ignore[no-untyped-def]
    comp = compose(make_style(COLORS))
    assert comp.image.size == size and comp.image.mode == "RGB"
    data = to_jpeg(comp.image)
    assert len(data) < 8 * 1024 * 1024
    with Image.open(io.BytesIO(data)) as jpg:
        assert jpg.format == "JPEG" and jpg.mode == "RGB" and jpg.size == size
        assert "icc_profile" not in jpg.info  # untagged = sRGB


@pytest.mark.parametrize(
    ("name", "compose", "safe"),
    [
        ("story", lambda t, s: compose_vertical(t, s, STORY_SAFE), STORY_SAFE),
        ("cover", lambda t, s: compose_vertical(t, s, REEL_SAFE), REEL_SAFE),
        ("frame", lambda t, s: compose_reel_frame(t, t, s, REEL_SAFE), REEL_SAFE),
    ],
)
def test_safe_bands_stay_pure_background_even_with_long_text(name, compose, safe: SafeArea) -> None:  # type: ignore[no-untyped-def]
    style = make_style(COLORS, truncate=True)
    comp = compose(LONG, style)
    changed = _changed(comp.image, gradient(VERTICAL, style.background))
    assert changed[safe.top: VERTICAL[1] - safe.bottom].any(), "text was drawn"
    assert not changed[: safe.top].any(), f"{name}: something drawn in the top band"
    assert not changed[VERTICAL[1] - safe.bottom:].any(), f"{name}: bottom band touched"
    assert not changed[:, : safe.side].any() and not changed[:, VERTICAL[0] - safe.side:].any()


def test_safe_zones_match_meta_percentages() -> None:
    assert STORY_SAFE.top >= 250 and STORY_SAFE.bottom >= 340
    assert REEL_SAFE.top >= int(0.14 * 1920) and REEL_SAFE.bottom >= int(0.35 * 1920)


@pytest.mark.parametrize("size", [FEED_PORTRAIT, FEED_SQUARE, VERTICAL])
def test_long_text_ink_stays_inside_the_text_box(size: tuple[int, int]) -> None:
    style = make_style(COLORS, truncate=True)
    comp = compose_feed(LONG, style, size)
    for block in comp.blocks:
        assert comp.text_box.contains(block.bbox)
    # measured from pixels: nothing changed inside the outer margin below the text box
    changed = _changed(comp.image, gradient(size, style.background))
    ys, xs = np.nonzero(changed)
    assert xs.min() >= 64 and xs.max() < size[0] - 64 and ys.max() < comp.text_box.bottom


def test_carousel_slides_share_one_design_and_are_numbered() -> None:
    style = make_style(COLORS)
    a = compose_slide("Same text", 2, 5, style)
    b = compose_slide("Same text", 3, 5, style)
    last = compose_slide("Same text", 5, 5, style)
    diff = _changed(a.image, b.image)
    ys, xs = np.nonzero(diff)
    # only the "i/n" counter differs between two slides with equal text
    assert diff.any() and ys.max() < 64 + 60 and xs.min() > 1080 - 64 - 200
    # the last slide drops the swipe cue at the bottom right
    tail = _changed(a.image, last.image)[1350 - 140:]
    assert tail.any()
