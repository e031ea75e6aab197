"""Trend and competitor text is untrusted data: fence it going in, check what comes out.

Feed titles and summaries are written by strangers. They go to a model only inside a fenced
block that the system prompt declares to be data, with fence-like markers removed so an item
cannot close the fence early. Model output is then checked for what an injected instruction
would try to make it do: links and handles that are not the brand's, contact details, and
instruction phrases or long runs of words copied from an instruction-like item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .similarity import shingles

MAX_ITEM_CHARS = 300
MAX_ITEMS = 6

_FENCE_LIKE = re.compile(r"<{2,}|>{2,}|`{3,}|\b(?:END_)?UNTRUSTED[_A-Z]*\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(instructions?|prompts?|rules?|above|"
    r"previous|prior|system)\b"
    r"|\bsystem\s+prompt\b|\byou\s+are\s+now\b|\bnew\s+instructions?\b|\bact\s+as\b"
    r"|\bjailbreak\b|\bdeveloper\s+mode\b|\bdo\s+anything\s+now\b"
    r"|\b(assistant|model|ai)\s*[,:]\s*(write|say|post|include|add)\b",
    re.IGNORECASE,
)
_URL = re.compile(
    r"(?i)\bhttps?://[^\s)>\]]+|\bwww\.[^\s)>\]]+"
    r"|\b[a-z0-9][a-z0-9-]{0,62}\.(?:com|net|org|io|xyz|ru|ly|co|me|app|shop|biz|info|top|gg|"
    r"link|click|site|online|store|tk|cn)\b(?:/[^\s]*)?"
)
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{2,30}")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{7,}\d(?!\w)")


def clean_untrusted(text: str, limit: int = MAX_ITEM_CHARS) -> str:
    """One line of data: no control chars, no fence-like markers, bounded length."""
    text = _CONTROL.sub(" ", text)
    text = _FENCE_LIKE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def has_link_or_contact(text: str) -> bool:
    return bool(_URL.search(text) or _EMAIL.search(text) or _MENTION.search(text))


def fence(items: Sequence[dict[str, str]], nonce: str) -> str:
    """Render untrusted items (dicts of short fields) as a delimited data block."""
    lines = [f"<<<TREND_DATA {nonce}>>>"]
    for item in list(items)[:MAX_ITEMS]:
        fields = [f"{k}: {clean_untrusted(str(v))}" for k, v in item.items() if str(v).strip()]
        if fields:
            lines.append("- " + "\n  ".join(fields))
    if len(lines) == 1:
        lines.append("(no items)")
    lines.append(f"<<<END_TREND_DATA {nonce}>>>")
    return "\n".join(lines)


def output_findings(
    text: str,
    *,
    allowed_links: Iterable[str] = (),
    untrusted: Iterable[str] = (),
) -> list[str]:
    """Why this model output cannot be used as is (empty: fine)."""
    found: list[str] = []
    allowed = [a.strip().lower() for a in allowed_links if a.strip()]
    for m in _URL.finditer(text):
        link = m.group(0).lower().rstrip(".,;:!?")
        if not any(a in link or link in a for a in allowed):
            found.append(f"contains a link that is not the brand's: {m.group(0)[:60]}")
            break
    scrubbed = _EMAIL.sub(" ", text)
    if _EMAIL.search(text):
        found.append("contains an e-mail address")
    if _MENTION.search(scrubbed):
        found.append(f"mentions an account ({_MENTION.search(scrubbed).group(0)})")  # type: ignore[union-attr]
    if _PHONE.search(text):
        found.append("contains a phone number")
    if looks_like_injection(text):
        found.append("contains instruction-like text")
    out_sh = shingles(text, 5)
    for item in untrusted:
        if not looks_like_injection(item):
            continue
        overlap = out_sh & shingles(item, 5)
        if overlap:
            found.append("repeats words from an instruction-like trend item")
            break
    return found


__all__ = [
    "MAX_ITEMS", "MAX_ITEM_CHARS", "clean_untrusted", "fence", "has_link_or_contact",
    "looks_like_injection", "output_findings",
]
