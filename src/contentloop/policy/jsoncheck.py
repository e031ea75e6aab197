"""`check_json`: review a hand-written post (for the `policy check FILE` CLI)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contentloop.domain import Account, Beat, ContentloopError, Format, Variant, Verdict

from .guard import Guard
from .rules import RegexRule


class PolicyInputError(ContentloopError):
    """The JSON given to `check_json` is malformed; names the key and the expected form."""

    def __init__(self, key: str, expected: str, got: object) -> None:
        self.key = key
        self.expected = expected
        super().__init__(f"policy check: key {key!r} must be {expected}; got {got!r}")


def _variant_from(data: Mapping[str, Any], account: Account) -> Variant:
    caption = data.get("caption")
    if not isinstance(caption, str):
        raise PolicyInputError("caption", "a string", caption)
    tags = data.get("hashtags", [])
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PolicyInputError("hashtags", "a list of strings or a space-separated string", tags)
    raw_fmt = data.get("format", "image")
    try:
        fmt = Format(str(raw_fmt).lower())
    except ValueError as e:
        choices = ", ".join(f.value for f in Format)
        raise PolicyInputError("format", f"one of {choices}", raw_fmt) from e
    sponsored = data.get("sponsored", False)
    if not isinstance(sponsored, bool):
        raise PolicyInputError("sponsored", "true or false", sponsored)
    slides = data.get("slides", [])
    if not isinstance(slides, list):
        raise PolicyInputError("slides", "a list of strings", slides)
    beats = []
    for b in data.get("beats", []):
        try:
            beats.append(Beat(float(b["start_s"]), float(b["end_s"]), str(b.get("on_screen", "")),
                              str(b.get("voice_over", "")), str(b.get("role", "body"))))
        except (KeyError, TypeError, ValueError) as e:
            raise PolicyInputError("beats", "a list of {start_s, end_s, ...} objects", b) from e
    hook = data.get("hook") or caption.split("\n", 1)[0]
    return Variant(
        id=str(data.get("id", "check")), post_id=str(data.get("post_id", "check")),
        account=account.handle, format=fmt, hook=str(hook), hook_style="manual",
        caption=caption, hashtags=list(tags), slides=[str(s) for s in slides], beats=beats,
        sponsored=sponsored, trend=data.get("trend"), generator="manual",
    )


def check_json(
    data: dict[str, Any],
    account: Account,
    *,
    recent_captions: Sequence[str] = (),
    extra_regex_rules: Iterable[Mapping[str, object] | RegexRule] = (),
) -> list[Verdict]:
    """Verdicts for {"caption", "hashtags"?, "format"?, "sponsored"?, "slides"?, "beats"?}."""
    if not isinstance(data, dict):
        raise PolicyInputError("<root>", "a JSON object", type(data).__name__)
    guard = Guard.default(account, recent_captions, extra_regex_rules)
    return guard.review(_variant_from(data, account), account)
