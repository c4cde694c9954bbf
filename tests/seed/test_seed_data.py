"""The hall's seed data (assets/seed): shapes, counts, cross-references, consistency, privacy.

Independent of the hall's pydantic models on purpose: these checks state what the
data must be, so a model that loosens a rule does not silently pass bad seed data.
One test at the end loads the files into a real SQLite hall database as well.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from datetime import date

import pytest
from pypinyin import Style, lazy_pinyin

from kiosk import paths

SEED = paths.SEED
CODE = re.compile(r"(?P<type>[A-Z]{2})(?P<main>\d{5})(?P<sub>\d{3})")
TYPES = {"XK": "行政许可", "QR": "行政确认", "GF": "公共服务", "JF": "行政给付", "ZS": "行政征收",
         "QT": "其他行政权力", "CJ": "行政裁决", "JL": "行政奖励"}
THEMES = {"户籍办理", "证件办理", "生育收养", "婚姻登记", "社会保障", "就业创业", "医疗卫生", "社会救助",
          "养老服务", "残疾人服务", "教育", "住房", "不动产", "企业开办", "纳税缴费", "工程建设", "交通出行",
          "优抚安置", "农业农村", "其他"}
LANDLINE = re.compile(r"0\d{2,3}-[2-9]\d{6,7}")
NOTICE_ISSUERS_BEYOND_DEPARTMENTS = {"青山县政务服务中心", "青山县人民政府办公室"}
TODAY = date(2026, 11, 23)

ITEM_FIELDS = {"code": str, "name": str, "type": str, "audience": list, "department": dict, "themes": list,
               "agency": dict, "conditions": str, "materials": list, "steps": list, "special_steps": str,
               "legal_limit_days": (int, type(None)), "promised_limit_days": int, "fee": dict,
               "legal_basis": list, "place": str, "hours": str, "visits": int, "online": bool,
               "consult_phone": str, "complaint_phone": str, "faq": list}
OUTLET_FIELDS = {"id": str, "name": str, "address": str, "hours": str, "phone": str, "lat": float, "lon": float,
                 "items": list, "appointment": dict}
NOTICE_FIELDS = {"id": str, "title": str, "published": str, "department": str, "body": str}


def _load(name):
    return json.loads((SEED / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog():
    return _load("catalog.json")


@pytest.fixture(scope="module")
def items(catalog):
    return catalog["items"]


@pytest.fixture(scope="module")
def outlets():
    return _load("outlets.json")


@pytest.fixture(scope="module")
def notices():
    return _load("notices.json")


def _nonempty_str(value):
    return isinstance(value, str) and value.strip() == value and value != ""


def _check_fields(record, fields, label):
    """Every field present, of its type, strings and lists non-empty; no unknown fields."""
    problems = []
    if set(record) != set(fields):
        problems.append(f"{label}: fields {sorted(set(record) ^ set(fields))} differ")
    for field, kind in fields.items():
        value = record.get(field)
        if isinstance(value, bool) and kind is not bool:   # bool is an int subclass; keep them apart
            problems.append(f"{label}.{field}: bool where {kind} expected")
        elif not isinstance(value, kind):
            problems.append(f"{label}.{field}: {type(value).__name__} where {kind} expected")
        elif isinstance(value, str) and not _nonempty_str(value):
            problems.append(f"{label}.{field}: empty or padded string")
        elif isinstance(value, (list, dict)) and not value:
            problems.append(f"{label}.{field}: empty")
    return problems


# --- files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["catalog.json", "outlets.json", "notices.json"])
def test_files_are_pretty_printed_utf8_json(name):
    text = (SEED / name).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def test_counts(catalog, outlets, notices):
    assert len(catalog["items"]) >= 130
    assert len(catalog["departments"]) >= 12
    assert len(outlets) >= 8
    assert len(notices) >= 20


# --- departments --------------------------------------------------------------------------------

def test_departments_are_complete_unique_and_all_used(catalog):
    departments = catalog["departments"]
    for d in departments:
        assert set(d) == {"code", "name", "address", "phone"}
        assert all(_nonempty_str(d[k]) for k in d), d
        assert re.fullmatch(r"[A-Z]{2,4}", d["code"]), d["code"]
        assert LANDLINE.fullmatch(d["phone"]), d["phone"]
    assert len({d["code"] for d in departments}) == len(departments)
    assert len({d["name"] for d in departments}) == len(departments)
    used = Counter(i["department"]["code"] for i in catalog["items"])
    unused = [d["name"] for d in departments if used[d["code"]] == 0]
    assert not unused, f"departments with no item: {unused}"


def test_the_expected_departments_are_there(catalog):
    names = " ".join(d["name"] for d in catalog["departments"])
    for part in ("公安局", "人力资源和社会保障局", "医疗保障局", "民政局", "市场监督管理局", "自然资源局",
                 "住房公积金管理中心", "税务局", "卫生健康局", "教育局", "住房和城乡建设局", "交通运输局"):
        assert part in names, part


# --- items --------------------------------------------------------------------------------------

def test_every_item_field_present_typed_and_filled(items):
    problems = []
    for item in items:
        problems += _check_fields(item, ITEM_FIELDS, item.get("code", "?"))
    assert not problems, "\n".join(problems[:20])


def test_codes_unique_well_formed_and_matching_type(items):
    codes = [i["code"] for i in items]
    assert len(set(codes)) == len(codes), [c for c, n in Counter(codes).items() if n > 1]
    for item in items:
        m = CODE.fullmatch(item["code"])
        assert m, item["code"]
        assert TYPES.get(m["type"]) == item["type"], (item["code"], item["type"])
        assert m["sub"] != "000" and m["main"] != "00000", item["code"]


def test_sub_items_of_one_main_item_share_type_and_department(items):
    mains = {}
    for item in items:
        main = item["code"][:7]
        mains.setdefault(main, set()).add((item["type"], item["department"]["code"]))
    assert all(len(v) == 1 for v in mains.values()), {k: v for k, v in mains.items() if len(v) > 1}


def test_names_unique(items):
    names = [i["name"] for i in items]
    assert len(set(names)) == len(names), [n for n, c in Counter(names).items() if c > 1]


def test_department_references_match_the_department_list(catalog):
    known = {d["code"]: d["name"] for d in catalog["departments"]}
    for item in catalog["items"]:
        ref = item["department"]
        assert set(ref) == {"code", "name"}
        assert known.get(ref["code"]) == ref["name"], (item["code"], ref)


def test_audience_and_themes(items):
    for item in items:
        assert item["audience"] and set(item["audience"]) <= {"个人", "法人"}, item["code"]
        assert len(set(item["audience"])) == len(item["audience"]), item["code"]
        assert set(item["themes"]) <= THEMES, (item["code"], set(item["themes"]) - THEMES)
        assert len(set(item["themes"])) == len(item["themes"]), item["code"]
    assert len({t for i in items for t in i["themes"]}) >= 12
    assert {a for i in items for a in i["audience"]} == {"个人", "法人"}


def test_agency(items):
    for item in items:
        agency = item["agency"]
        assert set(agency) == {"name", "address", "phone"}, item["code"]
        assert all(_nonempty_str(v) for v in agency.values()), item["code"]
        assert agency["name"].startswith(("青山县", "国家税务总局青山县", "某市住房公积金管理中心青山县")), agency["name"]
        assert "青山县" in agency["address"], item["code"]
        assert LANDLINE.fullmatch(agency["phone"]), (item["code"], agency["phone"])


def test_materials(items):
    for item in items:
        for m in item["materials"]:
            assert set(m) == {"name", "form", "count", "notes"}, item["code"]
            assert _nonempty_str(m["name"]), item["code"]
            assert m["form"] in {"原件", "复印件", "电子版"}, (item["code"], m)
            assert isinstance(m["count"], int) and not isinstance(m["count"], bool) and 1 <= m["count"] <= 10
            assert isinstance(m["notes"], str)
        names = [m["name"] for m in item["materials"]]
        assert len(set(names)) == len(names), (item["code"], names)


def test_steps_are_four_to_six_concrete_steps(items):
    for item in items:
        assert 4 <= len(item["steps"]) <= 6, (item["code"], len(item["steps"]))
        assert all(_nonempty_str(s) and len(s) >= 4 for s in item["steps"]), item["code"]
        assert len(set(item["steps"])) == len(item["steps"]), item["code"]


def test_time_limits(items):
    for item in items:
        legal, promised = item["legal_limit_days"], item["promised_limit_days"]
        assert 0 <= promised <= 90, item["code"]
        if legal is not None:
            assert 0 <= legal <= 90 and promised <= legal, (item["code"], legal, promised)
    assert any(i["promised_limit_days"] == 0 for i in items), "some items are done on the spot"
    assert any(i["legal_limit_days"] is None for i in items)


def test_fees(items):
    for item in items:
        fee = item["fee"]
        assert set(fee) == {"standard", "basis"} and all(_nonempty_str(v) for v in fee.values()), item["code"]
        if fee["standard"] == "不收费":
            assert fee["basis"] == "无" or "《" in fee["basis"], item["code"]
        else:   # a charge always names the document that sets it
            assert "元" in fee["standard"] or "核定" in fee["standard"], item["code"]
            assert "《" in fee["basis"], item["code"]
    charged = [i for i in items if i["fee"]["standard"] != "不收费"]
    assert 5 <= len(charged) <= len(items) // 3, len(charged)


def test_legal_basis_names_laws(items):
    for item in items:
        for basis in item["legal_basis"]:
            assert re.search(r"《[^《》]+》", basis), (item["code"], basis)
            assert basis.count("《") == basis.count("》"), (item["code"], basis)


def test_visits_online_and_phones(items):
    for item in items:
        assert item["visits"] in (0, 1, 2), item["code"]
        if item["visits"] == 0:    # done without coming in: it must be online and need no paper
            assert item["online"] is True, item["code"]
            assert all(m["form"] == "电子版" for m in item["materials"]), item["code"]
        if not item["online"]:
            assert item["visits"] >= 1, item["code"]
        assert LANDLINE.fullmatch(item["consult_phone"]), (item["code"], item["consult_phone"])
        assert item["complaint_phone"] == "12345", item["code"]
    assert Counter(i["visits"] for i in items).keys() == {0, 1, 2}
    assert Counter(i["online"] for i in items).keys() == {True, False}


def test_faq(items):
    for item in items:
        assert 1 <= len(item["faq"]) <= 3, item["code"]
        for qa in item["faq"]:
            assert set(qa) == {"q", "a"} and _nonempty_str(qa["q"]) and _nonempty_str(qa["a"]), item["code"]
            assert qa["q"].endswith(("？", "?")), (item["code"], qa["q"])


def test_no_copy_paste_sameness(items):
    """Hand-written guides: conditions, FAQ questions and step lists differ between items."""
    conditions = [i["conditions"] for i in items]
    assert len(set(conditions)) == len(conditions)
    questions = [qa["q"] for i in items for qa in i["faq"]]
    assert len(set(questions)) == len(questions), [q for q, n in Counter(questions).items() if n > 1]
    step_lists = {tuple(i["steps"]) for i in items}
    assert len(step_lists) == len(items)


def test_pinyin_search_examples_exist(items):
    """The screens' search is tried with sfz / sb / gjj: items whose names answer those must exist."""
    initials = {i["name"]: "".join(lazy_pinyin(i["name"], style=Style.FIRST_LETTER)) for i in items}
    assert sum("身份证" in n and "sfz" in ini for n, ini in initials.items()) >= 3
    assert any(n.startswith("社保") for n in initials), "a name starting with the short form 社保"
    assert sum(("社保" in n or "社会保障" in n) for n in initials) >= 2
    assert any(ini.startswith("gjj") for ini in initials.values()) or \
        sum("公积金" in n for n in initials) >= 3
    assert sum("公积金" in n for n in initials) >= 5


