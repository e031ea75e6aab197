"""Tiny, dependency-free text helpers shared by sources and scoring.

Deliberately simple (lowercase tokens, an English stopword list, adjacent bigrams) so the
results are explainable in one sentence and identical on every machine.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_STOPWORDS_TEXT = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets getting
    got had hadn't has hasn't have haven't having he her here hers herself him himself his how
    i if in into is isn't it it's its itself just let's like make makes may me might more most
    much must my myself new no nor not now of off on once one only or other our ours ourselves
    out over own per really same she should shouldn't so some still such than that that's the
    their theirs them themselves then there there's these they this those through to too under
    until up upon us use used using very via vs was wasn't way ways we were weren't what what's
    when where which while who whom why will with without won't would you your yours yourself
    yourselves yet 's ll re ve everyone everything something anything thing things here's
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_TOKEN = re.compile(r"[^\W_][\w'’\-]*", re.UNICODE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"\s+")
SEGMENT = re.compile(r"[.,;:!?|()\[\]\"“”—–]+|\s-\s|\n")
_HASHTAG = re.compile(r"#([^\W_][\w]*)", re.UNICODE)


def strip_html(text: str) -> str:
    """Plain text from a feed's HTML summary (tags dropped, entities decoded)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def _clean(token: str) -> str:
    token = token.replace("’", "'").strip("'-")
    if token.endswith("'s"):
        token = token[:-2]
    return token


def tokens(text: str, keep_numbers: bool = False) -> list[str]:
    """Lowercase word tokens, stopwords kept; numbers-only tokens dropped unless asked for."""
    out = []
    for raw in _TOKEN.findall(text.lower()):
        tok = _clean(raw)
        if tok and (keep_numbers or not tok.isdigit()):
            out.append(tok)
    return out


def content_tokens(text: str) -> list[str]:
    """Tokens minus stopwords and one-letter words."""
    return [t for t in tokens(text) if t not in STOPWORDS and len(t) > 1]


def extract_terms(text: str) -> list[str]:
    """Keywords of a title: content unigrams plus bigrams of adjacent content words.

    Bigrams never span a stopword or punctuation ("cold brew" from "cold brew at home",
    not "brew home"); a number may end a bigram ("zone 2") but is never a keyword alone.
    Order is first appearance, bigrams after unigrams; no duplicates.
    """
    unigrams: list[str] = []
    bigrams: list[str] = []
    prev: str | None = None
    for segment in SEGMENT.split(text):
        prev = None
        for tok in tokens(segment, keep_numbers=True):
            if tok in STOPWORDS or len(tok) < 2 and not tok.isdigit():
                prev = None
                continue
            if prev is not None:
                bigram = f"{prev} {tok}"
                if bigram not in bigrams:
                    bigrams.append(bigram)
            if tok.isdigit():  # 'zone 2' is a phrase, '2' alone is not, '2 cardio' is noise
                prev = None
                continue
            if tok not in unigrams:
                unigrams.append(tok)
            prev = tok
    return unigrams + bigrams


def primary_term(text: str) -> str:
    """The most specific keyword of a title: its first bigram, else its first keyword."""
    terms = extract_terms(text)
    for term in terms:
        if " " in term:
            return term
    return terms[0] if terms else _SPACE.sub(" ", text.lower()).strip()


def normalize_tag(tag: str) -> str:
    """Lowercase, no leading '#', inner whitespace collapsed."""
    return _SPACE.sub(" ", tag.strip().lstrip("#").lower()).strip()


def hashtags_in(text: str) -> list[str]:
    """Hashtags in a caption, lowercase, without '#', in order, no duplicates."""
    seen: list[str] = []
    for tag in _HASHTAG.findall(text.lower()):
        if tag not in seen:
            seen.append(tag)
    return seen


def joined(term: str) -> str:
    """A term without spaces, so the bigram 'cold brew' meets the hashtag 'coldbrew'."""
    return term.replace(" ", "")


def stem(token: str) -> str:
    """A crude plural stripper, enough for 'recipes' to meet 'recipe'."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """Keep first occurrences, drop empties."""
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return tuple(out)
