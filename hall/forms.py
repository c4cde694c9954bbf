"""An item's form definition and the checks of an application against it (docs/hall-api.md
"Item forms"). One interpreter of the rules for every item: no item has code of its own.

`check()` returns problems `{"field", "problem"}` for every failing field; the problem words are
the contract's (the kiosk maps them to its messages, tests/seed/form_rule_cases.json holds the
cases both sides run).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, timedelta
from typing import Any

from hall import clock
from hall.checks import LANDLINE, MOBILE, id_check_character
from hall.identity import mask_id
from hall.materials import LIMITS  # per application and per file: the uploads are held to them too
from hall.models import ISO_DATE, RELATIVE_DATE, TEXT_TYPES

DEFAULT_MAX_LENGTH = {"text": 100, "long_text": 1000, "address": 200}
LEGACY_MAX_LENGTH = 1000  # a key an older terminal sends that the definition does not have
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(f"{MOBILE}|{LANDLINE}", re.ASCII)   # ASCII: \d would take other scripts' digits
_ID_NUMBER = re.compile(r"[1-9]\d{16}[\dX]", re.ASCII)


def version(definition: dict) -> str:
    """A hash of everything in the definition but its version."""
    content = {k: v for k, v in definition.items() if k != "version"}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def check(definition: dict, form: dict[str, Any], materials: list[dict] | None, signature: dict | None,
          complete: bool) -> tuple[list[dict], dict[str, Any]]:
    """(problems, the form as stored: text stripped, ID numbers masked, as the hall keeps the
    applicant's (hall.identity): no ID number in clear in its database).

    `complete` is False for a body without `form_version` (a terminal older than item forms):
    then nothing is required and keys the definition lacks are kept under the general rule.
    """
    problems, stored = [], {}
    fields = {f["key"]: f for f in definition["fields"]}
    for field in definition["fields"]:
        key = field["key"]
        value = _clean(form.get(key))
        if value is None:
            if complete and field.get("required"):
                problems.append(_problem(f"form.{key}", "required"))
            continue
        problem = field_problem(field, value)
        if problem:
            problems.append(_problem(f"form.{key}", problem))
        elif field["type"] == "id_number":
            value = mask_id(value.upper())
        stored[key] = value
    for key, value in form.items():
        if key in fields:
            continue
        value = _clean(value)
        problem = "unknown field" if complete else _legacy_problem(value)
        if problem:
            problems.append(_problem(f"form.{key}", problem))
        if value is not None:
            stored[key] = value
    problems += materials_problems(definition, materials or [], complete)
    if signature is None and complete and definition["signature"]:
        problems.append(_problem("signature", "required"))
    elif signature is not None and not definition["signature"]:
        problems.append(_problem("signature", "not asked for"))
    return problems, stored


def field_problem(field: dict, value: Any) -> str | None:
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
        return _text_problem(value, kind, field.get("min_length", 0),
                             field.get("max_length", DEFAULT_MAX_LENGTH[kind]))
    if kind == "choice":
        return None if value in {c["value"] for c in field["choices"]} else "not a choice"
    if kind == "phone":
        return None if _PHONE.fullmatch(value) else "not a phone number"
    if kind == "id_number":
        return None if _is_id_number(value) else "not an ID number"
    return _date_problem(value, field.get("earliest"), field.get("latest"))  # date


def materials_problems(definition: dict, materials: list[dict], complete: bool) -> list[dict]:
    """Each material given is one of the definition's, once, handed in a way it accepts, with
    1..max_pages pages when photographed; max_pages in all; the required ones there (`complete`)."""
    problems, given = [], {}
    known = {m["key"]: m for m in definition["materials"]}
    for material in materials:
        key = material["key"]
        if key not in known:
            problems.append(_problem(f"materials.{key}", "unknown material"))
        elif key in given:
            problems.append(_problem(f"materials.{key}", "given twice"))
        else:
            given[key] = material
    max_pages = definition["limits"]["max_pages"]
    for key, wanted in known.items():
        material = given.get(key)
        if material is None:
            if complete and wanted["required"]:
                problems.append(_problem(f"materials.{key}", "required"))
            continue
        pages = material.get("pages")
        if material["how"] not in wanted["accepts"]:
            problem = "not accepted"
        elif material["how"] != "camera":
            problem = "pages only with camera" if pages is not None else None
        elif not pages:
            problem = "no pages"
        else:
            problem = "too many pages" if len(pages) > max_pages else None
        if problem:
            problems.append(_problem(f"materials.{key}", problem))
    if sum(len(m.get("pages") or ()) for m in given.values()) > max_pages:
        problems.append(_problem("materials", "too many pages"))
    return problems


def resolve_date(bound: str, today: date) -> date:
    """A definition's earliest/latest: an ISO date, "today", "today+N" or "today-N" (days)."""
    match = RELATIVE_DATE.fullmatch(bound)
    if match is None:
        return date.fromisoformat(bound)
    return today + timedelta(days=int(match[1] or 0))


def _clean(value: Any) -> Any:
    """Strings stripped; "", blank and null are empty (None)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text_problem(value: str, kind: str, min_length: int, max_length: int) -> str | None:
    if _CONTROL.search(value):
        return "invalid characters"
    if kind != "long_text" and ("\n" in value or "\r" in value):
        return "line break"
    if len(value) < min_length:
        return "too short"
    if len(value) > max_length:
        return "too long"
    return None


def _legacy_problem(value: Any) -> str | None:
    """The general rule for a key an older terminal sends: text (no line-break limit), a number, yes/no."""
    if isinstance(value, str):
        return _text_problem(value, "long_text", 0, LEGACY_MAX_LENGTH)
    return None if value is None or isinstance(value, (bool, int, float)) else "wrong type"


def _is_id_number(value: str) -> bool:
    value = value.upper()
    if not _ID_NUMBER.fullmatch(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_character(value[:17]) == value[17]


def _date_problem(value: str, earliest: str | None, latest: str | None) -> str | None:
    if not ISO_DATE.fullmatch(value):
        return "not a date"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return "not a date"
    today = clock.today()
    if earliest is not None and day < resolve_date(earliest, today):
        return "too early"
    if latest is not None and day > resolve_date(latest, today):
        return "too late"
    return None


def _problem(field: str, problem: str) -> dict:
    return {"field": field, "problem": problem}
