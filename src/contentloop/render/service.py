"""Render services behind `contentloop render`: render a post, preview a variant, collect garbage.

They meet the rest of the system only in the store (posts, variants, asset rows) and the
asset directory, so the CLI stays a thin wrapper.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contentloop.domain import Asset, BrandProfile, Format, Variant
from contentloop.store import Store

from .audio import integrated_loudness
from .renderer import Renderer
from .store import AssetStore
from .validate import probe, validate_file


@dataclass(frozen=True, slots=True)
class Rendered:
    """One output file with what ffprobe/Pillow say about it and any broken Instagram rule."""

    asset: Asset
    path: Path
    info: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def kind_of(fmt: Format, asset: Asset) -> str:
    """The validation kind of an asset (feed, carousel, story, cover, reel)."""
    if asset.role == "cover":
        return "cover"
    if fmt is Format.CAROUSEL:
        return "carousel"
    if fmt is Format.STORY:
        return "story"
    if fmt is Format.REEL:
        return "reel"
    return "feed"


def describe(path: Path) -> dict[str, Any]:
    """The probe facts a person checks before publishing, as a flat dict."""
    info: dict[str, Any] = {"bytes": path.stat().st_size}
    if path.suffix.lower() in (".mp4", ".mov"):
        data = probe(path)
        fmt = data.get("format", {})
        info["container"] = fmt.get("format_name")
        info["duration_s"] = round(float(fmt.get("duration", 0) or 0), 3)
        for s in data.get("streams", []):
            if s.get("codec_type") == "video":
                info.update(video=s.get("codec_name"), size=f"{s.get('width')}x{s.get('height')}",
                            pix_fmt=s.get("pix_fmt"), fps=s.get("r_frame_rate"))
            elif s.get("codec_type") == "audio":
                info.update(audio=s.get("codec_name"), sample_rate=int(s.get("sample_rate", 0)),
                            channels=s.get("channels"), lufs=round(loudness_of(path), 1))
    else:
        from PIL import Image

        with Image.open(path) as img:
            info.update(format=img.format, size=f"{img.width}x{img.height}", mode=img.mode)
    return info


def _checked(fmt: Format, assets: list[Asset]) -> list[Rendered]:
    out = []
    for a in assets:
        p = Path(a.path)
        out.append(Rendered(a, p, describe(p), validate_file(p, kind_of(fmt, a))))
    return out


def brand_for(brands: Mapping[str, BrandProfile], account: str) -> BrandProfile:
    return brands.get(account) or BrandProfile()


def render_post(
    store: Store, renderer: Renderer, post_id: str, brands: Mapping[str, BrandProfile]
) -> list[Rendered]:
    """(Re-)render a post's chosen variant and record its assets on the post.

    Identical inputs are served from the asset store, so this is cheap when nothing changed.
    Raises LookupError when the post has no chosen variant, RenderFailed when it cannot render.
    """
    post = store.get_post(post_id)
    variant = _chosen(store, post_id, post.variant_id)
    assets = renderer.render(variant, brand_for(brands, variant.account))
    store.save_assets(post_id, assets)
    return _checked(Format(variant.format), assets)


def _chosen(store: Store, post_id: str, variant_id: str | None) -> Variant:
    if variant_id:
        return store.get_variant(variant_id)
    chosen = [v for v in store.variants(post_id) if v.chosen]
    if not chosen:
        raise LookupError(f"post {post_id} has no chosen variant yet; approve one first "
                          "or preview a variant with `contentloop render preview --variant ID`")
    return chosen[0]


def preview_variant(
    store: Store, renderer: Renderer, variant_id: str, out_dir: Path,
    brands: Mapping[str, BrandProfile],
) -> list[Rendered]:
    """Render any variant (approved or not) and copy its files to `out_dir` with plain names.

    Nothing is recorded on the post; the asset store still caches the renders.
    """
    variant = store.get_variant(variant_id)
    assets = renderer.render(variant, brand_for(brands, variant.account))
    out_dir.mkdir(parents=True, exist_ok=True)
    copied: list[Asset] = []
    for i, a in enumerate(assets, start=1):
        src = Path(a.path)
        dst = out_dir / f"{variant_id}-{i:02d}-{a.role}{src.suffix}"
        shutil.copyfile(src, dst)
        copied.append(Asset(a.sha256, str(dst), a.mime, a.width, a.height, a.duration_s, a.role))
    return _checked(Format(variant.format), copied)


def loudness_of(path: Path) -> float:
    """Integrated loudness (LUFS) of a video's soundtrack, decoded by ffmpeg."""
    from .audio import SAMPLE_RATE, decode_audio

    return integrated_loudness(decode_audio(path, SAMPLE_RATE, channels=2))


@dataclass(frozen=True, slots=True)
class GcResult:
    removed: list[Path]
    kept: int
    freed_bytes: int


def gc_assets(store: Store, assets: AssetStore, *, dry_run: bool = False) -> GcResult:
    """Delete asset files no post refers to (Store.referenced_asset_hashes); `dry_run` lists."""
    referenced = store.referenced_asset_hashes()
    if dry_run:
        doomed = [p for p in sorted(assets.root.glob("??/*")) if p.is_file()
                  and (p.name.startswith(".tmp-") or p.name.split(".", 1)[0] not in referenced)]
        freed = sum(p.stat().st_size for p in doomed)
        return GcResult(doomed, len(assets.keys() & referenced), freed)
    sizes = {p: p.stat().st_size for p in assets.root.glob("??/*") if p.is_file()}
    removed = assets.gc(referenced)
    return GcResult(removed, len(assets.keys()), sum(sizes.get(p, 0) for p in removed))
