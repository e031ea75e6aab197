from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from contentloop.render import MediaInvalid, ensure_valid, validate_image, validate_video
from contentloop.render.validate import top_level_atoms


def _img(path: Path, size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB") -> Path:
    Image.new(mode, size, (10, 20, 30) if mode == "RGB" else 0).save(path, fmt)
    return path


def test_good_feed_and_story_images_pass(tmp_path: Path) -> None:
    assert validate_image(_img(tmp_path / "a.jpg", (1080, 1350)), "feed") == []
    assert validate_image(_img(tmp_path / "b.jpg", (1080, 1080)), "carousel") == []
    assert validate_image(_img(tmp_path / "c.jpg", (1080, 1920)), "story") == []


def test_png_is_rejected(tmp_path: Path) -> None:
    problems = validate_image(_img(tmp_path / "a.png", (1080, 1350), "PNG"), "feed")
    assert any("JPEG only" in p for p in problems)


def test_one_to_three_image_is_rejected_for_feed(tmp_path: Path) -> None:
    problems = validate_image(_img(tmp_path / "tall.jpg", (400, 1200)), "feed")
    assert len(problems) == 1 and "aspect ratio 0.3333" in problems[0]
    with pytest.raises(MediaInvalid) as err:
        ensure_valid(tmp_path / "tall.jpg", "feed")
    assert err.value.problems == problems and "tall.jpg" in str(err.value)


def test_story_must_be_nine_by_sixteen_and_cmyk_is_rejected(tmp_path: Path) -> None:
    assert validate_image(_img(tmp_path / "s.jpg", (1080, 1350)), "story")
    cmyk = _img(tmp_path / "k.jpg", (1080, 1350), mode="CMYK")
    assert any("CMYK" in p for p in validate_image(cmyk, "feed"))


def test_oversized_image_is_rejected(tmp_path: Path) -> None:
    import numpy as np

    noise = np.random.default_rng(1).integers(0, 255, (3000, 2400, 3), dtype=np.uint8)
    path = tmp_path / "big.jpg"
    Image.fromarray(noise).save(path, "JPEG", quality=100)
    assert path.stat().st_size > 8 * 1024 * 1024
    assert any("8 MiB" in p for p in validate_image(path, "feed"))


def test_good_video_passes(tmp_path: Path, media) -> None:  # type: ignore[no-untyped-def]
    good = media.make_video(tmp_path / "ok.mp4")
    assert validate_video(good, "reel") == []
    assert validate_video(good, "story") == []
    atoms = top_level_atoms(good)
    assert atoms.index("moov") < atoms.index("mdat")


def test_two_second_video_is_too_short(tmp_path: Path, media) -> None:  # type: ignore[no-untyped-def]
    short = media.make_video(tmp_path / "short.mp4", seconds=2)
    problems = validate_video(short, "reel")
    assert len(problems) == 1 and "duration 2.0" in problems[0]


def test_yuv444_video_is_rejected(tmp_path: Path, media) -> None:  # type: ignore[no-untyped-def]
    bad = media.make_video(tmp_path / "444.mp4", pix_fmt="yuv444p")
    assert any("yuv444p" in p and "4:2:0" in p for p in validate_video(bad, "reel"))


def test_moov_after_mdat_and_high_rates_are_rejected(tmp_path: Path, media) -> None:  # type: ignore[no-untyped-def]
    slow = media.make_video(tmp_path / "slow.mp4", faststart=False)
    assert any("faststart" in p for p in validate_video(slow, "reel"))
    hi = media.make_video(tmp_path / "hi.mp4", rate=96000, fps=20)
    problems = validate_video(hi, "reel")
    assert any("96000" in p for p in problems) and any("frame rate 20" in p for p in problems)


def test_story_video_over_sixty_seconds_and_non_video_are_rejected(tmp_path: Path, media) -> None:  # type: ignore[no-untyped-def]
    long = media.make_video(tmp_path / "long.mp4", seconds=61, size="64x114", fps=24)
    assert validate_video(long, "reel") == []
    assert any("duration" in p for p in validate_video(long, "story"))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    assert any("not a readable video" in p for p in validate_video(junk, "reel"))
