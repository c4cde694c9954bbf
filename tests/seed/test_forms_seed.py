"""The item forms (assets/seed/forms.json): every online item has one, the fields follow the
definition rules (docs/hall-api.md, Item forms), the materials are the guide's in its order.

Like test_seed_data, independent of the hall's models on purpose: these checks state the rules
of a definition, so a hall model that loosens one does not let bad seed data through.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from kiosk import paths

SEED = paths.SEED
RULE_CASES = Path(__file__).with_name("form_rule_cases.json")
TYPES = {"text", "long_text", "number", "date", "choice", "yes_no", "address", "phone", "id_number"}
TEXT_TYPES = {"text", "long_text", "address"}
ONLY_FOR = {"min_length": TEXT_TYPES, "max_length": TEXT_TYPES, "min": {"number"}, "max": {"number"},
            "integer": {"number"}, "earliest": {"date"}, "latest": {"date"}, "choices": {"choice"}}
FIELD_KEYS = {"key", "label", "type", "required", "help", "prefill", *ONLY_FOR}
PREFILL = {"id.name": {"text"}, "id.sex": {"text", "choice"}, "id.nation": {"text", "choice"},
           "id.birth_date": {"date"}, "id.address": {"address", "text"}, "id.id_number": {"id_number"},
           "ssc.number": {"id_number"}, "session.phone": {"phone"}}
COMMON = {"phone", "address", "notes"}   # the keys today's kiosk form sends (screens/apply.py)
HOW = {"camera", "id_card", "window"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# "仅…时提供", "已联网核查的可免于提供", "迁入他人户的提供": a material not everyone needs.
CONDITIONAL = re.compile(r"时提供|免于提|无需提供|可不提供|的提供$")


def _load(name):
    return json.loads((SEED / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed():
    return _load("forms.json")


@pytest.fixture(scope="module")
def items():
    return {i["code"]: i for i in _load("catalog.json")["items"]}


def _fields(seed, form):
    common = {f["key"]: f for f in seed["common_fields"]}
    return [common[f] if isinstance(f, str) else f for f in form["fields"]]


def _words(value, where):
    problems = []
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        return [f"{where}: not {{zh, en}}"]
    if not (isinstance(value["zh"], str) and CJK.search(value["zh"]) and value["zh"] == value["zh"].strip()):
        problems.append(f"{where}.zh: no Chinese")
    en = value["en"]
    if not (isinstance(en, str) and en and en == en.strip() and not CJK.search(en) and not en[0].islower()):
        problems.append(f"{where}.en: not a capitalised English text")
    return problems


def _date_bound(value):
    if re.fullmatch(r"today([+-]\d{1,5})?", value):
        return True
    try:
        date.fromisoformat(value)
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    except ValueError:
        return False


def field_problems(field, where):
    """What is wrong with one field definition by the rules of docs/hall-api.md (empty: nothing)."""
    if not isinstance(field, dict):
        return [f"{where}: not an object"]
    problems = [f"{where}: unknown attribute {k}" for k in set(field) - FIELD_KEYS]
    key, kind = field.get("key"), field.get("type")
    if not (isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key)):
        problems.append(f"{where}: key {key!r}")
    if kind not in TYPES:
        return problems + [f"{where}: type {kind!r}"]
    problems += _words(field.get("label"), f"{where}.label")
    if "help" in field:
        problems += _words(field["help"], f"{where}.help")
    if not isinstance(field.get("required", False), bool):
        problems.append(f"{where}: required is not true/false")
    for name, types in ONLY_FOR.items():
        if name in field and kind not in types:
            problems.append(f"{where}: {name} on a {kind} field")
    lengths = [field.get("min_length", 0), field.get("max_length", 1000)]
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 1000 for n in lengths) \
            or lengths[0] > lengths[1] or field.get("max_length") == 0:
        problems.append(f"{where}: lengths {lengths}")
    bounds = [field[b] for b in ("min", "max") if b in field]
    if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) or bounds != sorted(bounds):
        problems.append(f"{where}: min/max {bounds}")
    if "integer" in field and not isinstance(field["integer"], bool):
        problems.append(f"{where}: integer is not true/false")
    for bound in ("earliest", "latest"):
        if bound in field and not (isinstance(field[bound], str) and _date_bound(field[bound])):
            problems.append(f"{where}: {bound} {field[bound]!r}")
    if kind == "choice":
        choices = field.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            problems.append(f"{where}: a choice field needs at least two choices")
        else:
            values = [c.get("value") for c in choices]
            if len(set(values)) != len(values) or not all(isinstance(v, str) and v.strip() == v != ""
                                                           for v in values):
                problems.append(f"{where}: choice values {values}")
            for i, c in enumerate(choices):
                if set(c) != {"value", "zh", "en"}:
                    problems.append(f"{where}.choices[{i}]: attributes {sorted(c)}")
                elif not c["zh"].isascii():   # "60%" or "C1" need no Chinese
                    problems += _words({"zh": c["zh"], "en": c["en"]}, f"{where}.choices[{i}]")
    if "prefill" in field and kind not in PREFILL.get(field["prefill"], ()):
        problems.append(f"{where}: prefill {field['prefill']!r} on a {kind} field")
    return problems


# --- the file -----------------------------------------------------------------------------------

def test_file_is_pretty_printed_utf8_json():
    text = (SEED / "forms.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def test_no_personal_data():
    text = (SEED / "forms.json").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", text), "an ID-number-like string"
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text), "a mobile phone number"


# --- which items ---------------------------------------------------------------------------------

def test_every_online_item_and_only_those_has_a_form(seed, items):
    online = {code for code, item in items.items() if item["online"]}
    assert set(seed["forms"]) == online
    assert len(online) >= 90


def test_at_least_25_items_have_fields_of_their_own(seed):
    own = {code: [f["key"] for f in form["fields"] if not isinstance(f, str)] for code, form in seed["forms"].items()}
    assert sum(1 for keys in own.values() if keys) >= 25, own


def test_examples_from_the_issue(seed, items):
    """户口迁移 asks where to and why, the marriage item the partner, social insurance the category."""
    def keys_of(name):
        code = next(c for c, i in items.items() if i["name"] == name)
        return {f["key"]: f for f in _fields(seed, seed["forms"][code])}
    move = keys_of("户口迁移（县外迁入）")
    assert move["move_in_address"]["type"] == "address" and move["move_in_address"]["label"]["zh"] == "迁入地址"
    assert move["move_reason"]["type"] == "choice" and move["move_reason"]["required"]
    marriage = keys_of("结婚登记预约")
    assert marriage["partner_name"]["required"] and marriage["partner_id_number"]["type"] == "id_number"
    assert keys_of("灵活就业人员参保登记")["insurance"]["label"]["zh"] == "参保类别"
    assert keys_of("丧葬补助金、抚恤金申领")["bank_name"]["label"]["zh"] == "开户银行"
    assert keys_of("公路超限运输许可")["plate_number"]["label"]["zh"] == "车牌号码"


# --- fields --------------------------------------------------------------------------------------

def test_common_fields(seed):
    common = {f["key"]: f for f in seed["common_fields"]}
    assert set(common) == COMMON
    assert (common["phone"]["type"], common["phone"]["prefill"], common["phone"]["required"]) == \
        ("phone", "session.phone", True)
    assert (common["address"]["type"], common["address"]["prefill"]) == ("address", "id.address")
    assert common["notes"]["type"] == "long_text" and common["notes"]["required"] is False
    problems = [p for key, f in common.items() for p in field_problems(f, f"common.{key}")]
    assert not problems, "\n".join(problems)


def test_every_form_ends_with_the_common_fields_todays_kiosk_sends(seed):
    for code, form in seed["forms"].items():
        refs = [f for f in form["fields"] if isinstance(f, str)]
        assert refs == ["phone", "address", "notes"] and form["fields"][-3:] == refs, code


def test_every_field_follows_the_rules(seed):
    problems = []
    for code, form in seed["forms"].items():
        keys = []
        for i, field in enumerate(_fields(seed, form)):
            problems += field_problems(field, f"{code}.fields[{i}]")
            keys.append(field.get("key"))
        if len(set(keys)) != len(keys):
            problems.append(f"{code}: a key appears twice in {keys}")
        if len(keys) > 50:
            problems.append(f"{code}: more than 50 fields")
    assert not problems, "\n".join(problems[:30])


def test_the_field_checker_itself_finds_mistakes():
    good = {"key": "reason", "label": {"zh": "原因", "en": "Reason"}, "type": "choice", "required": True,
            "choices": [{"value": "a", "zh": "甲", "en": "A"}, {"value": "b", "zh": "乙", "en": "B"}]}
    assert field_problems(good, "f") == []
    for bad in ({**good, "key": "Reason"}, {**good, "type": "select"}, {**good, "choices": good["choices"][:1]},
                {**good, "max_length": 5}, {**good, "prefill": "session.phone"}, {**good, "required": "yes"},
                {**good, "label": {"zh": "原因", "en": "原因"}}, {**good, "surprise": 1},
                {"key": "n", "label": good["label"], "type": "number", "required": False, "min": 5, "max": 1},
                {"key": "d", "label": good["label"], "type": "date", "required": False, "latest": "tomorrow"}):
        assert field_problems(bad, "f"), bad


def test_the_forms_use_every_type_and_prefill_beyond_the_common_ones(seed):
    own = [f for form in seed["forms"].values() for f in form["fields"] if not isinstance(f, str)]
    assert {f["type"] for f in own} == TYPES
    assert {f.get("prefill") for f in own} >= {"id.birth_date", "ssc.number"}
    assert sum(f["type"] == "choice" for f in own) >= 40


def test_the_shared_rule_cases_hold_valid_field_definitions():
    """tests/seed/form_rule_cases.json: the table both checkers run uses definitions a hall could serve."""
    table = json.loads(RULE_CASES.read_text(encoding="utf-8"))
    problems = [p for case in table["cases"] for p in field_problems(case["field"], case["name"])]
    problems += [p for case in table["forms"] for f in case["fields"] for p in field_problems(f, case["name"])]
    assert not problems, problems
    names = [c["name"] for c in table["cases"]]
    assert len(set(names)) == len(names)
    assert {c["field"]["type"] for c in table["cases"]} == TYPES
    assert {c["problem"] for c in table["cases"]} >= {
        None, "required", "wrong type", "invalid characters", "line break", "too short", "too long",
        "not an integer", "too small", "too large", "not a date", "too early", "too late", "not a choice",
        "not a phone number", "not an ID number"}


# --- materials and signature ---------------------------------------------------------------------

def test_materials_are_the_guides_in_its_order(seed, items):
    for code, form in seed["forms"].items():
        assert [m["name"] for m in form["materials"]] == [m["name"] for m in items[code]["materials"]], code


def test_each_material_says_how_it_may_be_handed_in(seed, items):
    problems = []
    for code, form in seed["forms"].items():
        for m, guide in zip(form["materials"], items[code]["materials"]):
            where = f"{code} {m['name']}"
            if set(m) != {"name", "name_en", "required", "accepts"}:
                problems.append(f"{where}: attributes {sorted(m)}")
                continue
            en, accepts = m["name_en"], m["accepts"]
            if not (isinstance(en, str) and en and en.isascii() and en[0].isupper() and en == en.strip()):
                problems.append(f"{where}: name_en {en!r}")
            if not isinstance(m["required"], bool):
                problems.append(f"{where}: required is not true/false")
            if not accepts or len(set(accepts)) != len(accepts) or not set(accepts) <= HOW:
                problems.append(f"{where}: accepts {accepts}")
            several_people = re.search(r"双方|和承租人", m["name"])
            if "id_card" in accepts and ("身份证" not in m["name"] or several_people or m["name"].startswith("原")):
                problems.append(f"{where}: only the resident's own ID card is the ID card read at the kiosk")
            if re.fullmatch(r"(申请人|申领人|经办人|查询人|经营者)?居民身份证", m["name"]) and "id_card" not in accepts:
                problems.append(f"{where}: the ID card read at the kiosk should count as this material")
            if guide["form"] == "电子版" and "camera" not in accepts and "采集" not in guide["name"] + guide["notes"]:
                problems.append(f"{where}: an electronic copy is photographed")
            if guide["form"] == "复印件" and not {"camera", "window"} <= set(accepts):
                problems.append(f"{where}: a copy is photographed or brought, {accepts}")
            if guide["form"] == "原件" and "window" not in accepts:
                problems.append(f"{where}: an original can always be brought to the window")
            if CONDITIONAL.search(guide["notes"]) and m["required"]:
                problems.append(f"{where}: needed only in some cases ({guide['notes']}) but required")
    assert not problems, "\n".join(problems[:30])


def test_the_materials_use_every_way_and_some_are_optional(seed):
    materials = [m for form in seed["forms"].values() for m in form["materials"]]
    assert {h for m in materials for h in m["accepts"]} == HOW
    assert any(m["accepts"] == ["window"] for m in materials), "an original handed in"
    assert 0.1 < sum(not m["required"] for m in materials) / len(materials) < 0.4


def test_most_items_take_a_signature(seed):
    signs = [form["signature"] for form in seed["forms"].values()]
    assert all(isinstance(s, bool) for s in signs)
    assert 0.9 * len(signs) <= sum(signs) < len(signs)


# --- the hall accepts it -------------------------------------------------------------------------

def test_the_hall_loads_a_form_for_every_online_item(tmp_path, items):
    seed = pytest.importorskip("hall.seed")
    from sqlalchemy import func, select

    from hall import db
    database = db.Database(str(tmp_path / "hall.sqlite"))
    try:
        assert seed.load(database, SEED) is True
        with database.read_session() as session:
            assert session.scalar(select(func.count()).select_from(db.Form)) == sum(i["online"] for i in items.values())
    finally:
        database.dispose()
