"""The one interpreter of an item form's field rules (docs/hall-api.md "Item forms"), used by the
terminal (kiosk/forms.py: a resident hears of a wrong value before sending) and by the hall
(hall/forms.py: what it takes). Standard library only, so both sides import it; the problem words
are the contract's and tests/seed/form_rule_cases.json is the table both sides run.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from typing import Any

TEXT_TYPES = ("text", "long_text", "address")
DEFAULT_MAX_LENGTH = {"text": 100, "long_text": 1000, "address": 200}
MOBILE = r"1[3-9]\d{9}"
LANDLINE = r"0\d{2,3}-?\d{7,8}"
RELATIVE_DATE = re.compile(r"today([+-]\d{1,5})?", re.ASCII)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(f"{MOBILE}|{LANDLINE}", re.ASCII)   # ASCII: \d would take other scripts' digits
_ID_NUMBER = re.compile(r"[1-9]\d{16}[\dX]", re.ASCII)
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]     # GB 11643


def field_problem(field: dict, value: Any, today: date) -> str | None:
    """The problem with a non-empty value of one field, None when it is right."""
    kind = field["type"]
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "wrong type"
        if not math.isfinite(value):
            return "not finite"
        if field.get("integer") and not isinstance(value, int):
            return "not an integer"
        if field.get("min") is not None and value < field["min"]:
            return "too small"
        if field.get("max") is not None and value > field["max"]:
            return "too large"
        return None
    if kind == "yes_no":
        return None if isinstance(value, bool) else "wrong type"
    if not isinstance(value, str):
        return "wrong type"
    if kind in TEXT_TYPES:
        return text_problem(value, kind, field.get("min_length", 0),
                            field.get("max_length", DEFAULT_MAX_LENGTH[kind]))
    if kind == "choice":
        return None if value in {c["value"] for c in field["choices"]} else "not a choice"
    if kind == "phone":
        return None if _PHONE.fullmatch(value) else "not a phone number"
    if kind == "id_number":
        return None if is_id_number(value) else "not an ID number"
    return _date_problem(value, field.get("earliest"), field.get("latest"), today)  # date


def text_problem(value: str, kind: str, min_length: int, max_length: int) -> str | None:
    if _CONTROL.search(value):
        return "invalid characters"
    if kind != "long_text" and ("\n" in value or "\r" in value):
        return "line break"
    if len(value) < min_length:
        return "too short"
    return "too long" if len(value) > max_length else None


def clean(value: Any) -> Any:
    """Strings stripped; "", blank and null are empty (None)."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def id_check_character(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def is_id_number(value: str) -> bool:
    value = value.upper()
    if not _ID_NUMBER.fullmatch(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_character(value[:17]) == value[17]


def resolve_date(bound: str, today: date) -> date:
    """A definition's earliest/latest: an ISO date, "today", "today+N" or "today-N" (days)."""
    match = RELATIVE_DATE.fullmatch(bound)
    if match is None:
        return date.fromisoformat(bound)
    return today + timedelta(days=int(match[1] or 0))


def _date_problem(value: str, earliest: str | None, latest: str | None, today: date) -> str | None:
    if not ISO_DATE.fullmatch(value):
        return "not a date"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return "not a date"
    if earliest is not None and day < resolve_date(earliest, today):
        return "too early"
    if latest is not None and day > resolve_date(latest, today):
        return "too late"
    return None
