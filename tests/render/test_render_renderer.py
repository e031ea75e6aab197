from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from contentloop.domain import Beat, BrandProfile, Format, SimulatedClock
from contentloop.render import AssetStore, Renderer, RenderFailed, validate_file

SHORT_BEATS = [Beat(0, 2, "One tip", "Drink water first."), Beat(2, 4, "Two", "Then move.")]


def test_image_renders_one_valid_portrait_jpeg(renderer, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    (asset,) = renderer.render(make_variant(Format.IMAGE), brand)
    assert (asset.mime, asset.width, asset.height, asset.role) == ("image/jpeg", 1080, 1350, "main")
    with Image.open(asset.path) as img:
        assert img.format == "JPEG" and img.size == (1080, 1350)
    assert Path(asset.path).stem == asset.sha256 and validate_file(Path(asset.path), "feed") == []


def test_square_feed_size_is_configurable(store, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    r = Renderer(store, SimulatedClock(), feed_size=(1080, 1080))
    (asset,) = r.render(make_variant(Format.IMAGE), brand)
    assert (asset.width, asset.height) == (1080, 1080)


def test_carousel_renders_numbered_slides(renderer, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    slides = [f"Point {i}\nDetail {i}" for i in range(1, 8)]
    assets = renderer.render(make_variant(Format.CAROUSEL, slides=slides), brand)
    assert len(assets) == 7 and {a.role for a in assets} == {"slide"}
    assert len({a.sha256 for a in assets}) == 7
    for a in assets:
        assert (a.width, a.height) == (1080, 1350) and validate_file(Path(a.path), "carousel") == []


def test_story_without_beats_is_a_vertical_jpeg(renderer, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    (asset,) = renderer.render(make_variant(Format.STORY), brand)
    assert (asset.width, asset.height, asset.mime) == (1080, 1920, "image/jpeg")
    assert validate_file(Path(asset.path), "story") == []


def test_reel_gives_mp4_and_cover_and_second_render_is_cached(store, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    r = Renderer(store, SimulatedClock())
    v = make_variant(Format.REEL, beats=SHORT_BEATS)
    video, cover = r.render(v, brand)
    assert (video.mime, video.role, video.width, video.height) == ("video/mp4", "main", 1080, 1920)
    assert 3.0 <= video.duration_s < 10 and (cover.role, cover.mime) == ("cover", "image/jpeg")
    assert validate_file(Path(video.path), "reel") == [] and validate_file(Path(cover.path),
                                                                           "cover") == []
    assert r.timelines[v.id].cues[1].caption == "Then move."
    mtimes = [Path(a.path).stat().st_mtime_ns for a in (video, cover)]
    misses = store.misses
    again = Renderer(store, SimulatedClock()).render(v, brand)
    assert again == [video, cover] and store.misses == misses and store.hits >= 2
    assert [Path(a.path).stat().st_mtime_ns for a in again] == mtimes


def test_cache_hit_for_stills_and_miss_when_inputs_change(store, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    r = Renderer(store, SimulatedClock())
    (a,) = r.render(make_variant(Format.IMAGE), brand)
    mtime = Path(a.path).stat().st_mtime_ns
    (b,) = r.render(make_variant(Format.IMAGE), brand)
    assert b == a and store.misses == 1 and Path(a.path).stat().st_mtime_ns == mtime
    (c,) = r.render(make_variant(Format.IMAGE), replace(brand, colors=("#000000", "#ff0000")))
    assert c.sha256 != a.sha256 and store.misses == 2
    removed = store.gc({c.sha256})
    assert Path(a.path) in removed and Path(c.path).exists()


def test_bad_colour_and_overlong_text_recover_with_safe_rerender(renderer, make_variant) -> None:  # type: ignore[no-untyped-def]
    brand = BrandProfile(colors=("not-a-colour", "#f2c14e"))
    (a,) = renderer.render(make_variant(Format.IMAGE), brand)
    assert validate_file(Path(a.path), "feed") == []
    (b,) = renderer.render(make_variant(Format.IMAGE, hook="word " * 2000), BrandProfile())
    assert validate_file(Path(b.path), "feed") == []


@pytest.mark.parametrize(
    "kw",
    [
        {"format": Format.CAROUSEL, "slides": ["only one"]},
        {"format": Format.CAROUSEL, "slides": [f"s{i}" for i in range(11)]},
        {"format": Format.REEL, "beats": []},
        {"format": Format.IMAGE, "hook": "  ", "slides": []},
        {"format": "gif"},
    ],
)
def test_impossible_input_raises_render_failed_only(renderer, make_variant, brand, kw) -> None:  # type: ignore[no-untyped-def]
    fmt = kw.pop("format")
    v = make_variant(Format.IMAGE, **kw)
    v.format = fmt
    with pytest.raises(RenderFailed) as err:
        renderer.render(v, brand)
    assert err.value.variant_id == v.id and err.value.reason


class BrokenTTS:
    """A voice engine that always fails (stands in for a crashed local TTS binary)."""

    name = "broken"

    def synthesize(self, text: str, out: Path) -> None:
        raise RuntimeError("voice engine crashed")


def test_failing_tts_is_retried_once_then_render_failed(tmp_path, make_variant, brand) -> None:  # type: ignore[no-untyped-def]
    store = AssetStore(tmp_path / "a")
    r = Renderer(store, SimulatedClock(), tts=BrokenTTS())
    with pytest.raises(RenderFailed) as err:
        r.render(make_variant(Format.REEL, beats=SHORT_BEATS), brand)
    assert "voice engine crashed" in err.value.reason and "safe re-render" in err.value.reason
    assert store.misses == 2  # first attempt + one safe re-render, nothing more
    assert store.keys() == set()  # nothing half-written left behind


def test_multi_frame_story_is_one_vertical_video_with_every_frame(renderer, make_variant, brand,
                                                                   media) -> None:  # type: ignore[no-untyped-def]
    frames = ["Cold brew in 3 steps", "Coarse grind\n1:8 ratio, 16 hours in the fridge",
              "Save this for Sunday"]
    assets = renderer.render(make_variant(Format.STORY, slides=frames), brand)
    assert [(a.mime, a.role) for a in assets] == [("video/mp4", "main")]  # stories take no cover
    (video,) = assets
    assert (video.width, video.height) == (1080, 1920)
    assert validate_file(Path(video.path), "story") == []
    assert abs(video.duration_s - 15.0) < 0.05  # 5 s per frame, inside the 60 s story limit
    grey = media.gray_frames(Path(video.path))
    changes = 1 + int((np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2)) > 2.0).sum())
    assert changes == 3  # one distinct still per frame
    tl = renderer.timelines["v-story"]
    assert [c.on_screen for c in tl.cues] == frames and all(c.caption == "" for c in tl.cues)


def test_generated_story_variants_render(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stories as the template generator writes them (what the loop renders when enabled)."""
    from datetime import UTC, datetime

    from contentloop.creative.engine import TemplateGenerator
    from contentloop.domain import Account, Post

    acc = Account("sandbox_coffee", formats=(Format.STORY,))
    post = Post("p1", acc.handle, "2026-01-05", datetime(2026, 1, 5, 9, tzinfo=UTC))
    variants = TemplateGenerator(3).generate(acc, post, [], 1)
    assert variants and {v.format for v in variants} == {Format.STORY}
    r = Renderer(AssetStore(tmp_path / "a"), SimulatedClock())
    for v in variants:
        (main,) = r.render(v, acc.brand)
        kind = "story"
        assert validate_file(Path(main.path), kind) == []
        assert (main.width, main.height) == (1080, 1920)
