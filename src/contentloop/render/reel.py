"""Reels from beats with ffmpeg called directly: stills + voice-over + burned-in captions.

One PNG per beat (on-screen text and the spoken line drawn by Pillow), one soundtrack mixed in
numpy from the measured TTS lines and an optional ducked music bed (`audio.mix`), and a single
ffmpeg encode (concat demuxer + one filter graph). The beat timeline is re-timed from the real
speech durations on a 30 fps frame grid, so each caption appears on the exact frame its spoken
line starts. TTS lines are synthesised in parallel while Pillow draws the stills.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from contentloop.domain import Beat

from .audio import TARGET_LUFS, decode_audio, mix
from .errors import RenderError, ToolFailed
from .images import REEL_SAFE, VERTICAL, SafeArea, Style, compose_reel_frame
from .tts import TTS, read_wav, resample, trim_silence, write_wav

FPS = 30
SAMPLE_RATE = 48000
GAP_S = 0.35  # pause after each line (copywriting.md 3.3: 250-400 ms at beat boundaries)
MIN_BEAT_S = 1.0
MIN_TOTAL_S = 3.0
CRF = 23
#: x264 preset. Measured on 1080x1920 stills (bench/render.py): superfast encodes ~1.9x faster
#: than veryfast at the same CRF with equal SSIM (0.9989 vs 0.9983); ultrafast another ~1.4x
#: faster (1.5 s vs 2.1 s for 15 s) at SSIM 0.9992 against superfast. Files grow to ~950 kB
#: for 15 s (~0.5 Mbit/s), far below Instagram's 25 Mbit/s and 300 MB; Instagram re-encodes.
PRESET = "ultrafast"
#: Optional slow pan: each still is drawn this much larger (px, even) and a 1080x1920 window
#: drifts across it during its beat (a crop with moving offsets: no per-frame scaling, so it
#: costs ~1.3x a static reel, where a zoompan/scale zoom measured ~3x). Text keeps inside the
#: safe area at every offset because the still's safe margins grow by the travel.
PAN_X, PAN_Y = 40, 72
#: bump when the soundtrack recipe (mixing, loudness target) changes: part of the cache key
AUDIO_VERSION = f"mix2:{TARGET_LUFS}"


@dataclass(frozen=True, slots=True)
class Cue:
    """One beat on the real timeline: caption shown [start_s, end_s); speech starts at start_s."""

    index: int
    start_s: float
    end_s: float
    speech_start_s: float
    speech_end_s: float
    on_screen: str
    caption: str


@dataclass(frozen=True, slots=True)
class Timeline:
    cues: tuple[Cue, ...]
    duration_s: float
    fps: int = FPS

    def to_dict(self) -> dict[str, Any]:
        return {"fps": self.fps, "duration_s": self.duration_s,
                "cues": [asdict(c) for c in self.cues]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timeline:
        return cls(tuple(Cue(**c) for c in d["cues"]), float(d["duration_s"]), int(d["fps"]))


@dataclass(frozen=True, slots=True)
class ReelResult:
    path: Path
    timeline: Timeline
    width: int = 1080
    height: int = 1920
    #: integrated loudness of the soundtrack (LUFS, stereo) and whether a music bed is in it
    lufs: float = float("-inf")
    music: bool = False


def plan_timeline(
    beats: Sequence[Beat], speech_s: Sequence[float], *, fps: int = FPS, gap_s: float = GAP_S,
    min_beat_s: float = MIN_BEAT_S, min_total_s: float = MIN_TOTAL_S,
) -> Timeline:
    """Re-time beats from measured speech: each beat lasts its line plus a pause, in frames."""
    if len(beats) != len(speech_s):
        raise ValueError("one speech duration per beat")
    cues: list[Cue] = []
    frame = 0
    for i, (beat, speech) in enumerate(zip(beats, speech_s, strict=True)):
        scripted = max(0.0, beat.end_s - beat.start_s) if speech <= 0 else 0.0
        seg = max(speech + gap_s, min_beat_s, scripted)
        n = math.ceil(round(seg * fps, 6))
        start = frame / fps
        cues.append(Cue(i, start, (frame + n) / fps, start, start + speech,
                        beat.on_screen, beat.voice_over))
        frame += n
    if cues and frame / fps < min_total_s:
        extra = math.ceil(round((min_total_s - frame / fps) * fps, 6))
        frame += extra
        last = cues[-1]
        cues[-1] = Cue(last.index, last.start_s, frame / fps, last.speech_start_s,
                       last.speech_end_s, last.on_screen, last.caption)
    return Timeline(tuple(cues), frame / fps, fps)


def _run(cmd: list[str], timeout: float) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(Path(cmd[0]).name, f"timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        raise ToolFailed(Path(cmd[0]).name, proc.stderr.strip() or f"exit {proc.returncode}")


def _speak(tts: TTS, text: str, wav: Path) -> np.ndarray:
    """One line at 48 kHz, trimmed to its audible part (so its start is the first sound)."""
    if not text.strip():
        return np.zeros(0, dtype=np.float32)
    tts.synthesize(text.strip(), wav)
    samples, rate = read_wav(wav)
    return resample(trim_silence(samples, rate), rate, SAMPLE_RATE)


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything the encode needs: one still per cue, the mixed stereo soundtrack, timing."""

    timeline: Timeline
    stills: tuple[Path, ...]
    soundtrack: Path
    lufs: float
    music: bool
    motion: bool = False


