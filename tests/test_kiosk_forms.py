"""The kiosk's checker (kiosk/forms.py) through the rule table the hall runs too
(tests/seed/form_rule_cases.json): every case gets exactly the table's problem; and what the
resident sees of a problem names the field."""

import json
from datetime import date
from pathlib import Path

import pytest

from kiosk import forms

TABLE = json.loads((Path(__file__).parent / "seed" / "form_rule_cases.json").read_text(encoding="utf-8"))
TODAY = date(2026, 3, 15)


def _value(case):
    if "value_date" in case:
        return forms.resolve_date(case["value_date"], TODAY).isoformat()
    return case["value"]


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_a_case_of_the_table(case):
    form = {"f": _value(case)} if "value" in case or "value_date" in case else {}
    problems = forms.check({"fields": [case["field"]]}, form, today=TODAY)
    assert problems == ({"f": case["problem"]} if case["problem"] else {})


@pytest.mark.parametrize("case", TABLE["forms"], ids=[c["name"] for c in TABLE["forms"]])
def test_a_whole_form_of_the_table(case):
    form = {k: forms.resolve_date(v["value_date"], TODAY).isoformat() if isinstance(v, dict) and "value_date" in v
            else v for k, v in case["form"].items()}
    assert forms.check({"fields": case["fields"]}, form, today=TODAY) == case["problems"]


def test_every_problem_word_of_the_table_has_a_message():
    words = {c["problem"] for c in TABLE["cases"] if c["problem"]}
    words |= {p for c in TABLE["forms"] for p in c["problems"].values()}
    assert words <= set(forms.MESSAGES)


def test_messages_name_the_field_in_the_residents_language():
    field = {"key": "people", "label": {"zh": "迁移人数", "en": "People moving"}, "type": "number", "max": 20}
    assert forms.message(field, "people", "too large", "en") == "People moving: the number is too large (at most 20)."
    zh = forms.message(field, "people", "too large", "zh_CN")
    assert "迁移人数" in zh and "20" in zh and "number" not in zh


def test_typed_numbers_become_json_numbers():
    field = {"key": "n", "type": "number", "integer": True}
    assert forms.parse(field, " 4 ") == 4
    assert forms.check({"fields": [field]}, {"n": forms.parse(field, "4.0")}) == {"n": "not an integer"}
    assert forms.check({"fields": [field]}, {"n": forms.parse(field, "four")}) == {"n": "wrong type"}


def test_prefill_fills_only_fitting_types():
    sources = {"id.birth_date": "1990-03-07", "id.sex": "男", "session.phone": "13800138000"}
    assert forms.prefill({"key": "b", "type": "date", "prefill": "id.birth_date"}, sources) == "1990-03-07"
    assert forms.prefill({"key": "b", "type": "number", "prefill": "id.birth_date"}, sources) is None
    sex = {"key": "s", "type": "choice", "prefill": "id.sex",
           "choices": [{"value": "male", "zh": "男", "en": "Male"}, {"value": "female", "zh": "女", "en": "Female"}]}
    assert forms.prefill(sex, sources) == "male"
    assert forms.prefill({"key": "p", "type": "phone", "prefill": "session.phone"}, sources) == "13800138000"
    assert forms.prefill({"key": "p", "type": "phone"}, sources) is None


def test_a_date_typed_as_eight_digits_is_a_date():
    field = {"key": "d", "type": "date"}
    assert forms.parse(field, "19900307") == "1990-03-07"
    assert forms.check({"fields": [field]}, {"d": forms.parse(field, "19900230")}) == {"d": "not a date"}


def test_a_date_bound_is_said_as_the_day_it_is():
    field = {"key": "d", "label": {"zh": "日期", "en": "Date"}, "type": "date", "latest": "today+1"}
    tomorrow = forms.resolve_date("today+1", forms.today_cst()).isoformat()
    assert forms.message(field, "d", "too late", "en") == f"Date: the date is too late (not after {tomorrow})."
