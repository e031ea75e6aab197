"""Typed render errors: each names the variant or file and what is wrong, so a person can act."""

from __future__ import annotations

from pathlib import Path

from contentloop.domain.errors import ContentloopError


class RenderError(ContentloopError):
    """Base of every render-stage error."""


class TextDoesNotFit(RenderError):
    """Text cannot fit its box even at the smallest allowed font size (strict mode)."""

    def __init__(self, chars: int, box: tuple[int, int, int, int], min_size: int) -> None:
        self.chars = chars
        self.box = box
        self.min_size = min_size
        super().__init__(
            f"text of {chars} chars does not fit box {box} at {min_size}px; shorten it"
        )


class BadBrandColor(RenderError):
    """A brand colour is not #rgb or #rrggbb."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(f"brand colour {value!r} is not a hex colour like #1f2a44")


class ToolFailed(RenderError):
    """An external tool (ffmpeg, ffprobe, espeak-ng) failed or is missing."""

    def __init__(self, tool: str, detail: str) -> None:
        self.tool = tool
        self.detail = detail[-800:]
        super().__init__(f"{tool} failed: {self.detail}")


class MediaInvalid(RenderError):
    """A rendered file breaks Instagram's media specs; `problems` lists each broken rule."""

    def __init__(self, path: Path | str, kind: str, problems: list[str]) -> None:
        self.path = str(path)
        self.kind = kind
        self.problems = list(problems)
        super().__init__(f"{kind} file {self.path} is invalid: " + "; ".join(self.problems))


class RenderFailed(RenderError):
    """A variant could not be rendered, even after one re-render with safe settings."""

    def __init__(self, variant_id: str, reason: str) -> None:
        self.variant_id = variant_id
        self.reason = reason
        super().__init__(f"variant {variant_id}: render failed: {reason}")