def prepare_reel(
    beats: Sequence[Beat], style: Style, tts: TTS, workdir: Path, *, fps: int = FPS,
    music: Path | None = None, target_lufs: float = TARGET_LUFS, safe: SafeArea = REEL_SAFE,
    motion: bool = False,
) -> Prepared:
    """Speak every line, draw every still, re-time the beats and mix the soundtrack.

    `safe` is the text area: REEL_SAFE for reels, STORY_SAFE for story videos. `motion`
    draws oversized stills for the slow pan (see PAN_X).
    """
    size = (VERTICAL[0] + PAN_X, VERTICAL[1] + PAN_Y) if motion else VERTICAL
    if motion:
        safe = SafeArea(top=safe.top + PAN_Y, bottom=safe.bottom + PAN_Y, side=safe.side + PAN_X)
    if not beats:
        raise RenderError("a reel needs at least one beat")
    workdir.mkdir(parents=True, exist_ok=True)
    # TTS processes run in parallel while this thread draws the stills (they don't depend on
    # timing: a beat's still is the same whatever its duration).
    stills: list[Path] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        spoken = [pool.submit(_speak, tts, b.voice_over, workdir / f"line{i:02d}.wav")
                  for i, b in enumerate(beats)]
        bed = pool.submit(decode_audio, music) if music is not None else None
        for i, beat in enumerate(beats):
            comp = compose_reel_frame(beat.on_screen, beat.voice_over, style, safe, size)
            stills.append(workdir / f"beat{i:02d}.png")
            comp.image.save(stills[-1], "PNG", compress_level=1)
        lines = [f.result() for f in spoken]
        music_samples = bed.result() if bed is not None else None
    timeline = plan_timeline(beats, [x.size / SAMPLE_RATE for x in lines], fps=fps)

    track = np.zeros(int(round(timeline.duration_s * SAMPLE_RATE)), dtype=np.float32)
    for cue, samples in zip(timeline.cues, lines, strict=True):
        at = int(round(cue.speech_start_s * SAMPLE_RATE))
        track[at: at + samples.size] = samples[: max(0, track.size - at)]
    speech = [(c.speech_start_s, c.speech_end_s) for c in timeline.cues]
    mixed = mix(track, speech, music_samples, target_lufs=target_lufs)
    soundtrack = workdir / "soundtrack.wav"
    # stereo on disk: ffmpeg's own mono->stereo upmix would lower each side by 3 dB
    write_wav(soundtrack, mixed.samples, SAMPLE_RATE, channels=2)
    return Prepared(timeline, tuple(stills), soundtrack, mixed.lufs, mixed.music, motion)


