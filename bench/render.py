"""Render benchmark: our reel pipeline vs moviepy vs a bare ffmpeg encode; carousel throughput.

Each reel pipeline runs in its own fresh Python process (so peak memory is per pipeline),
interleaved and repeated, and the median wall time is kept:

* ours     - `build_reel`: espeak-ng lines (parallel) + Pillow stills + numpy mix + ONE ffmpeg
* moviepy_composite - the equivalent moviepy pipeline as moviepy users write it, from the same
             script: espeak-ng per line, a background ColorClip, TextClips for the on-screen
             text and the captions timed to each spoken line, CompositeVideoClip and
             CompositeAudioClip, write_videofile with the SAME codec settings. This is the
             headline `reel_speedup_vs_moviepy`.
* moviepy  - (most favourable to moviepy) OUR prepared inputs (same TTS wav, same beat stills,
             i.e. our Pillow compositing) merely assembled by moviepy 2.x:
             ImageClip per beat, concatenate_videoclips, with_audio, write_videofile with the
             SAME codec settings (libx264 preset/crf/gop, aac 128k 48 kHz); also with moviepy's
             default settings (preset medium, 44.1 kHz audio) for reference
* ours_motion - ours with the slow-pan option (context figure, one run)
* floor    - one bare ffmpeg encode of the same length and size: colour source + silent audio,
             same codec settings: the cost of just encoding 1080x1920@30 with x264

Wall time is the headline; CPU seconds (utime+stime of the process and its children) are
printed too, since they hardly change when other jobs share the machine.
Peak memory: ru_maxrss of the pipeline's Python process plus its largest child (ffmpeg),
from resource.getrusage (the floor counts only its ffmpeg).

Run: python bench/render.py [--quick]   (figures printed last as name=value)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contentloop.domain import Beat, BrandProfile, Format, SimulatedClock, Variant

BEATS = [
    Beat(0, 3, "Mornings feel short?", "Here is why your mornings feel so very short.", "hook"),
    Beat(3, 6, "1. Batch email", "Check your email twice a day, not fifty times.", "body"),
    Beat(6, 9, "2. Plan tonight", "Write down three tasks before you go to sleep.", "body"),
    Beat(9, 12, "3. Move first", "Ten minutes of movement beats a second coffee.", "body"),
    Beat(12, 15, "Save this", "Save this and try one of them tomorrow.", "cta"),
]


def _ffmpeg_settings() -> list[str]:
    from contentloop.render.reel import CRF, FPS, PRESET

    return ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-profile:v", "high",
            "-g", str(FPS * 2), "-bf", "0", "-pix_fmt", "yuv420p", "-r", str(FPS),
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
            "-movflags", "+faststart"]


def _style():  # type: ignore[no-untyped-def]
    from contentloop.render import make_style

    return make_style(BrandProfile().colors, "Noto Sans")


def worker(mode: str, workdir: Path, duration: float) -> dict[str, float]:
    """One pipeline run in this (fresh) process; returns wall seconds and peak RSS."""
    from contentloop.render import EspeakTTS
    from contentloop.render.reel import encode_reel, prepare_reel

    out = workdir / f"{mode}.mp4"
    extra: dict[str, float] = {}

    def cpu() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    c0 = cpu()
    t0 = time.perf_counter()
    if mode in ("ours", "ours_motion"):
        prep = prepare_reel(BEATS, _style(), EspeakTTS(), workdir / "w",
                            motion=mode == "ours_motion")
        encode_reel(prep, out)
        extra["duration_s"] = prep.timeline.duration_s
    elif mode in ("moviepy", "moviepy_defaults"):
        from moviepy import AudioFileClip, ImageClip, concatenate_videoclips

        prep = prepare_reel(BEATS, _style(), EspeakTTS(), workdir / "w")
        clips = [ImageClip(str(prep.stills[c.index])).with_duration(c.end_s - c.start_s)
                 for c in prep.timeline.cues]
        video = concatenate_videoclips(clips).with_audio(AudioFileClip(str(prep.soundtrack)))
        if mode == "moviepy":
            from contentloop.render.reel import CRF, FPS, PRESET

            video.write_videofile(
                str(out), fps=FPS, codec="libx264", audio_codec="aac", preset=PRESET,
                audio_fps=48000, audio_bitrate="128k", logger=None,
                ffmpeg_params=["-crf", str(CRF), "-g", str(FPS * 2), "-bf", "0",
                               "-profile:v", "high", "-movflags", "+faststart"],
            )
        else:
            video.write_videofile(str(out), fps=30, codec="libx264", audio_codec="aac",
                                  logger=None)
        video.close()
        extra["duration_s"] = prep.timeline.duration_s
    elif mode == "moviepy_composite":
        # The idiomatic moviepy pipeline a script-to-reel tool writes: the same script and
        # TTS, but background, on-screen text and timed captions composited by moviepy.
        from moviepy import (
            AudioFileClip,
            ColorClip,
            CompositeAudioClip,
            CompositeVideoClip,
            TextClip,
        )

        from contentloop.render.fonts import find_font
        from contentloop.render.reel import CRF, FPS, PRESET

        font = str(find_font("Noto Sans"))
        tts = EspeakTTS()
        (workdir / "mp").mkdir(parents=True, exist_ok=True)
        layers, voices, t = [], [], 0.0
        for i, beat in enumerate(BEATS):
            wav = workdir / "mp" / f"line{i}.wav"
            tts.synthesize(beat.voice_over, wav)
            voice = AudioFileClip(str(wav)).with_start(t)
            span = max(voice.duration + 0.35, 1.0)
            voices.append(voice)
            layers.append(TextClip(font=font, text=beat.on_screen, font_size=96, color="white",
                                   method="caption", size=(900, 600)).with_position(
                                       ("center", 500)).with_start(t).with_duration(span))
            layers.append(TextClip(font=font, text=beat.voice_over, font_size=48, color="white",
                                   method="caption", size=(900, 300)).with_position(
                                       ("center", 1250)).with_start(t).with_duration(span))
            t += span
        bg = ColorClip((1080, 1920), color=(31, 42, 68)).with_duration(t)
        video = CompositeVideoClip([bg, *layers], size=(1080, 1920)).with_duration(t)
        video = video.with_audio(CompositeAudioClip(voices).with_duration(t))
        video.write_videofile(
            str(out), fps=FPS, codec="libx264", audio_codec="aac", preset=PRESET,
            audio_fps=48000, audio_bitrate="128k", logger=None,
            ffmpeg_params=["-crf", str(CRF), "-g", str(FPS * 2), "-bf", "0",
                           "-profile:v", "high", "-movflags", "+faststart"],
        )
        video.close()
        extra["duration_s"] = t
    elif mode == "floor":
        subprocess.run(
            [shutil.which("ffmpeg") or "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", f"color=c=0x1f2a44:s=1080x1920:r=30:d={duration:.3f}",
             "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", f"{duration:.3f}",
             *_ffmpeg_settings(), str(out)],
            check=True,
        )
        extra["duration_s"] = duration
    else:
        raise SystemExit(f"unknown mode {mode}")
    wall = time.perf_counter() - t0
    cpu_s = cpu() - c0
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak = kids if mode == "floor" else me + kids
    return {"wall_s": wall, "cpu_s": cpu_s, "peak_mb": peak, "child_peak_mb": kids,
            "bytes": float(out.stat().st_size), **extra}


def run_worker(mode: str, workdir: Path, duration: float) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--dir", str(workdir),
         "--duration", str(duration)],
        capture_output=True, text=True, check=False, timeout=600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} worker failed:\n{proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def carousel_slides_per_s(rounds: int) -> float:
    """A 10-slide carousel through the Renderer (compose, JPEG, validate), cold store."""
    from contentloop.render import AssetStore, Renderer

    slides = [f"Point {i}: a short headline\nOne line of detail that wraps onto a second line"
              for i in range(1, 11)]
    n, elapsed = 0, 0.0
    for r in range(rounds):
        with tempfile.TemporaryDirectory() as d:
            renderer = Renderer(AssetStore(Path(d)), SimulatedClock())
            v = Variant(id=f"c{r}", post_id="p", account="a", format=Format.CAROUSEL,
                        hook="", hook_style="list", caption="", hashtags=[], slides=slides)
            t = time.perf_counter()
            n += len(renderer.render(v, BrandProfile()))
            elapsed += time.perf_counter() - t
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--duration", type=float, default=15.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.dir, args.duration)))
        return

    reps = 2 if args.quick else 4
    runs: dict[str, list[dict[str, float]]] = {
        "ours": [], "moviepy_composite": [], "moviepy": [], "moviepy_defaults": [], "floor": [],
        "ours_motion": []}
    with tempfile.TemporaryDirectory(prefix="bench-render-") as d:
        root = Path(d)
        duration = run_worker("ours", root / "warm", 15.0)["duration_s"]  # warm caches
        for i in range(reps):  # interleaved, so load drift hits every pipeline alike
            for mode in ("ours", "floor", "moviepy_composite", "moviepy"):
                runs[mode].append(run_worker(mode, root / f"{mode}{i}", duration))
                print(f"  {mode:16} run {i + 1}: {runs[mode][-1]['wall_s']:.2f} s", flush=True)
        for mode in ("moviepy_defaults", "ours_motion"):  # context figures: one run each
            runs[mode].append(run_worker(mode, root / mode, duration))
            print(f"  {mode:16} run 1: {runs[mode][-1]['wall_s']:.2f} s", flush=True)
    slides_per_s = carousel_slides_per_s(2 if args.quick else 5)

    def med(mode: str, key: str = "wall_s") -> float:
        return statistics.median(r[key] for r in runs[mode])

    print(f"reel: {duration:.2f} s, 1080x1920@30, {len(BEATS)} beats, espeak-ng voice-over; "
          f"median of {reps} interleaved runs per pipeline")
    for mode in runs:
        print(f"  {mode:16} {med(mode):6.2f} s wall {med(mode, 'cpu_s'):6.2f} s cpu  "
              f"peak {med(mode, 'peak_mb'):6.0f} MB "
              f"(largest child {med(mode, 'child_peak_mb'):.0f} MB)  "
              f"file {med(mode, 'bytes') / 1e3:.0f} kB")
    print(f"reel_s={med('ours'):.3f}")
    print(f"moviepy_s={med('moviepy'):.3f}")
    print(f"floor_s={med('floor'):.3f}")
    print(f"reel_speedup_vs_moviepy_defaults={med('moviepy_defaults') / med('ours'):.2f}")
    # CPU seconds (process + children) barely move with other load on the machine
    print(f"reel_speedup_vs_moviepy_cpu={med('moviepy', 'cpu_s') / med('ours', 'cpu_s'):.2f}")
    print(f"reel_cost_over_floor_cpu={med('ours', 'cpu_s') / med('floor', 'cpu_s'):.2f}")
    print(f"reel_motion_cost_over_static={med('ours_motion') / med('ours'):.2f}")
    print(f"moviepy_peak_mb={med('moviepy', 'peak_mb'):.0f}")
    print(f"floor_peak_mb={med('floor', 'peak_mb'):.0f}")
    print(f"reel_speedup_vs_moviepy_prerendered={med('moviepy') / med('ours'):.2f}")
    print(f"reel_speedup_vs_moviepy_composite_cpu="
          f"{med('moviepy_composite', 'cpu_s') / med('ours', 'cpu_s'):.2f}")
    print(f"reel_speedup_vs_moviepy={med('moviepy_composite') / med('ours'):.2f}")
    print(f"reel_cost_over_floor={med('ours') / med('floor'):.2f}")
    print(f"slides_per_s={slides_per_s:.1f}")
    print(f"reel_peak_mb={med('ours', 'peak_mb'):.0f}")


if __name__ == "__main__":
    main()
