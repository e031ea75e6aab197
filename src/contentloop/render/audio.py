"""The reel's soundtrack, mixed in numpy before the single ffmpeg encode.

Voice lines are placed at their cue times; an optional music bed is looped, faded and ducked
under every spoken line by volume automation taken from the timeline itself (we know exactly
when each line is spoken, so no sidechain detector can lag or pump); the mix is normalised to
an integrated loudness (ITU-R BS.1770-4, as measured by ffmpeg's `ebur128`) with a peak cap.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import lfilter

from .errors import ToolFailed

SAMPLE_RATE = 48000
#: Integrated loudness of the encoded (stereo) reel. -16 LUFS: the mobile/podcast norm
#: (AES TD1004); louder would force the peak cap to squash espeak's spiky speech.
TARGET_LUFS = -16.0
PEAK_DBFS = -1.5
#: Music bed level under the voice: its loudness relative to the voice's, and extra ducking
#: while a line is spoken.
MUSIC_BELOW_VOICE_LU = 6.0
DUCK_DB = 12.0
DUCK_ATTACK_S = 0.15  # ramp down, ending exactly where the line starts
DUCK_RELEASE_S = 0.35  # ramp up after the line ends
FADE_IN_S = 0.5
FADE_OUT_S = 1.0
STEREO_GAIN_LU = 10 * np.log10(2.0)  # a mono track duplicated to L+R measures 3.01 LU louder

# K-weighting pre-filter of BS.1770 at 48 kHz: high shelf, then RLB high-pass.
_SHELF_B = (1.53512485958697, -2.69169618940638, 1.19839281085285)
_SHELF_A = (1.0, -1.69065929318241, 0.73248077421585)
_HP_B = (1.0, -2.0, 1.0)
_HP_A = (1.0, -1.99004745483398, 0.99007225036621)


def integrated_loudness(samples: np.ndarray, rate: int = SAMPLE_RATE, channels: int = 1) -> float:
    """BS.1770-4 gated integrated loudness (LUFS).

    `samples` is mono (then played identically on `channels` speakers) or (n, channels) for
    real multichannel audio (L/R weights 1). Returns -inf for silence. 48 kHz only (the
    K-filter coefficients are for it).
    """
    if rate != SAMPLE_RATE:
        raise ValueError("integrated_loudness expects 48 kHz audio")
    x = samples.astype(np.float64)
    x = x[:, None] if x.ndim == 1 else x
    weight = channels if samples.ndim == 1 else 1
    x = lfilter(_HP_B, _HP_A, lfilter(_SHELF_B, _SHELF_A, x, axis=0), axis=0)
    block, step = int(0.4 * rate), int(0.1 * rate)
    if x.shape[0] < block:
        x = np.pad(x, ((0, block - x.shape[0]), (0, 0)))
    power = (x * x).sum(axis=1)
    sq = np.concatenate(([0.0], np.cumsum(power)))
    starts = np.arange(0, power.size - block + 1, step)
    z = (sq[starts + block] - sq[starts]) / block * weight
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(z)
    z = z[loud > -70.0]
    if z.size == 0:
        return float("-inf")
    rel = -0.691 + 10 * np.log10(z.mean()) - 10.0
    z = z[-0.691 + 10 * np.log10(z) > rel]
    return float(-0.691 + 10 * np.log10(z.mean()))


def limit_peaks(samples: np.ndarray, peak_dbfs: float = PEAK_DBFS, rate: int = SAMPLE_RATE,
                window_s: float = 0.01) -> np.ndarray:
    """Look-ahead peak limiter: every sample ends at or under `peak_dbfs`, with gain changes
    smoothed over `window_s` (a minimum filter twice as wide as the moving average guarantees
    the smoothed gain never exceeds what any peak in reach needs)."""
    limit = 10 ** (peak_dbfs / 20)
    mag = np.abs(samples)
    if mag.size == 0 or float(mag.max()) <= limit:
        return samples.astype(np.float32)
    need = np.minimum(1.0, limit / np.maximum(mag, 1e-12))
    w = max(1, int(window_s * rate)) | 1
    floor = minimum_filter1d(need, size=2 * w + 1, mode="nearest")
    smooth = uniform_filter1d(floor, size=w, mode="nearest")
    out = samples * np.minimum(smooth, need)  # min(): float rounding can never overshoot
    return out.astype(np.float32)


def normalize_loudness(
    samples: np.ndarray, target_lufs: float = TARGET_LUFS, peak_dbfs: float = PEAK_DBFS,
    channels: int = 2,
) -> tuple[np.ndarray, float]:
    """Gain `samples` to `target_lufs` (as heard on `channels`), limiting peaks to `peak_dbfs`.

    Two passes: limiting lowers loudness a little, so the gain is corrected once and the
    limiter runs again. Returns the new samples and the loudness they now measure.
    """
    x = samples.astype(np.float32)
    now = integrated_loudness(x, channels=channels)
    if not np.isfinite(now):
        return x, now
    for _ in range(2):
        x = limit_peaks(x * np.float32(10 ** ((target_lufs - now) / 20)), peak_dbfs)
        now = integrated_loudness(x, channels=channels)
    return x, now


def decode_audio(
    path: Path, rate: int = SAMPLE_RATE, timeout_s: float = 120, channels: int = 1
) -> np.ndarray:
    """Any audio file ffmpeg can read, as float32 at `rate`: mono (n,) or (n, channels)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ToolFailed("ffmpeg", "not installed (apt-get install ffmpeg)")
    if not Path(path).is_file():
        raise ToolFailed("ffmpeg", f"music file {path} does not exist")
    proc = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", str(channels),
         "-ar", str(rate),
         "-f", "f32le", "-"],
        capture_output=True, timeout=timeout_s, check=False,
    )
    if proc.returncode != 0:
        raise ToolFailed("ffmpeg", f"cannot decode music {path}: "
                         + proc.stderr.decode("utf-8", "replace").strip())
    data = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)
    return data if channels == 1 else data.reshape(-1, channels)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (the music bed is part of a reel's cache key)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def duck_envelope(
    n: int, speech: Sequence[tuple[float, float]], rate: int = SAMPLE_RATE,
    duck_db: float = DUCK_DB, attack_s: float = DUCK_ATTACK_S, release_s: float = DUCK_RELEASE_S,
) -> np.ndarray:
    """Gain per sample: 1 outside speech, -duck_db inside, linear-in-dB ramps around each line.

    The ramp down ends where the line starts, so the first syllable is never masked.
    """
    depth = np.zeros(n, dtype=np.float32)  # 0 = full level, 1 = fully ducked
    t = np.arange(n, dtype=np.float32) / rate
    for start, end in speech:
        if end <= start:
            continue
        d = np.clip((t - (start - attack_s)) / attack_s, 0, 1)
        d = np.minimum(d, np.clip(((end + release_s) - t) / release_s, 0, 1))
        np.maximum(depth, d, out=depth)
    return (10 ** (-duck_db * depth / 20)).astype(np.float32)


