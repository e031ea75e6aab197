"""Parse Graph `fields=` expressions: `a,b{c,d},media.limit(2).after(X){id},x.username(y){..}`."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import errors as E


@dataclass
class FieldSpec:
    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: list[FieldSpec] | None = None


def parse_fields(text: str | None) -> list[FieldSpec]:
    if not text:
        return []
    specs, pos = _parse_list(text.replace(" ", ""), 0)
    if pos != len(text.replace(" ", "")):
        raise E.invalid_param(f"Syntax error \"Expected end of string\" in fields={text}")
    return specs


def _parse_list(s: str, pos: int) -> tuple[list[FieldSpec], int]:
    out: list[FieldSpec] = []
    while pos < len(s):
        spec, pos = _parse_one(s, pos)
        if spec.name:
            out.append(spec)
        if pos < len(s) and s[pos] == ",":
            pos += 1
            continue
        break
    return out, pos


def _parse_one(s: str, pos: int) -> tuple[FieldSpec, int]:
    start = pos
    while pos < len(s) and s[pos] not in ",{}.(":
        pos += 1
    spec = FieldSpec(s[start:pos])
    while pos < len(s) and s[pos] == ".":
        pos += 1
        mstart = pos
        while pos < len(s) and s[pos] not in "(":
            pos += 1
        mname = s[mstart:pos]
        if pos >= len(s) or s[pos] != "(":
            raise E.invalid_param(f"Syntax error in fields near '{s[start:pos]}'")
        close = s.index(")", pos)
        spec.modifiers[mname] = s[pos + 1:close]
        pos = close + 1
    if pos < len(s) and s[pos] == "{":
        children, pos = _parse_list(s, pos + 1)
        if pos >= len(s) or s[pos] != "}":
            raise E.invalid_param("Syntax error in fields: missing '}'")
        spec.children = children
        pos += 1
    return spec, pos
