"""Prompt templates as files: the shipped ones in `creative/prompts/`, overridable per name.

A user copies e.g. `variant.j2` into `[llm] prompts_dir` and edits it; files found there win.
Untrusted text is only ever passed in as a variable (already fenced), never as template source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

PROMPT_NAMES = ("system.j2", "variant.j2", "repair.j2")


class PromptLibrary:
    def __init__(self, override_dir: str | Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir:
            loaders.append(jinja2.FileSystemLoader(str(override_dir)))
        loaders.append(jinja2.PackageLoader("contentloop.creative", "prompts"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,  # plain text prompts, not HTML
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, name: str, **values: Any) -> str:
        return self.env.get_template(name).render(**values).strip()


__all__ = ["PROMPT_NAMES", "PromptLibrary"]
