"""Sponsored posts say so up front: caption line 1, the first card, and out loud (FTC, ASA)."""

from __future__ import annotations

from contentloop.domain import Beat, BrandProfile, Variant


def is_sponsored(variant: Variant, brand: BrandProfile) -> bool:
    return variant.sponsored or (bool(variant.pillar) and variant.pillar in brand.sponsored_pillars)


def apply_disclosure(variant: Variant, brand: BrandProfile) -> Variant:
    """Mark and label a sponsored variant in place; others are left untouched."""
    if not is_sponsored(variant, brand):
        return variant
    label = brand.disclosure_label.strip() or "#ad"
    spoken = label.lstrip("#").strip().capitalize() or "Ad"
    variant.sponsored = True
    lines = variant.caption.split("\n")
    if not lines[0].lower().startswith(label.lower()):
        lines[0] = f"{label} · {lines[0]}"
    variant.caption = "\n".join(lines)
    if variant.beats:
        b = variant.beats[0]
        variant.beats[0] = Beat(b.start_s, b.end_s, f"{label} · {b.on_screen}",
                                f"{spoken}. {b.voice_over}", b.role)
    if variant.slides:
        variant.slides[0] = f"{label} · {variant.slides[0]}"
    return variant


__all__ = ["apply_disclosure", "is_sponsored"]
