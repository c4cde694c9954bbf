"""Bad input: a 422 naming the field in plain words, and nothing written."""

import json

import pytest

from testing.hall import fill_path, number_paths, openapi, person, signed_operations

GOOD = person(7)
IND = {"整体满意度": 4, "办事效率": 4, "办事指南精确度": 5, "办事便捷度": 4, "平台操作性": 5}


def application(**applicant):
    return {"item_code": "XK00101001", "applicant": dict(GOOD, **applicant), "form": {}}


CASES = [
    ("/api/v1/applications", application(id_number=GOOD["id_number"][:17] + "0"
                                         if GOOD["id_number"][17] != "0" else GOOD["id_number"][:17] + "1"),
     "body.applicant.id_number", "check character"),
    ("/api/v1/applications", application(id_number="520102199013450000"), "body.applicant.id_number", "date of birth"),
    ("/api/v1/applications", application(id_number="52010219900101"), "body.applicant.id_number", "18 characters"),
    ("/api/v1/applications", application(phone="12800138000"), "body.applicant.phone", "mobile"),
    ("/api/v1/applications", application(phone="010-123"), "body.applicant.phone", "landline"),
    ("/api/v1/applications", application(name="张3"), "body.applicant.name", "letters"),
    ("/api/v1/applications", application(name="   "), "body.applicant.name", ""),
    ("/api/v1/applications", application(name="张\x00三"), "body.applicant.name", "control"),
    ("/api/v1/applications", dict(application(), item_code="NOPE"), "body.item_code", "no such"),
    ("/api/v1/applications", dict(application(), item_code="XK00202001"), "body.item_code", "online"),
    # Form values are checked against the item's form definition (hall.forms): named form.<key>.
    ("/api/v1/applications", dict(application(), form={"k": "v" * 1001}), "form.k", "too long"),
    ("/api/v1/applications", dict(application(), surprise=1), "body.surprise", ""),
    ("/api/v1/applications", dict(application(), channel="fax"), "body.channel", ""),
    ("/api/v1/requests", {"type": "抱怨", "content": "五个字以上了", "phone": GOOD["phone"]}, "body.type", ""),
    ("/api/v1/requests", {"type": "投诉", "content": "太短", "phone": GOOD["phone"]}, "body.content", ""),
    ("/api/v1/requests", {"type": "投诉", "content": "长" * 1001, "phone": GOOD["phone"]}, "body.content", ""),
    ("/api/v1/requests", {"type": "投诉", "content": "五个字以上了", "location": "路" * 201, "phone": GOOD["phone"]},
     "body.location", ""),
    ("/api/v1/requests", {"type": "投诉", "content": "五个字以上了"}, "body.phone", ""),
    ("/api/v1/ratings", {"level": 6, "indicators": IND, "subject": {"kind": "guide", "ref": "XK00101001"}},
     "body.level", ""),
    ("/api/v1/ratings", {"level": 2, "indicators": IND, "subject": {"kind": "guide", "ref": "XK00101001"}},
     "body", "reason"),
    ("/api/v1/ratings", {"level": 4, "indicators": dict(IND, 办事效率=0), "subject": {"kind": "guide",
                                                                                "ref": "XK00101001"}},
     "body.indicators.办事效率", ""),
    ("/api/v1/ratings", {"level": 4, "indicators": {"整体满意度": 4}, "subject": {"kind": "guide", "ref": "XK00101001"}},
     "body.indicators.办事效率", ""),
    ("/api/v1/ratings", {"level": 4, "indicators": IND, "subject": {"kind": "guide", "ref": "NOPE"}},
     "body.subject.ref", "no such"),
    ("/api/v1/ratings", {"level": 4, "indicators": IND, "subject": {"kind": "window", "ref": "x"}},
     "body.subject.kind", ""),
    ("/api/v1/appointments", {"slot_id": 999999, "item_code": "XK00101001", **GOOD}, "body.slot_id", "no such"),
    ("/api/v1/appointments", {"slot_id": 0, "item_code": "XK00101001", **GOOD}, "body.slot_id", ""),
]


