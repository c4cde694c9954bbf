"""Item forms on the hall: the definition served and exported, and an application checked
against it (fields, materials, signature), every failing field named; older terminals'
applications (no form_version) still accepted. The small seed's XK00102001 has a field of each
type, a required ID card material and an optional one, and a signature."""

import copy
import hashlib
import json
import re
import shutil
import sqlite3

import pytest

from testing.hall import SEED, Client, Hall, person
from testing.materials import page_jpeg, signature_png, tagged

SEEDED = {i["code"]: i for i in json.loads((SEED / "catalog.json").read_text(encoding="utf-8"))["items"]}
FORMS = json.loads((SEED / "forms.json").read_text(encoding="utf-8"))


PAGE, SIGNATURE_PNG = page_jpeg(), signature_png()
PAGES = [tagged(PAGE, f"page {n}") for n in range(21)]  # 21 files: one over the limit of 20


def ref(data: bytes, kind: str) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "type": kind}


def page(n: int) -> dict:
    return ref(PAGES[n], "image/jpeg")


SIGNATURE = ref(SIGNATURE_PNG, "image/png")


def upload_all(client) -> None:
    """The pages and the signature the applications name, uploaded first as a terminal does
    (again before each test: an application that takes an upload keeps it as its own)."""
    for data, kind in [(p, "image/jpeg") for p in PAGES] + [(SIGNATURE_PNG, "image/png")]:
        answer = client.http.put(f"{client.base}/api/v1/uploads/{ref(data, kind)['sha256']}",
                                 data=data, headers={"Content-Type": kind}, timeout=30)
        assert answer.status_code in (200, 201), answer.text


@pytest.fixture(autouse=True)
def uploaded(client_module):
    upload_all(client_module)
MOVE = {"move_in_address": "青山县人民路8号", "move_reason": "job", "moved_on": "2026-01-05", "people": 2,
        "with_family": True, "relation_to_head": "子女", "phone": "13912345678", "address": "长沙市芙蓉区五一大道8号"}


@pytest.fixture(scope="module")
def definition(client_module):
    return client_module.get("/api/v1/catalog/XK00102001/form").json()


@pytest.fixture(scope="module")
def client_module(hall):
    return Client(hall.base)


def application(definition, applicant, form=MOVE, materials=({"key": "m1", "how": "id_card"},), signature=SIGNATURE,
                **extra):
    body = {"item_code": "XK00102001", "applicant": applicant, "form": form,
            "form_version": definition["version"], "materials": list(materials), **extra}
    if signature:
        body["signature"] = signature
    return copy.deepcopy(body)   # tests change it


def problems(response) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    return {f["field"]: f["problem"] for f in error["fields"]}


def stored(hall, number):
    db = sqlite3.connect(hall.db)
    try:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT form, form_version, materials, signature FROM applications WHERE number = ?",
                          (number,)).fetchone()
    finally:
        db.close()


# --- the definition --------------------------------------------------------------------------------

def test_the_form_of_an_item(definition):
    assert definition["item_code"] == "XK00102001" and re.fullmatch(r"[0-9a-f]{16}", definition["version"])
    seeded = FORMS["forms"]["XK00102001"]
    assert [f["key"] for f in definition["fields"]] == [f if isinstance(f, str) else f["key"] for f in seeded["fields"]]
    by_key = {f["key"]: f for f in definition["fields"]}
    assert by_key["move_reason"]["choices"][0] == {"value": "job", "zh": "工作调动", "en": "Change of job"}
    assert by_key["phone"] == {**FORMS["common_fields"][0]}
    assert "choices" not in by_key["move_in_address"] and "max_length" not in by_key["people"], "no nulls"
    guide = SEEDED["XK00102001"]["materials"]
    assert [(m["key"], m["name"], m["form"], m["count"], m["notes"]) for m in definition["materials"]] == \
        [(f"m{i}", m["name"], m["form"], m["count"], m["notes"]) for i, m in enumerate(guide, 1)]
    assert [(m["name_en"], m["required"], m["accepts"]) for m in definition["materials"]] == \
        [(m["name_en"], m["required"], m["accepts"]) for m in seeded["materials"]]
    assert definition["signature"] is True
    assert definition["limits"] == {"max_pages": 20, "max_page_bytes": 1500000, "max_signature_bytes": 200000}