# --- outlets ------------------------------------------------------------------------------------

def test_outlet_fields(outlets):
    problems = []
    for o in outlets:
        problems += _check_fields(o, OUTLET_FIELDS, o.get("id", "?"))
    assert not problems, "\n".join(problems[:20])
    ids = [o["id"] for o in outlets]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9-]{3,64}", i) for i in ids)
    assert len({o["name"] for o in outlets}) == len(outlets)
    for o in outlets:
        assert LANDLINE.fullmatch(o["phone"]), o["phone"]
        assert o["address"].startswith("青山县"), o["address"]


def test_outlet_kinds(outlets):
    names = [o["name"] for o in outlets]
    assert any(n.endswith("政务服务中心") for n in names)
    assert any("不动产登记中心" in n for n in names)
    assert any("公安" in n and "户籍" in n for n in names)
    assert sum(n.endswith(("镇便民服务中心", "乡便民服务中心")) for n in names) >= 3
    assert sum(n.endswith("便民服务站") for n in names) >= 1


def test_outlet_items_exist_in_catalogue(outlets, items):
    codes = {i["code"] for i in items}
    for o in outlets:
        assert len(set(o["items"])) == len(o["items"]), o["id"]
        unknown = set(o["items"]) - codes
        assert not unknown, (o["id"], sorted(unknown))
    covered = {c for o in outlets for c in o["items"]}
    assert len(covered) >= len(items) * 0.8, "most items are handled somewhere"


