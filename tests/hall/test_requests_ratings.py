"""12345 requests (five types, ticket, closed-loop history) and 好差评 ratings."""

import re

import pytest

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


def test_landline_and_no_name(client):
    body = {"type": "咨询", "content": "公积金提取要带什么材料？", "phone": "0851-8123456"}
    assert client.post("/api/v1/requests", body).status_code == 201


def test_unknown_ticket(client):
    assert client.get("/api/v1/requests/RQ20260101000000").status_code == 404


def rate(client, kind, ref, level=5, **extra):
    return client.post("/api/v1/ratings", {"level": level, "indicators": IND, "subject": {"kind": kind, "ref": ref},
                                           **extra})


def test_rate_each_kind_once(client, applicant):
    app = client.post("/api/v1/applications", {"item_code": "XK00101001", "applicant": applicant}).json()
    req = client.post("/api/v1/requests", {"type": "建议", "content": "希望增加周六服务", "phone": applicant["phone"]}).json()
    for kind, ref in (("application", app["number"]), ("request", req["ticket"])):
        first = rate(client, kind, ref)
        assert first.status_code == 201 and isinstance(first.json()["id"], int)
        again = rate(client, kind, ref, level=4)
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"


def test_guides_are_rated_by_many(client):
    assert rate(client, "guide", "XK00101001").status_code == 201
    assert rate(client, "guide", "XK00101001", level=3).status_code == 201


@pytest.mark.parametrize("level", [1, 2])
def test_bad_rating_needs_reason(client, level):
    assert rate(client, "guide", "XK00102001", level=level).status_code == 422
    assert rate(client, "guide", "XK00102001", level=level, reason="x").status_code == 422
    assert rate(client, "guide", "XK00102001", level=level, reason="材料清单与现场要求不一致").status_code == 201