def test_unknown_and_offline_items_have_no_form(client):
    unknown = client.get("/api/v1/catalog/NOPE/form")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    offline = client.get("/api/v1/catalog/XK00202001/form")
    assert offline.status_code == 409 and offline.json()["error"]["code"] == "not_online"


def test_the_export_carries_the_form_of_every_online_item(client):
    for item in client.get("/api/v1/catalog/export").json()["items"]:
        if item["online"]:
            assert item["form"] == client.get(f"/api/v1/catalog/{item['code']}/form").json()
        else:
            assert "form" not in item
    assert "form" not in client.get("/api/v1/catalog/XK00102001").json(), "the item itself is the guide"


def test_the_form_and_the_new_body_fields_are_in_the_openapi_document(hall):
    doc = Client(hall.base).get("/api/v1/openapi.json").json()
    ok = doc["paths"]["/api/v1/catalog/{code}/form"]["get"]["responses"]
    assert ok["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FormDefinition"}
    assert {"404", "409"} <= set(ok)
    schemas = doc["components"]["schemas"]
    assert {"item_code", "version", "fields", "materials", "signature", "limits"} <= set(
        schemas["FormDefinition"]["properties"])
    assert {"form_version", "materials", "signature"} <= set(schemas["ApplicationIn"]["properties"])


