"""More rules: other brands' trademarks, quoted song lyrics, readability.

Kept apart from `rules.py` so each file stays small; `default_rules` composes both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contentloop.domain import Account, Severity, Variant, Verdict

from .rules import _v
from .text import find_phrases

#: Well-known marks a small brand should not lean on without permission. Accounts extend it
#: with their own competitors through `[accounts.policy] trademarks = [...]`.
DEFAULT_TRADEMARKS: tuple[str, ...] = (
    "Starbucks", "Nespresso", "Keurig", "Nike", "Adidas", "Coca-Cola", "Pepsi", "iPhone",
    "Disney", "Lego", "Peloton", "Lululemon", "McDonald's", "Red Bull", "Tesla", "Gucci",
    "Louis Vuitton", "Chanel", "Netflix", "Spotify", "Olympics", "Super Bowl",
)
# Not listed on purpose: words that are also ordinary words ("apple", "marvel") and the
# platforms people name to say where to find them ("Instagram", "YouTube").


def _body(v: Variant) -> str:
    return "\n".join(p for p in (v.hook, v.caption, *v.slides) if p) + "\n" + "\n".join(
        f"{b.on_screen}\n{b.voice_over}" for b in v.beats
    )


@dataclass(slots=True)
class TrademarkRule:
    """Naming another company's brand can imply endorsement or infringe its mark."""

    id: str = "trademark"
    severity: Severity = Severity.WARN
    marks: tuple[str, ...] = DEFAULT_TRADEMARKS

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        own = {account.handle.lower(), *(t.lstrip("#").lower() for t in
                                         account.brand.hashtags_branded)}
        hits = [m for m in find_phrases(_body(variant), self.marks) if m.lower() not in own]
        tags = {t.lstrip("#").lower() for t in variant.hashtags}
        hits += [m for m in self.marks
                 if re.sub(r"\W", "", m.lower()) in tags and m not in hits]
        if not hits:
            return []
        names = ", ".join(sorted(set(hits)))
        return [_v(self, f"names another brand ({names}); without permission this can imply "
                         "endorsement or infringe its trademark. Make it generic or get "
                         "written consent.")]


_NOTES = re.compile(r"[♪♫♬🎵🎶]")
_QUOTE = re.compile(r"[\"“”„«»]([^\"“”„«»\n]{12,}(?:\n[^\"“”„«»\n]{3,}){0,6})[\"“”„«»]")
_LYRIC_WORDS = re.compile(r"\b(lyrics?|sang|sings|singing|song|chorus|verse)\b", re.I)
#: "... — Artist Name" right after the closing quote, on the same line.
_DASH_CREDIT = re.compile(r"^\s*[—–-]\s*[A-Z][\w.'&]+(?:\s+[A-Z][\w.'&]+){0,3}\s*(?:\(|$)")
LYRIC_MIN_WORDS = 6


@dataclass(slots=True)
class SongLyricsRule:
    """Quoted lyrics are copyrighted text; even a line can need a licence."""

    id: str = "song_lyrics"
    severity: Severity = Severity.WARN
    min_words: int = LYRIC_MIN_WORDS

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        text = _body(variant)
        for line in text.splitlines():
            if _NOTES.search(line) and len(_NOTES.sub(" ", line).split()) >= self.min_words - 2:
                return [self._verdict()]
        for m in _QUOTE.finditer(text):
            if len(m.group(1).split()) < self.min_words:
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            before = text[line_start:m.start()]
            after = text[m.end(): line_end if line_end != -1 else len(text)]
            if _DASH_CREDIT.search(after) or _LYRIC_WORDS.search(before + " " + after):
                return [self._verdict()]
        return []

    def _verdict(self) -> Verdict:
        return _v(self, "looks like quoted song lyrics; lyrics are copyrighted, so paraphrase, "
                        "credit and link the song instead, or use Instagram's licensed music.")


_URL = re.compile(r"https?://\S+|www\.\S+")
_TAGLIKE = re.compile(r"[#@]\w+")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORDS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Rough English syllable count (vowel groups, silent final e); good enough for grades."""
    w = word.lower()
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(_VOWELS.findall(w)))


@dataclass(frozen=True, slots=True)
class Readability:
    sentences: int
    words: int
    grade: float  # Flesch-Kincaid grade level
    ease: float  # Flesch reading ease (higher is easier)
    longest_sentence: int  # words in the longest sentence that is not a list


def readability(text: str) -> Readability:
    """Flesch-Kincaid grade and reading ease of prose, ignoring hashtags, mentions and URLs."""
    prose = _TAGLIKE.sub(" ", _URL.sub(" ", text))
    sentences = [s for s in _SENTENCE.findall(prose) if _WORDS.search(s)]
    counts = [len(_WORDS.findall(s)) for s in sentences]
    words = [w for s in sentences for w in _WORDS.findall(s)]
    if not sentences or not words:
        return Readability(0, 0, 0.0, 100.0, 0)
    wps = len(words) / len(sentences)
    spw = sum(syllables(w) for w in words) / len(words)
    grade = 0.39 * wps + 11.8 * spw - 15.59
    ease = 206.835 - 1.015 * wps - 84.6 * spw
    # A list ("Inside: a, b, c and d.") reads fine however long it is: not a long sentence.
    prose_counts = [n for s, n in zip(sentences, counts, strict=True) if s.count(",") < 3]
    return Readability(len(sentences), len(words), round(grade, 1), round(ease, 1),
                       max(prose_counts, default=0))


@dataclass(slots=True)
class ReadabilityRule:
    """Consumer captions read best around grade 7; formulas are noisy under 3 sentences."""

    id: str = "readability"
    severity: Severity = Severity.WARN
    max_grade: float = 8.0
    max_sentence_words: int = 25
    min_sentences: int = 3

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        r = readability(variant.caption)
        out: list[Verdict] = []
        if r.sentences >= self.min_sentences and r.grade > self.max_grade:
            out.append(_v(self, f"caption reads at grade {r.grade:g} (limit {self.max_grade:g}); "
                                "use shorter words and sentences."))
        if r.longest_sentence > self.max_sentence_words:
            out.append(_v(self, f"a sentence has {r.longest_sentence} words (limit "
                                f"{self.max_sentence_words}); split it."))
        return out


__all__ = ["DEFAULT_TRADEMARKS", "Readability", "ReadabilityRule", "SongLyricsRule",
           "TrademarkRule", "readability", "syllables"]
