"""Voice-over: a TTS protocol, espeak-ng by default, and WAV helpers to measure real durations.

Timing comes from the produced audio, never from a words-per-minute guess, so captions can be
aligned to what is actually spoken.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ToolFailed


@runtime_checkable
class TTS(Protocol):
    """Writes one spoken line as a mono 16-bit PCM WAV file."""

    @property
    def name(self) -> str:
        """Identity of voice and settings; part of the reel's cache key."""
        ...

    def synthesize(self, text: str, out: Path) -> None: ...


class EspeakTTS:
    """espeak-ng (Debian package), offline. `wpm` is espeak's rate; ~160 measures near 150 wpm."""

    def __init__(self, voice: str = "en", wpm: int = 160, exe: str | None = None) -> None:
        self.voice = voice
        self.wpm = wpm
        self.exe = exe or shutil.which("espeak-ng") or shutil.which("espeak")

    @property
    def name(self) -> str:
        return f"espeak-ng:{self.voice}:{self.wpm}"

    def synthesize(self, text: str, out: Path) -> None:
        if not self.exe:
            raise ToolFailed("espeak-ng", "not installed (apt-get install espeak-ng)")
        proc = subprocess.run(
            [self.exe, "-v", self.voice, "-s", str(self.wpm), "-w", str(out), "--stdin"],
            input=text.encode("utf-8"), capture_output=True, timeout=60, check=False,
        )
        if proc.returncode != 0 or not Path(out).is_file():
            raise ToolFailed("espeak-ng", proc.stderr.decode("utf-8", "replace") or "no output")


class SilentTTS:
    """Silence as long as the line would take at `wpm`: reels still render without a voice."""

    def __init__(self, wpm: int = 150, rate: int = 22050) -> None:
        self.wpm = wpm
        self.rate = rate

    @property
    def name(self) -> str:
        return f"silent:{self.wpm}"

    def synthesize(self, text: str, out: Path) -> None:
        seconds = max(0.5, len(text.split()) * 60.0 / self.wpm)
        write_wav(out, np.zeros(int(seconds * self.rate), dtype=np.float32), self.rate)


def default_tts(language: str = "en") -> TTS:
    """espeak-ng when installed, otherwise silence."""
    tts = EspeakTTS(voice=language or "en")
    return tts if tts.exe else SilentTTS()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the sample rate (8/16/32-bit PCM)."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2**31
    else:
        raise ToolFailed("wav", f"{path}: unsupported sample width {width}")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> None:
    """16-bit PCM; a mono signal is copied to every channel at full level (no pan law)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm, channels)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def trim_silence(samples: np.ndarray, rate: int, threshold: float = 0.01) -> np.ndarray:
    """Drop leading and trailing near-silence, so a line's start is its first audible sound."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return samples
    pad = int(0.01 * rate)
    return samples[max(0, loud[0] - pad): loud[-1] + pad]


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear-interpolation resampling; plenty for speech at 22-48 kHz."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32)
    n = int(round(samples.size * target / rate))
    x_new = np.linspace(0, samples.size - 1, n)
    return np.interp(x_new, np.arange(samples.size), samples).astype(np.float32)


def normalize(
    samples: np.ndarray, target_rms_db: float = -18.0, peak_db: float = -1.0
) -> np.ndarray:
    """Bring speech to a steady loudness (RMS of the voiced part) without clipping peaks."""
    voiced = samples[np.abs(samples) > 0.01]
    if voiced.size == 0:
        return samples
    rms = float(np.sqrt(np.mean(voiced**2)))
    gain = 10 ** (target_rms_db / 20) / max(rms, 1e-6)
    peak = float(np.max(np.abs(samples))) * gain
    limit = 10 ** (peak_db / 20)
    if peak > limit:
        gain *= limit / peak
    return (samples * gain).astype(np.float32)