def fit_length(music: np.ndarray, n: int) -> np.ndarray:
    """Loop (or cut) the bed to exactly `n` samples."""
    if music.size == 0:
        return np.zeros(n, dtype=np.float32)
    reps = -(-n // music.size)
    return np.tile(music, reps)[:n].astype(np.float32)


def fades(n: int, rate: int = SAMPLE_RATE, fade_in_s: float = FADE_IN_S,
          fade_out_s: float = FADE_OUT_S) -> np.ndarray:
    g = np.ones(n, dtype=np.float32)
    a, b = min(n, int(fade_in_s * rate)), min(n, int(fade_out_s * rate))
    if a:
        g[:a] = np.linspace(0, 1, a, dtype=np.float32)
    if b:
        g[n - b:] *= np.linspace(1, 0, b, dtype=np.float32)
    return g


@dataclass(frozen=True, slots=True)
class Mix:
    """The mixed mono track and what it measures (for the render's metadata and tests)."""

    samples: np.ndarray
    lufs: float
    voice_lufs: float
    music: bool


def mix(
    voice: np.ndarray, speech: Sequence[tuple[float, float]], music: np.ndarray | None = None, *,
    rate: int = SAMPLE_RATE, target_lufs: float = TARGET_LUFS,
    music_below_voice_lu: float = MUSIC_BELOW_VOICE_LU, duck_db: float = DUCK_DB,
) -> Mix:
    """Voice plus an optional ducked, faded music bed, normalised to `target_lufs` (stereo)."""
    voice = voice.astype(np.float32)
    voice_lufs = integrated_loudness(voice) if voice.size else float("-inf")
    track = voice
    if music is not None and music.size:
        bed = fit_length(music, voice.size)
        bed_lufs = integrated_loudness(bed)
        if np.isfinite(bed_lufs):
            ref = voice_lufs if np.isfinite(voice_lufs) else target_lufs - STEREO_GAIN_LU
            bed = bed * np.float32(10 ** ((ref - music_below_voice_lu - bed_lufs) / 20))
            bed = bed * duck_envelope(voice.size, speech, rate, duck_db) * fades(voice.size, rate)
            track = voice + bed
    out, lufs = normalize_loudness(track, target_lufs, channels=2)
    return Mix(out, lufs, voice_lufs, music is not None and music.size > 0)
