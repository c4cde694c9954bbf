"""12345 requests (five types, ticket, closed-loop history) and 好差评 ratings."""

import re

import pytest

from testing.hall import person

IND = {"整体满意度": 5, "办事效率": 4, "办事指南精确度": 5, "办事便捷度": 4, "平台操作性": 5}


@pytest.mark.parametrize("kind,limit", [("咨询", 7), ("求助", 7), ("投诉", 15), ("建议", 7), ("举报", 15)])
def test_each_type(client, applicant, kind, limit):
    body = {"type": kind, "content": "小区门口路灯不亮已经一周", "location": "示例县人民路18号", "phone": applicant["phone"],
            "name": applicant["name"]}
    created = client.post("/api/v1/requests", body)
    assert created.status_code == 201
    ticket = created.json()
    assert re.fullmatch(r"RQ\d{14}", ticket["ticket"])
    assert ticket["type"] == kind and ticket["status"] == "受理" and ticket["limit_days"] == limit
    assert [h["status"] for h in ticket["history"]] == ["受理"]
    assert applicant["phone"] not in created.text and applicant["name"] not in created.text
    assert client.get(f"/api/v1/requests/{ticket['ticket']}").json() == ticket
    assert ticket["history"][0]["note"] == "自助终端受理" and "demo-001" not in created.text


def test_landline_and_no_name(client):
    body = {"type": "咨询", "content": "公积金提取要带什么材料？", "phone": "0851-8123456"}
    assert client.post("/api/v1/requests", body).status_code == 201


def test_unknown_ticket(client):
    assert client.get("/api/v1/requests/RQ20260101000000").status_code == 404


def rate(client, kind, ref, level=5, **extra):
    return client.post("/api/v1/ratings", {"level": level, "indicators": IND, "subject": {"kind": kind, "ref": ref},
                                           **extra})


def served(client, applicant):
    """One application, 12345 request and booking of `applicant`: {kind: (ref, proof)}."""
    app = client.post("/api/v1/applications", {"item_code": "XK00101001", "applicant": applicant}).json()
    req = client.post("/api/v1/requests", {"type": "建议", "content": "希望增加周六服务", "phone": applicant["phone"]}).json()
    day = client.get("/api/v1/appointments/days?outlet_id=center&item_code=XK00101001").json()[7]["date"]
    slot = next(s for s in client.get(f"/api/v1/appointments/slots?outlet_id=center&date={day}").json()
                if s["booked"] < s["capacity"])
    booking = client.post("/api/v1/appointments", {"slot_id": slot["slot_id"], "item_code": "XK00101001",
                                                   **applicant}).json()
    return {"application": (app["number"], {"id_number": applicant["id_number"]}),
            "request": (req["ticket"], {"phone": applicant["phone"]}),
            "booking": (booking["booking_number"], {"id_number": applicant["id_number"]})}


def test_rate_each_kind_once(client, applicant):
    for kind, (ref, proof) in served(client, applicant).items():
        first = rate(client, kind, ref, proof=proof)
        assert first.status_code == 201 and isinstance(first.json()["id"], int)
        again = rate(client, kind, ref, level=4, proof=proof)
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"


UNKNOWN = {"application": "SB20260101000000", "request": "RQ20260101000000", "booking": "YY20260101000000"}


def test_only_the_resident_served_rates_and_a_refusal_keeps_the_rating_free(client, applicant):
    """一事一评 belongs to the resident who was served: a rating without proof, or with another
    resident's ID number or phone, is refused and does not use it up. A wrong proof is answered
    exactly like an unknown number, so numbers cannot be probed."""
    stranger = person()
    for kind, (ref, proof) in served(client, applicant).items():
        field = next(iter(proof))
        missing = rate(client, kind, ref)
        assert missing.status_code == 422, kind
        assert [f["field"] for f in missing.json()["error"]["fields"]] == [f"body.proof.{field}"], kind
        wrong = rate(client, kind, ref, proof={field: stranger[field]})
        unknown = rate(client, kind, UNKNOWN[kind], proof={field: stranger[field]})
        assert wrong.status_code == unknown.status_code == 422, kind
        assert wrong.json() == unknown.json(), kind
        assert wrong.json()["error"]["fields"] == [{"field": "body.subject.ref",
                                                    "problem": f"no such {kind} for this resident"}]
        other_kind = {"id_number": "phone", "phone": "id_number"}[field]
        assert rate(client, kind, ref, proof={other_kind: applicant[other_kind]}).status_code == 422, kind
        assert rate(client, kind, ref, proof=proof).status_code == 201, f"{kind}: the refusals used it up"


def test_a_landline_proves_a_request_with_or_without_its_dash(client):
    ticket = client.post("/api/v1/requests", {"type": "咨询", "content": "公积金提取要带什么材料？",
                                              "phone": "0851-8123456"}).json()["ticket"]
    assert rate(client, "request", ticket, proof={"phone": "08518123456"}).status_code == 201


def test_a_guide_takes_no_proof(client, applicant):
    answer = rate(client, "guide", "XK00101001", proof={"id_number": applicant["id_number"]})
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["body.proof"]


def test_guides_are_rated_by_many(client):
    assert rate(client, "guide", "XK00101001").status_code == 201
    assert rate(client, "guide", "XK00101001", level=3).status_code == 201


@pytest.mark.parametrize("level", [1, 2])
def test_bad_rating_needs_reason(client, level):
    assert rate(client, "guide", "XK00102001", level=level).status_code == 422
    assert rate(client, "guide", "XK00102001", level=level, reason="x").status_code == 422
    assert rate(client, "guide", "XK00102001", level=level, reason="材料清单与现场要求不一致").status_code == 201