@pytest.mark.parametrize("path,body,field,words", CASES, ids=[f"{c[0][8:]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_bad_field(client, path, body, field, words):
    response = client.post(path, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    problems = {f["field"]: f["problem"] for f in error["fields"]}
    assert field in problems, problems
    assert words in problems[field]


def test_422_does_not_echo_personal_data(client):
    response = client.post("/api/v1/applications", application(phone="12800138000", name="张3"))
    assert response.status_code == 422
    assert "12800138000" not in response.text and "张3" not in response.text


def test_not_json(client):
    response = client.post("/api/v1/requests", raw=b"{\"type\": ")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"].startswith("body")


@pytest.mark.parametrize("query,field", [("limit=0", "query.limit"), ("limit=201", "query.limit"),
                                         ("offset=-1", "query.offset"), ("audience=群众", "query.audience"),
                                         ("q=" + "x" * 51, "query.q")])
def test_bad_query(client, query, field):
    response = client.get("/api/v1/catalog?" + query)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == field


def test_bad_date(client):
    response = client.get("/api/v1/appointments/slots?outlet_id=center&date=2026-02-30")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "query.date"


def test_rejected_submissions_wrote_nothing(client):
    for path, body, *_ in CASES:
        client.post(path, body)
    assert client.post("/api/v1/applications/lookup", {"id_number": GOOD["id_number"]}).json()["items"] == []


def test_lowercase_x_is_accepted_and_normalised(client):
    for seq in range(1000):
        applicant = person(seq)
        if applicant["id_number"].endswith("X"):
            break
    else:
        pytest.skip("no X check character in range")
    body = {"item_code": "XK00101001", "applicant": dict(applicant, id_number=applicant["id_number"].lower())}
    assert client.post("/api/v1/applications", body).status_code == 201
    found = client.post("/api/v1/applications/lookup", {"id_number": applicant["id_number"]}).json()["items"]
    assert len(found) >= 1


NON_FINITE = ["Infinity", "-Infinity", "NaN", "1e999", "-1e999"]  # Python's json reads all five


def test_every_number_field_refuses_non_finite_values(hall, client):
    """Every number in every JSON body and every numeric path or query parameter of the OpenAPI
    document: Infinity, NaN and 1e999 (which JSON parsers read as infinity) are a 422 naming
    the field, never a 500 and never stored."""
    doc = openapi(hall.base)
    tried, wrong = 0, []
    for method, template, operation in signed_operations(doc):
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        for at in sorted(set(number_paths(doc, schema)) if schema else (), key=str):
            for token in NON_FINITE:
                body = placeholder = "__number__"
                for key in reversed(at):
                    body = [body] if key == 0 else {key: body}
                raw = json.dumps(body, ensure_ascii=False).replace(f'"{placeholder}"', token).encode()
                answer = client.request(method, fill_path(template), raw)
                field = ".".join(["body", *map(str, at)])
                tried += 1
                if answer.status_code != 422 or field not in _fields(answer):
                    wrong.append(f"{method} {template} {field}={token}: {answer.status_code}")
        for parameter in operation.get("parameters", []):
            if parameter["in"] not in ("path", "query") or parameter["schema"].get("type") not in ("integer", "number"):
                continue
            for token in NON_FINITE:
                path = fill_path(template, {parameter["name"]: token})
                if parameter["in"] == "query":
                    path += f"?{parameter['name']}={token}"
                answer = client.request(method, path, b"{}" if method == "POST" else None)
                field = f"{parameter['in']}.{parameter['name']}"
                tried += 1
                if answer.status_code != 422 or field not in _fields(answer):
                    wrong.append(f"{method} {path} {field}: {answer.status_code}")
    assert tried >= 40, tried  # the heartbeat's numbers, rating levels, slot ids, limits, command ids...
    assert not wrong, "\n".join(wrong)


def _fields(answer):
    try:
        return [f["field"] for f in answer.json()["error"].get("fields") or []]
    except ValueError:
        return []


@pytest.mark.parametrize("path,body,field", [
    ("/api/v1/heartbeat", {"app_version": "1", "uptime_s": 1, "cpu_percent": 1, "memory_mb": 1, "disk_free_mb": 1,
                           "outbox_depth": 0, "outbox_oldest_s": False}, "body.outbox_oldest_s"),
    ("/api/v1/heartbeat", {"app_version": "1", "uptime_s": "7", "cpu_percent": 1, "memory_mb": 1, "disk_free_mb": 1,
                           "outbox_depth": 0}, "body.uptime_s"),
    ("/api/v1/ratings", {"level": True, "indicators": IND, "subject": {"kind": "guide", "ref": "XK00101001"}},
     "body.level"),
    ("/api/v1/ratings", {"level": 4, "indicators": dict(IND, 整体满意度="4"), "subject": {"kind": "guide",
                                                                                   "ref": "XK00101001"}},
     "body.indicators.整体满意度"),
])
def test_a_value_of_another_type_is_refused_not_converted(client, path, body, field):
    """The document says number, integer or boolean: true, false and "7" are refused (the
    schema-based fuzzing found heartbeats with outbox_oldest_s: false accepted)."""
    response = client.post(path, body)
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in response.json()["error"]["fields"]]
