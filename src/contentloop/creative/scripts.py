"""Format-specific structures: timed reel beats, carousel slides and story frames.

Timing follows the copywriting notes: hook card ends by 3 s, every card stays up for
max(1.5 s, words / 2.5), voice-over at ~150 wpm (2.5 words/s), total 15-45 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contentloop.domain import Beat

from .textutil import word_count

WORDS_PER_S = 2.5
MIN_CARD_S = 1.5
MAX_CARD_S = 7.0
BEAT_PAUSE_S = 0.3
HOOK_END_S = 2.8
REEL_MIN_S = 15.0
REEL_MAX_S = 45.0
CAROUSEL_MIN_SLIDES = 5
CAROUSEL_MAX_SLIDES = 10


@dataclass(frozen=True, slots=True)
class Point:
    label: str  # on-screen, a few words
    line: str  # full sentence for caption and voice-over


@dataclass(frozen=True, slots=True)
class Cue:
    """An untimed beat: what to show and say, and its role."""

    on_screen: str
    voice_over: str
    role: str


def _natural_s(cue: Cue) -> float:
    words = max(word_count(cue.voice_over), word_count(cue.on_screen))
    return min(MAX_CARD_S, max(MIN_CARD_S, words / WORDS_PER_S + BEAT_PAUSE_S))


def time_beats(cues: Sequence[Cue]) -> list[Beat]:
    """Lay cues on a timeline; stretch or squeeze the non-hook beats into 15-45 s."""
    if not cues:
        return []
    rest = [_natural_s(c) for c in cues[1:]]
    total_rest = sum(rest)
    lo, hi = REEL_MIN_S - HOOK_END_S, REEL_MAX_S - HOOK_END_S
    if total_rest and total_rest < lo:
        rest = [d * lo / total_rest for d in rest]
    elif total_rest > hi:
        rest = [max(MIN_CARD_S, d * hi / total_rest) for d in rest]
    beats = [Beat(0.0, HOOK_END_S, cues[0].on_screen, cues[0].voice_over, cues[0].role)]
    t = HOOK_END_S
    for cue, d in zip(cues[1:], rest, strict=True):
        end = round(t + d, 1)
        beats.append(Beat(round(t, 1), end, cue.on_screen, cue.voice_over, cue.role))
        t = end
    return beats


def reel_cues(
    hook_card: str,
    hook_spoken: str,
    promise: Cue,
    points: Sequence[Point],
    rehook: str,
    payoff: Cue,
    cta: str,
) -> list[Cue]:
    """hook → promise → value beats (re-hook before the last if 3+) → payoff → CTA."""
    cues = [Cue(hook_card, hook_spoken, "hook"), promise]
    for i, p in enumerate(points, start=1):
        if i == len(points) and len(points) >= 3:
            cues.append(Cue(rehook.split(".")[0], rehook, "body"))
        cues.append(Cue(f"{i}. {p.label}", p.line, "body"))
    cues.append(payoff)
    cues.append(Cue(cta, cta, "cta"))
    return cues


def carousel_slides(
    cover: str,
    cover_sub: str,
    setup: str | None,
    points: Sequence[Point],
    recap: bool,
    closing: str,
) -> list[str]:
    """Cover, optional setup, one idea per value slide (numbered), optional recap, CTA."""
    k = len(points)
    slides = [f"{cover}\n{cover_sub}"]
    if setup:
        slides.append(setup)
    slides += [f"{i}/{k} {p.label}\n{p.line}" for i, p in enumerate(points, start=1)]
    if recap:
        slides.append("Recap\n" + "\n".join(f"– {p.label}" for p in points))
    slides.append(closing)
    while len(slides) > CAROUSEL_MAX_SLIDES:  # drop extras before ever dropping content
        if recap:
            slides.pop(-2)
            recap = False
        elif setup:
            slides.pop(1)
            setup = None
        else:
            raise ValueError(f"{k} points do not fit in {CAROUSEL_MAX_SLIDES} slides")
    return slides


def story_frames(hook_card: str, point: Point, cta: str, frames: int) -> list[str]:
    """1-3 frames: the hook, the single most useful point, the action."""
    all_frames = [hook_card, f"{point.label}\n{point.line}", cta]
    return all_frames[: max(1, min(3, frames))]
