"""The terminal's checker of an item's form, from the definition the hall serves (docs/hall-api.md
"Item forms"): the same rules as the hall's, so a resident hears of a wrong value before sending.
No rule is written per item; tests/seed/form_rule_cases.json is the table both sides run.

`check()` gives the contract's problem words by field key; `message()` turns one into a sentence
naming the field in the resident's language. `prefill()` says what a field starts with.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from kiosk.form_rules import DEFAULT_MAX_LENGTH, clean, field_problem, resolve_date
from kiosk.i18n import translate

CST = timezone(timedelta(hours=8))  # the hall's "today" is China Standard Time

# problem word -> message id ({field} is the field's label)
MESSAGES = {
    "required": "Please fill in {field}.",
    "unknown field": "{field} is not part of this form.",
    "wrong type": "{field}: please enter a value of the right kind.",
    "invalid characters": "{field}: please remove special characters.",
    "line break": "{field}: please keep it on one line.",
    "too short": "{field} is too short: at least {min_length} characters.",
    "too long": "{field} is too long: at most {max_length} characters.",
    "not an integer": "{field}: please enter a whole number.",
    "too small": "{field}: the number is too small (at least {min}).",
    "too large": "{field}: the number is too large (at most {max}).",
    "not finite": "{field}: please enter a number.",
    "not a date": "{field}: please enter a real date as YYYY-MM-DD, e.g. 2025-06-01.",
    "too early": "{field}: the date is too early (not before {earliest}).",
    "too late": "{field}: the date is too late (not after {latest}).",
    "not a choice": "{field}: please choose one of the options.",
    "not a phone number": "{field}: please enter a mobile number (11 digits starting with 1) or a landline such as 0748-8220168.",
    "not an ID number": "{field}: this is not a valid ID number (18 characters; check the last one).",
}


def today_cst() -> date:
    return datetime.now(CST).date()


def check(definition: dict, form: dict[str, Any], today: date | None = None) -> dict[str, str]:
    """Problems of a whole form (key -> problem word); empty when the hall will take it."""
    today = today or today_cst()
    keys = {f["key"] for f in definition["fields"]}
    problems = {}
    for field in definition["fields"]:
        value = clean(form.get(field["key"]))
        if value is None:
            if field.get("required"):
                problems[field["key"]] = "required"
            continue
        problem = field_problem(field, value, today)
        if problem:
            problems[field["key"]] = problem
    for key in form:
        if key not in keys:
            problems[key] = "unknown field"
    return problems


def label(field: dict, lang: str) -> str:
    names = field.get("label", {})
    return names.get("zh" if lang.startswith("zh") else "en") or names.get("zh") or field["key"]


def message(field: dict | None, key: str, problem: str, lang: str) -> str:
    """The problem as a translated sentence naming the field (`field` None: a key the form lacks)."""
    field = field or {"key": key, "type": "text"}
    text = translate(MESSAGES.get(problem, "{field}: please check this value."), lang)
    bounds = {name: field.get(name, "") for name in ("min", "max")}
    for name in ("earliest", "latest"):  # "today+N" said as the day it is
        bounds[name] = resolve_date(field[name], today_cst()).isoformat() if field.get(name) else ""
    kind = field.get("type", "text")
    bounds["min_length"] = field.get("min_length", 0)
    bounds["max_length"] = field.get("max_length", DEFAULT_MAX_LENGTH.get(kind, 100))
    return text.format(field=label(field, lang), **bounds)


def parse(field: dict, text: str) -> Any:
    """A typed entry as the form holds it: numbers as JSON numbers ("4.0" stays a float, so an
    integer field says it is not whole), eight digits of a date as YYYY-MM-DD (the digit keys
    have no dash), everything else as the stripped text. A number that
    cannot be read stays text, which check() calls the wrong type."""
    text = text.strip()
    if field["type"] == "date" and re.fullmatch(r"\d{8}", text, re.ASCII):
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"  # typed on the digit keys: 19900307
    if field["type"] != "number" or not text:
        return text
    try:
        return int(text) if re.fullmatch(r"[+-]?\d+", text, re.ASCII) else float(text)
    except ValueError:
        return text


_FITS = {"id.birth_date": ("date",), "session.phone": ("phone",), "id.id_number": ("id_number",),
         "ssc.number": ("id_number",), "id.sex": ("text", "choice"), "id.nation": ("text", "choice")}


def prefill(field: dict, sources: dict[str, str]) -> Any:
    """What `field` starts with from the session (`sources`: id.name, id.sex, ... as the
    definition names them), or None. A source fills only a field of a fitting type."""
    source = field.get("prefill")
    value = sources.get(source or "")
    if not value or field["type"] not in _FITS.get(source, ("text", "address", "long_text")):
        return None
    if field["type"] == "choice":  # sex and nation: the choice whose value or label is the card's
        return next((c["value"] for c in field["choices"] if value in (c["value"], c.get("zh"))), None)
    return value