def test_outlet_items_match_the_items_place(outlets, items):
    """A village station only handles items whose guide sends people to a village station or that are self-service."""
    by_code = {i["code"]: i for i in items}
    for o in outlets:
        if o["name"].endswith("便民服务站"):
            for code in o["items"]:
                item = by_code[code]
                assert "便民服务站" in item["place"] or item["visits"] == 0, (o["id"], code, item["place"])


def _km(a, b):
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot((a[0] - b[0]) * 111.2, (a[1] - b[1]) * 111.2 * math.cos(lat))


def test_outlet_coordinates_cluster_in_one_county(outlets):
    points = [(o["lat"], o["lon"]) for o in outlets]
    for lat, lon in points:
        assert 21 <= lat <= 42 and 100 <= lon <= 118, (lat, lon)    # inland China, not the coast or the west
    worst = max(_km(a, b) for a in points for b in points)
    assert 2 < worst < 60, worst       # spread over townships, within one county


def test_outlet_appointment_calendars(outlets):
    for o in outlets:
        a = o["appointment"]
        assert set(a) == {"slot_minutes", "capacity", "periods"}, o["id"]
        assert a["slot_minutes"] in (15, 20, 30, 60) and 1 <= a["capacity"] <= 20, o["id"]
        previous_end = "00:00"
        for start, end in a["periods"]:
            assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", start) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", end)
            assert previous_end <= start < end, (o["id"], start, end)
            minutes = (int(end[:2]) * 60 + int(end[3:])) - (int(start[:2]) * 60 + int(start[3:]))
            assert minutes % a["slot_minutes"] == 0, (o["id"], start, end)
            previous_end = end


