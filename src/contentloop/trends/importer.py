"""CSV or JSON import of signals from anywhere else (a spreadsheet, another tool's export).

CSV: a header row with at least `title` or `term`; optional `url`, `summary`, `tags`
(separated by ';' or '|'), `volume`, `engagement`, `published_at` (ISO 8601).
JSON: a list of such objects, or {"signals": [...]}. From a local path or an http(s) URL.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .http import GuardedHTTP
from .polled import PolledSource
from .source import SourceError
from .text import dedupe, normalize_tag, primary_term, strip_html

MAX_ROWS = 10_000
_TAG_SPLIT = re.compile(r"[;|]")


def _float(value: Any, field: str, row: int, source: str) -> float:
    if value is None or value == "":
        return 1.0 if field == "volume" else 0.0
    if isinstance(value, bool):
        raise SourceError(source, f"row {row}: {field} must be a number, not a boolean")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SourceError(
            source, f"row {row}: {field} must be a number, got {str(value)[:40]!r}"
        ) from None
    if not math.isfinite(number) or number < 0:
        raise SourceError(source, f"row {row}: {field} must be a finite number >= 0")
    return number


def _time(value: Any, row: int, source: str, now: datetime) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SourceError(source, f"row {row}: published_at must be an ISO 8601 string")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(
            source, f"row {row}: published_at {value[:40]!r} is not ISO 8601"
        ) from None
    if when.tzinfo is None:
        raise SourceError(source, f"row {row}: published_at needs a UTC offset (e.g. Z)")
    return min(utc(when), utc(now))


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        items = [str(v) for v in value if isinstance(v, str | int | float)]
    elif isinstance(value, str):
        items = _TAG_SPLIT.split(value)
    else:
        items = []
    return dedupe(normalize_tag(t)[:100] for t in items[:20])


def _text(value: Any) -> str:
    return strip_html(value) if isinstance(value, str) else ""


def record_to_signal(record: dict[str, Any], row: int, source: str, now: datetime) -> TrendSignal:
    """One CSV row or JSON object → a signal; raises `SourceError` naming the row."""
    title = _text(record.get("title"))[:300]
    term = normalize_tag(_text(record.get("term")))[:300]
    if not title and not term:
        raise SourceError(source, f"row {row}: needs a 'title' or a 'term'")
    url = _text(record.get("url"))
    if url and not url.lower().startswith(("http://", "https://")):
        url = ""
    return TrendSignal(
        source=source,
        term=term or primary_term(title),
        title=title or term,
        observed_at=utc(now),
        url=url[:2000],
        summary=_text(record.get("summary"))[:500],
        tags=_tags(record.get("tags")),
        volume=_float(record.get("volume"), "volume", row, source),
        engagement=_float(record.get("engagement"), "engagement", row, source),
        published_at=_time(record.get("published_at"), row, source, now),
    )


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            source, f"import is not UTF-8 (invalid byte at offset {exc.start})"
        ) from None


def parse_csv(data: bytes, source: str, now: datetime) -> list[TrendSignal]:
    text = _decode(data, source)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "title" not in fields and "term" not in fields:
            raise SourceError(source, "CSV needs a header row with a 'title' or 'term' column")
        signals: list[TrendSignal] = []
        for i, raw in enumerate(reader, start=2):
            if i - 1 > MAX_ROWS:
                raise SourceError(source, f"more than {MAX_ROWS} rows")
            record = {
                (k or "").strip().lower(): v for k, v in raw.items() if isinstance(k, str)
            }
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue
            signals.append(record_to_signal(record, i, source, now))
    except csv.Error as exc:
        raise SourceError(source, f"malformed CSV: {exc}") from None
    return signals


def parse_json(data: bytes, source: str, now: datetime) -> list[TrendSignal]:
    text = _decode(data, source)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(source, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise SourceError(source, "JSON nested too deeply") from None
    if isinstance(body, dict):
        body = body.get("signals")
    if not isinstance(body, list):
        raise SourceError(source, "JSON import must be a list of objects or {'signals': [...]}")
    if len(body) > MAX_ROWS:
        raise SourceError(source, f"more than {MAX_ROWS} records")
    signals = []
    for i, record in enumerate(body, start=1):
        if not isinstance(record, dict):
            raise SourceError(source, f"record {i} is not an object")
        signals.append(record_to_signal(record, i, source, now))
    return signals


def parse_import(data: bytes, source: str, now: datetime, fmt: str = "auto") -> list[TrendSignal]:
    """CSV or JSON bytes → signals; `fmt` 'csv', 'json' or 'auto' (sniffed)."""
    if fmt == "auto":
        head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        fmt = "json" if head in (b"[", b"{") else "csv"
    if fmt == "json":
        return parse_json(data, source, now)
    if fmt == "csv":
        return parse_csv(data, source, now)
    raise SourceError(source, f"unknown import format {fmt!r}; use csv or json")


class ImportSource(PolledSource):
    """Signals from a CSV/JSON file or URL; `fmt='auto'` decides by extension, then content."""

    kind = "import"

    def __init__(
        self,
        location: str | Path,
        *,
        fmt: str = "auto",
        name: str | None = None,
        max_bytes: int = 5_000_000,
        http: GuardedHTTP | None = None,
        min_interval: float | timedelta = 0.0,
        **http_options: object,
    ) -> None:
        self.location = str(location)
        parts = urlsplit(self.location)
        self._path = (
            Path(unquote(parts.path)) if parts.scheme == "file"
            else None if parts.scheme in ("http", "https")
            else Path(self.location)
        )
        super().__init__(name or f"import:{Path(parts.path).name or self.location}", min_interval)
        suffix = Path(parts.path).suffix.lower()
        self.fmt = fmt if fmt != "auto" else {".csv": "csv", ".json": "json"}.get(suffix, "auto")
        self.max_bytes = max_bytes
        self.http = http or GuardedHTTP(
            self.name, max_bytes=max_bytes, **http_options  # type: ignore[arg-type]
        )

    def _fetch(self, now: datetime) -> list[TrendSignal]:
        if self._path is None:
            data = self.http.get(self.location).body
        else:
            try:
                if self._path.stat().st_size > self.max_bytes:
                    raise SourceError(self.name, f"import file exceeds {self.max_bytes} bytes")
                data = self._path.read_bytes()
            except OSError as exc:
                raise SourceError(
                    self.name, f"cannot read import file {self._path}: {exc.strerror}"
                ) from None
        return parse_import(data, self.name, now, self.fmt)
