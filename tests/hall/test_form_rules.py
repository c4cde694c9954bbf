"""The shared table of form rule cases (tests/seed/form_rule_cases.json) through the hall's
checker over HTTP: a hall seeded with items whose forms are the table's fields, one application
per batch of cases; the 422 must name exactly the failing cases with the table's problems. The
kiosk's checker runs the same table (APPLY_SPEC §2: both sides implement the same rules)."""

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.form_rules import resolve_date
from testing.hall import SEED, Client, Hall, person

TABLE = json.loads((SEED.parents[1] / "seed" / "form_rule_cases.json").read_text(encoding="utf-8"))
BATCH = 40   # a form holds at most 50 fields
TEMPLATE = "XK00102001"
CST = timezone(timedelta(hours=8))


def _batches():
    """(item code, fields, form, expected problems by key) for the single-field cases and the form cases."""
    cases = TABLE["cases"]
    for start in range(0, len(cases), BATCH):
        fields, form, expected = [], {}, {}
        for n, case in enumerate(cases[start:start + BATCH]):
            key = f"c{start + n}"
            fields.append({**case["field"], "key": key})
            if "value_date" in case:
                form[key] = {"value_date": case["value_date"]}  # made a date when sent: see dated()
            elif "value" in case:
                form[key] = case["value"]
            if case["problem"]:
                expected[key] = case["problem"]
        yield f"RC{start:05d}001", fields, form, expected
    for n, case in enumerate(TABLE["forms"]):
        yield f"RF{n:05d}001", case["fields"], case["form"], case["problems"]


BATCHES = list(_batches())


def dated(form: dict) -> dict:
    """The form with its relative dates made real at the moment it is sent (not when the tests
    were collected: a run that crosses midnight in China would send yesterday's "today")."""
    today = datetime.now(CST).date()
    return {key: resolve_date(value["value_date"], today).isoformat()
            if isinstance(value, dict) and "value_date" in value else value for key, value in form.items()}


@pytest.fixture(scope="module")
def rules_hall(tmp_path_factory):
    """A hall whose extra items' forms are the table's fields (no required materials, no signature)."""
    tmp = tmp_path_factory.mktemp("rules")
    seed = tmp / "seed"
    shutil.copytree(SEED, seed)
    catalog = json.loads((seed / "catalog.json").read_text(encoding="utf-8"))
    forms = json.loads((seed / "forms.json").read_text(encoding="utf-8"))
    template = next(i for i in catalog["items"] if i["code"] == TEMPLATE)
    for code, fields, _form, _expected in BATCHES:
        catalog["items"].append({**template, "code": code, "name": f"规则用例{code}"})
        forms["forms"][code] = {"fields": fields, "signature": False, "materials": [
            {**m, "required": False} for m in forms["forms"][TEMPLATE]["materials"]]}
    (seed / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    (seed / "forms.json").write_text(json.dumps(forms, ensure_ascii=False), encoding="utf-8")
    server = Hall(tmp, "--seed", str(seed))
    yield server
    assert server.stop() == 0


@pytest.mark.parametrize("code,fields,form,expected", BATCHES, ids=[b[0] for b in BATCHES])
def test_the_hall_names_exactly_the_failing_cases(rules_hall, code, fields, form, expected):
    client = Client(rules_hall.base)
    version = client.get(f"/api/v1/catalog/{code}/form").json()["version"]
    body = {"item_code": code, "applicant": person(), "form": dated(form), "form_version": version}
    answer = client.post("/api/v1/applications", body)
    if not expected:
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 422, answer.text
    named = {f["field"]: f["problem"] for f in answer.json()["error"]["fields"]}
    assert named == {f"form.{key}": problem for key, problem in expected.items()}


def test_the_table_covers_every_case():
    assert sum(len(b[1]) for b in BATCHES[:-len(TABLE["forms"])]) == len(TABLE["cases"]) >= 80
