"""Structured logs (structlog over stdlib logging), with secrets scrubbed at the last step.

Every record, from structlog or plain `logging`, passes one redaction filter, so a token that
slips into a message, a URL or an exception text never reaches a log file or the console.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path
from typing import Any

import structlog

_PATTERNS = [
    re.compile(r"(?i)(access_token|client_secret|fb_exchange_token|api_key|apikey|password)"
               r"(=|%3D|\"?:\s*\"?)([^&\s\"',}]+)"),
    re.compile(r"(?i)(authorization:?\s*(?:bearer|oauth)\s+)([^\s\"',}]+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._\-]{8,})"),
]
_known: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is masked wherever it appears in a log line."""
    if value and len(value) >= 6:
        with _known_lock:
            _known.add(value)


def redact(text: str) -> str:
    for pat in _PATTERNS:
        text = pat.sub(lambda m: "".join(m.groups()[:-1]) + "***", text)
    with _known_lock:
        secrets = sorted(_known, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def configure(level: str = "info", *, log_file: Path | None = None, console: bool = True,
              json_console: bool = False) -> None:
    """Route structlog and stdlib logging to JSON lines in `log_file` and/or the console."""
    lvl = getattr(logging, level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_contentloop", False):
            root.removeHandler(h)
            h.close()
    root.setLevel(lvl)
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.JSONRenderer()],
            foreign_pre_chain=shared,
        ))
        handlers.append(fh)
    if console:
        ch = logging.StreamHandler(sys.stderr)
        renderer = (structlog.processors.JSONRenderer() if json_console
                    else structlog.dev.ConsoleRenderer(colors=False))
        ch.setFormatter(structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        ))
        if log_file is not None:
            ch.setLevel(logging.WARNING)
        handlers.append(ch)
    for h in handlers:
        h.addFilter(RedactFilter())
        h._contentloop = True  # type: ignore[attr-defined]
        root.addHandler(h)
    for noisy in ("httpx2", "httpcore", "uvicorn.access", "uvicorn.error", "alembic"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