def pan_filter(timeline: Timeline, pan_x: int = PAN_X, pan_y: int = PAN_Y) -> str:
    """A crop whose window drifts from one corner to the other during each beat, alternating
    direction per beat; offsets are even (4:2:0 chroma) so the crop never resamples."""
    progress = "0"
    for cue in reversed(timeline.cues):
        p = f"(t-{cue.start_s:.6f})/{max(cue.end_s - cue.start_s, 1e-3):.6f}"
        p = f"(1-{p})" if cue.index % 2 else p
        progress = f"if(lt(t\\,{cue.end_s:.6f})\\,{p}\\,{progress})"
    clamp = f"clip({progress}\\,0\\,1)"
    return (f"crop={VERTICAL[0]}:{VERTICAL[1]}"
            f":x='2*trunc({pan_x // 2}*{clamp})':y='2*trunc({pan_y // 2}*{clamp})'")


def encode_reel(
    prep: Prepared, out: Path, *, crf: int = CRF, preset: str = PRESET, timeout_s: float = 300,
) -> None:
    """The one ffmpeg encode: concat demuxer over the stills + the soundtrack -> MP4."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ToolFailed("ffmpeg", "not installed (apt-get install ffmpeg)")
    timeline, fps = prep.timeline, prep.timeline.fps
    listing = ["ffconcat version 1.0"]
    for cue in timeline.cues:
        listing += [f"file '{prep.stills[cue.index].name}'",
                    f"duration {cue.end_s - cue.start_s:.6f}"]
    listing.append(f"file '{prep.stills[timeline.cues[-1].index].name}'")  # last-dur quirk
    concat = prep.stills[0].parent / "frames.ffconcat"
    concat.write_text("\n".join(listing) + "\n", "utf-8")
    voice = prep.soundtrack
    vf = f"scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,fps={fps}"
    if prep.motion:
        vf += "," + pan_filter(timeline)

    _run([
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "concat", "-safe", "0", "-i", str(concat),
        "-i", str(voice),
        "-map", "0:v:0", "-map", "1:a:0",
        # convert each still once, then repeat frames: ~35 % faster than converting per frame
        "-vf", vf,
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high",
        # no B-frames: without an edit list (Instagram forbids them) B-frame reordering
        # would delay every frame by 2 frames against the audio
        "-g", str(fps * 2), "-bf", "0", "-colorspace", "bt709", "-color_primaries", "bt709",
        "-color_trc", "bt709", "-fps_mode", "cfr", "-r", str(fps),
        "-c:a", "aac", "-b:a", "128k", "-ar", str(SAMPLE_RATE), "-ac", "2",
        "-t", f"{timeline.duration_s:.6f}",
        "-movflags", "+faststart", "-use_editlist", "0",
        "-f", "mp4", str(out),
    ], timeout_s)


def build_reel(
    beats: Sequence[Beat], style: Style, out: Path, tts: TTS, workdir: Path, *,
    fps: int = FPS, crf: int = CRF, preset: str = PRESET, timeout_s: float = 300,
    music: Path | None = None, target_lufs: float = TARGET_LUFS, safe: SafeArea = REEL_SAFE,
    motion: bool = False,
) -> ReelResult:
    """Render `beats` to an Instagram-ready MP4 at `out`; return it with its timeline.

    `music` is an optional bed (any format ffmpeg reads), looped and ducked under the voice.
    """
    if shutil.which("ffmpeg") is None:
        raise ToolFailed("ffmpeg", "not installed (apt-get install ffmpeg)")
    prep = prepare_reel(beats, style, tts, workdir, fps=fps, music=music,
                        target_lufs=target_lufs, safe=safe, motion=motion)
    encode_reel(prep, out, crf=crf, preset=preset, timeout_s=timeout_s)
    return ReelResult(out, prep.timeline, lufs=prep.lufs, music=prep.music)
