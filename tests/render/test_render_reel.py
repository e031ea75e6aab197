from __future__ import annotations

import numpy as np

from contentloop.domain import Beat
from contentloop.render import plan_timeline, validate_video
from contentloop.render.reel import FPS, ReelResult
from contentloop.render.validate import probe, top_level_atoms

from .conftest import BEATS


def test_reel_probe_matches_instagram_spec(reel: ReelResult) -> None:
    info = probe(reel.path)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (v["codec_name"], v["pix_fmt"]) == ("h264", "yuv420p")
    assert (v["width"], v["height"]) == (1080, 1920)
    assert v["r_frame_rate"] == "30/1" and abs(_rate(v["avg_frame_rate"]) - 30) < 0.1
    assert a["codec_name"] == "aac" and int(a["sample_rate"]) == 48000
    atoms = top_level_atoms(reel.path)
    assert atoms.index("moov") < atoms.index("mdat")  # faststart
    assert validate_video(reel.path, "reel") == []
    assert abs(float(info["format"]["duration"]) - reel.timeline.duration_s) < 0.1
    assert 10 < reel.timeline.duration_s < 40


def test_timeline_is_retimed_from_speech_on_the_frame_grid(reel: ReelResult) -> None:
    cues = reel.timeline.cues
    assert [c.caption for c in cues] == [b.voice_over for b in BEATS]
    assert cues[0].start_s == 0
    for prev, cur in zip(cues, cues[1:], strict=False):
        assert cur.start_s == prev.end_s  # contiguous
        assert prev.speech_end_s < cur.speech_start_s  # lines never overlap
    for c in cues:
        assert c.speech_start_s == c.start_s
        assert abs(c.start_s * FPS - round(c.start_s * FPS)) < 1e-6
        assert c.speech_end_s - c.speech_start_s > 0.8  # real measured speech, not the script


def _rate(text: str) -> float:
    num, den = text.split("/")
    return int(num) / int(den)


def _speech_onsets(samples: np.ndarray, rate: int) -> list[float]:
    """Starts of sound after >= 280 ms of silence (10 ms RMS windows).

    espeak's pauses inside a line measure <= 200 ms; the renderer leaves >= 330 ms between lines.
    """
    win = rate // 100
    rms = np.sqrt(np.mean(samples[: len(samples) // win * win].reshape(-1, win) ** 2, axis=1))
    loud = rms > 0.003
    onsets, quiet = [], 100
    for i, on in enumerate(loud):
        if on and quiet >= 28:
            onsets.append(i / 100)
        quiet = 0 if on else quiet + 1
    return onsets


def _frame_changes(frames: np.ndarray) -> list[float]:
    diff = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    return [0.0] + [(i + 1) / FPS for i in np.flatnonzero(diff > 2.0)]


def test_captions_start_within_100ms_of_their_spoken_lines(reel: ReelResult, media) -> None:  # type: ignore[no-untyped-def]
    onsets = _speech_onsets(media.audio(reel.path), 8000)
    changes = _frame_changes(media.gray_frames(reel.path))
    cues = reel.timeline.cues
    assert len(changes) == len(cues), (changes, cues)  # one caption change per beat
    for cue, shown in zip(cues, changes, strict=True):
        spoken = min(onsets, key=lambda t, c=cue: abs(t - c.start_s))  # type: ignore[misc]
        assert abs(cue.start_s - spoken) <= 0.1, (cue, spoken)  # computed timeline vs audio
        assert abs(shown - spoken) <= 0.1, (shown, spoken)  # rendered caption vs audio
    # every other long pause is inside a line (a sentence break), never a missed line start
    for t in onsets:
        near = any(abs(t - c.start_s) <= 0.1 for c in cues)
        inside = any(c.start_s + 0.1 < t < c.speech_end_s for c in cues)
        assert near or inside, (t, cues)


def test_plan_timeline_pads_short_reels_to_three_seconds() -> None:
    beats = [Beat(0, 1, "Hi", "Hi"), Beat(1, 2, "", "")]
    tl = plan_timeline(beats, [0.4, 0.0])
    assert tl.duration_s >= 3.0 and tl.cues[-1].end_s == tl.duration_s
    assert tl.cues[1].start_s == tl.cues[0].end_s >= 0.4


def _frame(path, t: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One full-resolution grey frame at `t` seconds."""
    import shutil
    import subprocess

    raw = subprocess.run(
        [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path),
         "-frames:v", "1", "-vf", "format=gray", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(1920, 1080)


def test_slow_pan_moves_the_frame_and_keeps_text_in_the_safe_zone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from contentloop.domain import BrandProfile
    from contentloop.render import REEL_SAFE, SilentTTS, build_reel, make_style

    beats = [Beat(0, 3, "Grind finer than you think", "Like table salt, not sand."),
             Beat(3, 6, "Then bloom", "Thirty seconds, then pour slowly.")]
    r = build_reel(beats, make_style(BrandProfile().colors), tmp_path / "m.mp4", SilentTTS(),
                   tmp_path / "w", motion=True)
    assert validate_video(r.path, "reel") == []
    safe = REEL_SAFE.box((1080, 1920))
    boxes = []
    for cue in r.timeline.cues:
        for t in (cue.start_s + 0.05, cue.end_s - 0.1):
            ys, xs = np.nonzero(_frame(r.path, t) > 200)  # light text on the dark brand bg
            box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
            assert safe.contains(box), (t, box, safe)
            boxes.append(box)
    # within each beat the picture drifts by tens of pixels (not a static still)
    for a, b in (boxes[0:2], boxes[2:4]):
        assert 20 <= abs(a[0] - b[0]) <= 40 and 40 <= abs(a[1] - b[1]) <= 72, (a, b)
