"""Soundtrack: loudness (checked against ffmpeg's ebur128) and a music bed ducked under speech."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from contentloop.domain import Beat, BrandProfile, Format, SimulatedClock
from contentloop.render import AssetStore, EspeakTTS, Renderer, SilentTTS, build_reel, make_style
from contentloop.render.audio import (
    DUCK_DB,
    SAMPLE_RATE,
    TARGET_LUFS,
    duck_envelope,
    integrated_loudness,
    mix,
)
from contentloop.render.reel import ReelResult

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
TONE_HZ = 2500

#: speech, a visual-only beat (no voice: the bed comes back up), speech
DUCK_BEATS = [
    Beat(0, 2, "One", "Grind your beans just before you brew."),
    Beat(2, 5, "Breathe", ""),
    Beat(5, 7, "Two", "Use water just off the boil."),
]


def ebur128(path: Path) -> tuple[float, float]:
    """ffmpeg's own integrated loudness (LUFS) and true peak (dBTP) of a file's audio."""
    err = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr
    summary = err[err.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return lufs, peak


def tone(path: Path, seconds: float = 2.0, hz: int = TONE_HZ) -> Path:
    """A short test music bed made by ffmpeg (no downloads); it gets looped by the mixer."""
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency={hz}:sample_rate=44100:duration={seconds}", "-ac", "2",
         str(path)],
        check=True,
    )
    return path


def tone_level_db(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    """Amplitude of the TONE_HZ component over [start, end) by lock-in detection, in dB.

    Projection onto the exact frequency over >=200 ms rejects speech (which is spread out).
    """
    a, b = int(start * rate), int(end * rate)
    x = samples[a:b].astype(np.float64)
    t = np.arange(a, b) / rate
    i = 2 * np.mean(x * np.cos(2 * np.pi * TONE_HZ * t))
    q = 2 * np.mean(x * np.sin(2 * np.pi * TONE_HZ * t))
    return float(20 * np.log10(np.hypot(i, q) + 1e-9))


@pytest.fixture(scope="module")
def ducked(tmp_path_factory: pytest.TempPathFactory) -> ReelResult:
    d = tmp_path_factory.mktemp("duck")
    return build_reel(DUCK_BEATS, make_style(BrandProfile().colors), d / "r.mp4", EspeakTTS(),
                      d / "w", music=tone(d / "bed.ogg"))


def test_our_loudness_matches_ffmpeg_ebur128(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    # speech-like: noise bursts with pauses, at two very different levels
    sig = rng.normal(0, 1, SAMPLE_RATE * 6).astype(np.float32)
    sig *= np.repeat(rng.uniform(0, 1, 60) > 0.4, SAMPLE_RATE // 10).astype(np.float32)
    for level in (0.02, 0.2):
        x = sig * level
        wav = tmp_path / f"n{level}.wav"
        from contentloop.render.tts import write_wav

        write_wav(wav, x, SAMPLE_RATE, channels=2)
        ours = integrated_loudness(x, channels=2)
        theirs, _ = ebur128(wav)
        assert abs(ours - theirs) <= 0.2, (level, ours, theirs)


def test_session_reel_is_loudness_normalised(reel: ReelResult) -> None:
    lufs, peak = ebur128(reel.path)
    assert abs(lufs - TARGET_LUFS) <= 1.0, lufs
    assert abs(lufs - reel.lufs) <= 0.5, (lufs, reel.lufs)  # what we report is what ships
    assert peak <= -0.5  # no clipping after AAC


def test_music_bed_is_ducked_under_each_spoken_line(ducked: ReelResult, media) -> None:  # type: ignore[no-untyped-def]
    rate = 48000
    audio = media.audio(ducked.path, rate)
    cues = ducked.timeline.cues
    assert ducked.music and cues[1].speech_end_s == cues[1].speech_start_s  # no voice in beat 2
    spoken = [tone_level_db(audio, rate, c.speech_start_s + 0.1, c.speech_end_s - 0.1)
              for c in (cues[0], cues[2])]
    # the middle of the silent beat, after the release and before the next attack
    free = tone_level_db(audio, rate, cues[0].speech_end_s + 0.5, cues[2].start_s - 0.25)
    assert free > -40  # the bed is really in the mix
    for level in spoken:
        assert DUCK_DB - 2 <= free - level <= DUCK_DB + 2, (free, spoken)
    lufs, _ = ebur128(ducked.path)
    assert abs(lufs - TARGET_LUFS) <= 1.0


def test_without_music_there_is_no_tone(reel: ReelResult, media) -> None:  # type: ignore[no-untyped-def]
    audio = media.audio(reel.path, 48000)
    assert tone_level_db(audio, 48000, 0, reel.timeline.duration_s) < -60


def test_duck_envelope_ramps_end_at_speech_start() -> None:
    env = duck_envelope(SAMPLE_RATE * 4, [(1.0, 2.0)], duck_db=12)
    db = 20 * np.log10(env)
    assert db[int(0.5 * SAMPLE_RATE)] == 0  # before the attack
    assert db[int(1.0 * SAMPLE_RATE)] == pytest.approx(-12, abs=0.01)  # fully down at onset
    assert -12 < db[int(0.9 * SAMPLE_RATE)] < 0  # ramping
    assert db[int(3.0 * SAMPLE_RATE)] == 0  # released


def test_mix_of_silence_and_no_music_stays_silent() -> None:
    out = mix(np.zeros(SAMPLE_RATE, dtype=np.float32), [(0.0, 0.5)], None)
    assert not out.music and np.all(out.samples == 0) and not np.isfinite(out.lufs)


def test_renderer_takes_music_per_account_and_keys_the_cache_on_it(tmp_path: Path, make_variant,
                                                                   brand) -> None:  # type: ignore[no-untyped-def]
    store = AssetStore(tmp_path / "a")
    beats = [Beat(0, 2, "Tip", "Rinse the filter."), Beat(2, 4, "Two", "Then bloom.")]
    v = make_variant(Format.REEL, beats=beats)
    plain, _ = Renderer(store, SimulatedClock(), tts=SilentTTS()).render(v, brand)
    bed = tone(tmp_path / "bed.ogg")
    r = Renderer(store, SimulatedClock(), tts=SilentTTS(), music={v.account: bed})
    scored, _ = r.render(v, brand)
    assert scored.sha256 != plain.sha256 and r.music_for(v, brand) == bed
    other = tone(tmp_path / "bed2.ogg", hz=600)  # different bytes: a new render
    third, _ = Renderer(store, SimulatedClock(), tts=SilentTTS(), music={v.account: other}
                        ).render(v, brand)
    assert len({plain.sha256, scored.sha256, third.sha256}) == 3
    # a missing music file falls back to the safe re-render without music, not a failure
    missing = Renderer(store, SimulatedClock(), tts=SilentTTS(),
                       music={v.account: tmp_path / "nope.mp3"})
    fallback, _ = missing.render(v, brand)
    assert Path(fallback.path).is_file()
