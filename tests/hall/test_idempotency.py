"""Idempotency-Key: a repeat returns the first answer byte for byte and creates nothing."""

import uuid
from concurrent.futures import ThreadPoolExecutor

from testing.hall import OTHER, Client, Sign


def lookup(client, id_number):
    return client.post("/api/v1/applications/lookup", {"id_number": id_number}).json()["items"]


def test_repeat_returns_first_answer_and_creates_nothing(client, applicant):
    body, key = {"item_code": "XK00102001", "applicant": applicant, "form": {"迁入地": "示例镇"}}, uuid.uuid4().hex
    first = client.post("/api/v1/applications", body, key=key)
    again = client.post("/api/v1/applications", body, key=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(lookup(client, applicant["id_number"])) == 1


def test_same_key_different_body_is_a_conflict(client, applicant):
    key = uuid.uuid4().hex
    body = {"type": "建议", "content": "建议延长周末办公时间", "phone": applicant["phone"]}
    assert client.post("/api/v1/requests", body, key=key).status_code == 201
    response = client.post("/api/v1/requests", dict(body, content="建议增加自助终端"), key=key)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"


def test_same_key_on_another_endpoint_is_a_conflict(client, applicant):
    key = uuid.uuid4().hex
    body = {"type": "建议", "content": "建议延长周末办公时间", "phone": applicant["phone"]}
    assert client.post("/api/v1/requests", body, key=key).status_code == 201
    assert client.post("/api/v1/applications", body, key=key).status_code == 409


def test_keys_belong_to_their_terminal(hall, client, applicant):
    key, body = uuid.uuid4().hex, {"type": "咨询", "content": "社保卡怎么补办？", "phone": applicant["phone"]}
    mine = client.post("/api/v1/requests", body, key=key).json()
    theirs = Client(hall.base, Sign(*OTHER)).post("/api/v1/requests", body, key=key).json()
    assert mine["ticket"] != theirs["ticket"]


def test_missing_or_bad_key(hall, client):
    bare = Client(hall.base, _PostWithoutKey())
    response = bare.post("/api/v1/requests", {"type": "咨询", "content": "五个字以上", "phone": "13900000000"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_idempotency_key"
    response = client.post("/api/v1/requests", {}, key="bad key!")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_idempotency_key"


class _PostWithoutKey(Sign):
    def __call__(self, request):
        request = super().__call__(request)
        del request.headers["Idempotency-Key"]
        return request


def test_racing_repeats_create_one(client, applicant):
    key = uuid.uuid4().hex
    body = {"item_code": "GG00201001", "applicant": applicant}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.post("/api/v1/applications", body, key=key), range(6)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["number"] for a in answers}) == 1
    assert len(lookup(client, applicant["id_number"])) == 1


def test_refused_answer_is_not_stored(client, applicant):
    """A 4xx created nothing, so the key stays free: the corrected submission may reuse it."""
    key = uuid.uuid4().hex
    bad = {"item_code": "XK00101001", "applicant": dict(applicant, phone="12345")}
    assert client.post("/api/v1/applications", bad, key=key).status_code == 422
    assert lookup(client, applicant["id_number"]) == []
    good = {"item_code": "XK00101001", "applicant": applicant}
    first = client.post("/api/v1/applications", good, key=key)
    assert first.status_code == 201
    assert client.post("/api/v1/applications", good, key=key).content == first.content
    assert len(lookup(client, applicant["id_number"])) == 1
