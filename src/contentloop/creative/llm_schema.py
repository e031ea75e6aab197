"""The structured output the LLM engine asks for, validated with pydantic.

The model writes copy only; structure (caption layout, CTA last, hashtags, beat timing,
slide order) is assembled by our code, so a model cannot break the format or add tags.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

_FENCED_JSON = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class DraftPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=2, max_length=48, description="on-screen, at most 6 words")
    line: str = Field(min_length=10, max_length=220, description="one full, concrete sentence")


class Draft(BaseModel):
    """One variant's copy for a fixed format and hook style."""

    model_config = ConfigDict(extra="forbid")

    hook: str = Field(min_length=8, max_length=125, description="caption line 1, the hook")
    card: str = Field(min_length=2, max_length=60, description="on-screen hook, <= 8 words")
    bridge: str = Field(min_length=8, max_length=240, description="one sentence after the hook")
    points: list[DraftPoint] = Field(min_length=2, max_length=8)
    payoff: str = Field(min_length=4, max_length=160, description="closing line before the CTA")
    cta_index: int = Field(ge=0, le=20, description="index into the brand's calls to action")
    visual_prompt: str = Field(min_length=20, max_length=600)


def draft_schema() -> dict[str, Any]:
    """JSON schema for `response_format` (strict: every field required, no extras)."""
    return Draft.model_json_schema()


def parse_draft(content: str) -> Draft:
    """Parse a model reply (bare JSON or one ```json block); raises ValueError with details."""
    text = content.strip()
    m = _FENCED_JSON.match(text)
    if m:
        text = m.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at char {exc.pos})") from None
    try:
        return Draft.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in exc.errors()[:8]
        )
        raise ValueError(f"does not match the schema: {problems}") from None


__all__ = ["Draft", "DraftPoint", "draft_schema", "parse_draft"]