def test_a_changed_form_changes_its_version_and_the_exports(hall, tmp_path):
    changed = tmp_path / "seed"
    shutil.copytree(SEED, changed)
    forms = json.loads((changed / "forms.json").read_text(encoding="utf-8"))
    forms["forms"]["XK00102001"]["fields"][0]["label"]["en"] = "New address"
    (changed / "forms.json").write_text(json.dumps(forms, ensure_ascii=False), encoding="utf-8")
    other = Hall(tmp_path, "--seed", str(changed))
    try:
        before, after = Client(hall.base), Client(other.base)
        assert after.get("/api/v1/catalog/XK00102001/form").json()["version"] != \
            before.get("/api/v1/catalog/XK00102001/form").json()["version"]
        assert after.get("/api/v1/catalog/XK00101001/form").json() == \
            before.get("/api/v1/catalog/XK00101001/form").json()
        etag = before.get("/api/v1/catalog/export").headers["ETag"]
        fresh = after.get("/api/v1/catalog/export", headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    finally:
        assert other.stop() == 0


# --- an application checked against it --------------------------------------------------------------

def test_a_complete_application_is_stored_with_its_materials_and_signature(hall, client, definition):
    spouse = person()["id_number"]
    form = {**MOVE, "move_in_address": "  青山县人民路8号 ", "spouse_id_number": spouse.lower(), "notes": "第一行\n第二行"}
    materials = [{"key": "m1", "how": "camera", "pages": [page(1), page(2)]}, {"key": "m2", "how": "camera",
                                                                              "pages": [page(3)]}]
    created = client.post("/api/v1/applications", application(definition, person(), form, materials))
    assert created.status_code == 201, created.text
    row = stored(hall, created.json()["number"])
    kept = json.loads(row["form"])
    assert kept["move_in_address"] == "青山县人民路8号" and kept["notes"] == "第一行\n第二行"
    assert kept["spouse_id_number"] == spouse[:4] + "*" * 10 + spouse[-4:], "masked like the applicant's"
    assert row["form_version"] == definition["version"]
    assert json.loads(row["materials"]) == materials and json.loads(row["signature"]) == SIGNATURE


def test_every_failing_field_material_and_the_signature_are_named(client, definition):
    who = person()
    wrong_check = who["id_number"][:17] + ("1" if who["id_number"][17] == "0" else "0")
    form = {"move_reason": "bus", "people": 0, "moved_on": "2026-02-30", "with_family": "yes", "phone": "12345",
            "address": "长沙市\n芙蓉区", "spouse_id_number": wrong_check, "surprise": "x"}
    answer = client.post("/api/v1/applications", application(definition, who, form, materials=(), signature=None))
    assert problems(answer) == {
        "form.move_in_address": "required", "form.move_reason": "not a choice", "form.moved_on": "not a date",
        "form.people": "too small", "form.with_family": "wrong type", "form.spouse_id_number": "not an ID number",
        "form.phone": "not a phone number", "form.address": "line break", "form.surprise": "unknown field",
        "materials.m1": "required", "signature": "required"}
    assert client.post("/api/v1/applications/lookup", {"id_number": who["id_number"]}).json()["items"] == []


@pytest.mark.parametrize("materials,expected", [
    ([{"key": "m1", "how": "id_card"}, {"key": "m2", "how": "window"}], {"materials.m2": "not accepted"}),
    ([{"key": "m1", "how": "camera"}], {"materials.m1": "no pages"}),
    ([{"key": "m1", "how": "camera", "pages": []}], {"materials.m1": "no pages"}),
    ([{"key": "m1", "how": "id_card", "pages": [page(1)]}], {"materials.m1": "pages only with camera"}),
    ([{"key": "m1", "how": "id_card"}, {"key": "m3", "how": "camera", "pages": [page(1)]}],
     {"materials.m3": "unknown material"}),
    ([{"key": "m1", "how": "id_card"}, {"key": "m1", "how": "window"}], {"materials.m1": "given twice"}),
    ([{"key": "m1", "how": "camera", "pages": [page(i) for i in range(21)]}],
     {"materials.m1": "too many pages", "materials": "too many pages"}),
    ([{"key": "m1", "how": "camera", "pages": [page(i) for i in range(11)]},
      {"key": "m2", "how": "camera", "pages": [page(i) for i in range(11, 21)]}], {"materials": "too many pages"}),
    ([{"key": "m2", "how": "camera", "pages": [page(1)]}], {"materials.m1": "required"}),
])
def test_material_checks(client, definition, materials, expected):
    assert problems(client.post("/api/v1/applications", application(definition, person(), materials=materials))) \
        == expected


def test_twenty_pages_in_all_are_accepted(client, definition):
    materials = [{"key": "m1", "how": "camera", "pages": [page(i) for i in range(10)]},
                 {"key": "m2", "how": "camera", "pages": [page(i) for i in range(10, 20)]}]
    assert client.post("/api/v1/applications", application(definition, person(), materials=materials)).status_code == 201


def test_a_signature_only_where_the_form_asks_for_one(client):
    social = client.get("/api/v1/catalog/GG00201001/form").json()
    assert social["signature"] is False
    body = {"item_code": "GG00201001", "applicant": person(), "form_version": social["version"],
            "form": {"phone": "13912345678", "address": "长沙市芙蓉区"}, "materials": [{"key": "m1", "how": "id_card"}]}
    assert client.post("/api/v1/applications", body).status_code == 201
    assert problems(client.post("/api/v1/applications", dict(body, signature=SIGNATURE))) == {
        "signature": "not asked for"}


@pytest.mark.parametrize("change,field", [
    (lambda b: b["materials"].append({"key": "m2", "how": "camera", "pages": [dict(page(1), type="image/png")]}),
     "materials.m2.pages.0"),   # a well-formed reference to the wrong kind of file: the file checks name it
    (lambda b: b["materials"].append({"key": "m2", "how": "camera", "pages": [dict(page(1), sha256="ABC")]}),
     "body.materials.1.pages.0.sha256"),
    (lambda b: b["materials"].append({"key": "m2", "how": "camera", "pages": [dict(page(1), size="5")]}),
     "body.materials.1.pages.0.size"),
    (lambda b: b["materials"].append({"key": "m2", "how": "post"}), "body.materials.1.how"),
    (lambda b: b["materials"].append({"key": "file", "how": "window"}), "body.materials.1.key"),
    (lambda b: b["materials"][0].update(extra=1), "body.materials.0.extra"),
    (lambda b: b.update(signature=dict(SIGNATURE, type="image/jpeg")), "signature"),
    (lambda b: b.update(form_version="not hex"), "body.form_version"),
    (lambda b: b["form"].update(people=float("nan")), "body.form.people"),   # as every number in every body
])
def test_the_shapes_of_the_new_body_fields(client, definition, change, field):
    body = application(definition, person())
    change(body)
    assert field in problems(client.post("/api/v1/applications", body))


def test_a_key_that_is_not_unicode_is_a_422(client, definition):
    raw = json.dumps(application(definition, person(), {**MOVE, "\ud800": "x"}), ensure_ascii=True).encode()
    found = problems(client.post("/api/v1/applications", raw=raw))
    assert [field.startswith("body.form.") for field in found] == [True], found


# --- terminals older than item forms ------------------------------------------------------------------

def test_without_form_version_nothing_is_required_and_other_keys_are_kept(hall, client):
    """Today's kiosk sends address, notes and how the resident was identified, no materials and
    no signature: accepted, the back office asks for what is missing (补正)."""
    body = {"item_code": "XK00102001", "applicant": person(),
            "form": {"address": "长沙市芙蓉区五一大道8号", "identified_by": "idcard", "notes": "  早上联系 "}}
    created = client.post("/api/v1/applications", body)
    assert created.status_code == 201, created.text
    row = stored(hall, created.json()["number"])
    assert json.loads(row["form"]) == {"address": "长沙市芙蓉区五一大道8号", "identified_by": "idcard",
                                       "notes": "早上联系"}
    assert row["form_version"] is None and json.loads(row["materials"]) == [] and row["signature"] is None


def test_without_form_version_the_values_given_still_follow_the_definition(client):
    body = {"item_code": "XK00102001", "applicant": person(),
            "form": {"address": "长沙市\n芙蓉区", "people": 0, "notes": "字" * 501, "other": "\u0007",
                     "nested": {"a": 1}, "long": "字" * 1001}}
    assert problems(client.post("/api/v1/applications", body)) == {
        "form.people": "too small", "form.address": "line break", "form.notes": "too long",
        "form.other": "invalid characters", "form.nested": "wrong type", "form.long": "too long"}
    with_materials = {"item_code": "XK00102001", "applicant": person(), "form": {},
                      "materials": [{"key": "m2", "how": "window"}]}
    assert problems(client.post("/api/v1/applications", with_materials)) == {"materials.m2": "not accepted"}


# --- a database from before item forms ------------------------------------------------------------------

def test_a_database_seeded_before_item_forms_gets_the_forms_and_the_new_columns(tmp_path):
    first = Hall(tmp_path)
    assert Client(first.base).get("/api/v1/health").status_code == 200   # serving: SIGTERM is handled now
    assert first.stop() == 0
    db = sqlite3.connect(first.db)    # as the previous version left it
    with db:
        db.execute("DROP TABLE forms")
        for column in ("form_version", "materials", "signature"):
            db.execute(f"ALTER TABLE applications DROP COLUMN {column}")
    db.close()
    second = Hall(tmp_path)
    try:
        client = Client(second.base)
        upload_all(client)
        definition = client.get("/api/v1/catalog/XK00102001/form").json()
        created = client.post("/api/v1/applications", application(definition, person()))
        assert created.status_code == 201, created.text
        assert stored(second, created.json()["number"])["form_version"] == definition["version"]
    finally:
        assert second.stop() == 0
