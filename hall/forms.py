"""An item's form definition and the checks of an application against it (docs/hall-api.md
"Item forms"). One interpreter of the rules for every item: no item has code of its own.

`check()` returns problems `{"field", "problem"}` for every failing field; the problem words are
the contract's (the kiosk maps them to its messages, tests/seed/form_rule_cases.json holds the
cases both sides run).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hall import clock
from hall.identity import mask_id
from hall.materials import LIMITS  # per application and per file: the uploads are held to them too
from kiosk.form_rules import clean, field_problem, text_problem

LEGACY_MAX_LENGTH = 1000  # a key an older terminal sends that the definition does not have


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
    problems, stored, today = [], {}, clock.today()
    fields = {f["key"]: f for f in definition["fields"]}
    for field in definition["fields"]:
        key = field["key"]
        value = clean(form.get(key))
        if value is None:
            if complete and field.get("required"):
                problems.append(_problem(f"form.{key}", "required"))
            continue
        problem = field_problem(field, value, today)
        if problem:
            problems.append(_problem(f"form.{key}", problem))
        elif field["type"] == "id_number":
            value = mask_id(value.upper())
        stored[key] = value
    for key, value in form.items():
        if key in fields:
            continue
        value = clean(value)
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


def _legacy_problem(value: Any) -> str | None:
    """The general rule for a key an older terminal sends: text (no line-break limit), a number, yes/no."""
    if isinstance(value, str):
        return text_problem(value, "long_text", 0, LEGACY_MAX_LENGTH)
    return None if value is None or isinstance(value, (bool, int, float)) else "wrong type"


def _problem(field: str, problem: str) -> dict:
    return {"field": field, "problem": problem}
