"""Structured logging: JSON lines when stderr is not a TTY, secrets scrubbed from every record."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

REDACTED = "[REDACTED]"
# Log text can hold PR text (error messages quote it), so each pattern is linear: a name or
# scheme starts only where no name character precedes it (`\b` would let every `-a` of a
# `-a-a-a…` run start a scan to the end of the run: quadratic).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A whole PEM block, or everything after a BEGIN line whose END was cut off.
    (
        re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S),
        "[REDACTED PEM]",
    ),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), REDACTED),
    (re.compile(r"\b(?:xai|sk)-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"(?<![\w-])eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}"), REDACTED),
    (re.compile(r"(?i)\b(bearer|token|basic)(\s+)[A-Za-z0-9._~+/=-]{12,}"), r"\1\2" + REDACTED),
    (
        re.compile(
            r"(?i)(?<![\w-])([\w-]*?(?:secret|password|passwd|api[_-]?key|token|private[_-]?key)\b)"
            r"(\s*[:=]\s*)(['\"]?)[^\s'\",;&]+"
        ),
        r"\1\2\3" + REDACTED,
    ),
    (
        re.compile(r"((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@"),
        r"\1" + REDACTED + "@",
    ),
)
# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn passes its ANSI-coloured copy of the message as an extra
}
_MIN_SECRET_LEN = 6


def scrub(text: str, *, secrets: Iterable[str] = ()) -> str:
    """`text` with anything that looks like a token, key or PEM (and known secrets) replaced."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubFilter(logging.Filter):
    """Rewrites message, extras and traceback text of each record before any handler sees it."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s and len(s) >= _MIN_SECRET_LEN)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage(), secrets=self._secrets)
        record.args = None
        for key, value in extras(record).items():
            if isinstance(value, str):
                setattr(record, key, scrub(value, secrets=self._secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, secrets=self._secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, secrets=self._secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the record's extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(extras(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the message, then the extras as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in extras(record).items())
        return f"{line} {fields}" if fields else line


def extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def configure_logging(
    *,
    level: str = "INFO",
    stream: TextIO | None = None,
    json_lines: bool | None = None,
    secrets: Iterable[str | None] = (),
) -> logging.Handler:
    """Send every logger to `stream` (stderr): JSON unless it is a TTY; replaces our old handler."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not stream.isatty()
    handler = logging.StreamHandler(stream)
    handler.set_name("grok-review")
    handler.addFilter(ScrubFilter(secrets))
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "grok-review"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # huey logs every task start and finish at INFO; our worker logs the ones that matter.
    logging.getLogger("huey").setLevel(logging.WARNING)
    return handler