# --- notices ------------------------------------------------------------------------------------

def test_notice_fields_dates_and_issuers(notices, catalog):
    problems = []
    for n in notices:
        problems += _check_fields(n, NOTICE_FIELDS, n.get("id", "?"))
    assert not problems, "\n".join(problems[:20])
    assert len({n["id"] for n in notices}) == len(notices)
    assert len({n["title"] for n in notices}) == len(notices)
    issuers = {d["name"] for d in catalog["departments"]} | NOTICE_ISSUERS_BEYOND_DEPARTMENTS
    for n in notices:
        published = date.fromisoformat(n["published"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", n["published"])
        assert 0 < (TODAY - published).days <= 365, n["published"]
        assert n["department"] in issuers, n["department"]
    assert len({n["department"] for n in notices}) >= 8


def test_notice_bodies_are_three_to_eight_sentences(notices):
    for n in notices:
        sentences = [s for s in re.split(r"[。！？]", n["body"]) if s.strip()]
        assert 3 <= len(sentences) <= 8, (n["id"], len(sentences))
        assert n["body"].endswith(("。", "！", "？")), n["id"]


# --- privacy ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["catalog.json", "outlets.json", "notices.json"])
def test_no_personal_data_in_seed(name):
    text = (SEED / name).read_text(encoding="utf-8")
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", text), "an ID-number-like string"
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text), "a mobile phone number"
    assert not re.search(r"(?<![\d-])\d{3,4}-\d{7,8}(?!\d)", re.sub(LANDLINE, "", text)), "an odd phone number"


# --- the hall accepts it -----------------------------------------------------------------------

def test_the_hall_loads_the_seed_into_a_real_sqlite_file(tmp_path):
    seed = pytest.importorskip("hall.seed")
    from sqlalchemy import func, select

    from hall import db
    database = db.Database(str(tmp_path / "hall.sqlite"))
    try:
        assert seed.load(database, SEED) is True
        with database.read_session() as session:
            assert session.scalar(select(func.count()).select_from(db.Item)) == len(_load("catalog.json")["items"])
            assert session.scalar(select(func.count()).select_from(db.Outlet)) == len(_load("outlets.json"))
            assert session.scalar(select(func.count()).select_from(db.Notice)) == len(_load("notices.json"))
    finally:
        database.dispose()
