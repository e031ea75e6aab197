"""A fast preview still for a variant that is not rendered yet (hook on the brand template)."""

from __future__ import annotations

from contentloop.domain import BrandProfile, Format, Variant
from contentloop.render import REEL_SAFE, compose_feed, compose_vertical, make_style, to_jpeg

PREVIEW_WIDTH = 432


def preview_jpeg(variant: Variant, brand: BrandProfile) -> bytes:
    style = make_style(brand.colors, brand.font, truncate=True)
    text = variant.slides[0] if variant.format is Format.CAROUSEL and variant.slides else \
        variant.hook
    if variant.format in (Format.REEL, Format.STORY):
        img = compose_vertical(text, style, REEL_SAFE).image
    else:
        img = compose_feed(text, style).image
    h = round(img.height * PREVIEW_WIDTH / img.width)
    return to_jpeg(img.resize((PREVIEW_WIDTH, h)), quality=80)
