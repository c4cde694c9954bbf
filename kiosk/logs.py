"""Logging set-up: JSON lines (for journald) or text, behind a privacy mask.

`setup()` is called by the CLI. `kiosk run` and `kiosk demo` log to stdout, as JSON
lines unless KIOSK_LOG_FORMAT=text (or stdout is a terminal); other commands keep
text on stderr, so that their stdout stays theirs (`kiosk devices --json`).

Personal data must never be logged in the first place; `PrivacyFilter` is the last
line of defence: it masks ID-number shapes, long digit runs and mobile numbers in
every message, every string extra field and every traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from kiosk.privacy import mask_id_number, mask_phone

FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Only digits bound a match (not letters: "电话13800138000" or "id=110101..." must be caught).
# Long runs go first (15 or more digits: ID and card numbers), then mobile numbers.
_LONG_NUMBER = re.compile(r"(?<!\d)(?:\d{17}[Xx]|\d{15,})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")

# Attributes every LogRecord has; anything else was passed as `extra=` and goes out as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def mask(text: str) -> str:
    text = _LONG_NUMBER.sub(lambda m: mask_id_number(m[0]), text)
    return _MOBILE.sub(lambda m: mask_phone(m[1] + m[2] + m[3]), text)


class PrivacyFilter(logging.Filter):
    """Masks the formatted message, string extras and the traceback text of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not lose the record (nor leak its args)
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        for name, value in vars(record).items():
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, mask(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).astimezone()
                            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def chosen_format(stream: TextIO, default: str | None = None) -> str:
    """KIOSK_LOG_FORMAT if set and valid, else `default`, else json unless `stream` is a terminal."""
    wanted = os.environ.get("KIOSK_LOG_FORMAT", "").strip().lower()
    if wanted in FORMATS:
        return wanted
    if default:
        return default
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):
        return "json"


class _KioskHandler(logging.StreamHandler):
    """The handler `setup` installs (so that a second call replaces it, and only it)."""


def setup(level: str | int = "WARNING", stream: TextIO | None = None,
          fmt: str | None = None) -> logging.Handler | None:
    """Log to `stream` (default stderr) through a masked handler; returns it.

    Like logging.basicConfig, it leaves alone a root logger that someone else (a test
    runner) already gave handlers, and only sets their level (returns None then).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _KioskHandler)]:
        root.removeHandler(old)
    asked = level
    if isinstance(level, str):
        level = logging.getLevelNamesMapping().get(level.strip().upper(), logging.WARNING)
    if root.handlers:
        for handler in root.handlers:
            if isinstance(handler, logging.StreamHandler):  # not the admin screen's or telemetry's own
                handler.setLevel(level)
        return None
    stream = stream or sys.stderr
    handler = _KioskHandler(stream)
    handler.setFormatter(JsonFormatter() if (fmt or chosen_format(stream)) == "json"
                         else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(PrivacyFilter())
    handler.setLevel(level)  # libraries (Kivy) set their own loggers' levels; the handler decides
    root.addHandler(handler)
    root.setLevel(level)
    if isinstance(asked, str) and asked.strip().upper() not in logging.getLevelNamesMapping():
        logging.getLogger("kiosk").warning("KIOSK_LOG_LEVEL %r is not a log level; using WARNING", asked)
    return handler
