"""Idempotency-Key: a repeat returns the first answer byte for byte and creates nothing."""

import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from testing.hall import OTHER, Client, Sign, person


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


RACERS = 50


def _served(client, who):
    """An application, a request and a booking of `who`, to rate and cancel."""
    number = client.post("/api/v1/applications", {"item_code": "XK00101001", "applicant": who}).json()["number"]
    day = client.get("/api/v1/appointments/days?outlet_id=center&item_code=XK00101001").json()[8]["date"]
    slot = next(s for s in client.get(f"/api/v1/appointments/slots?outlet_id=center&date={day}").json()
                if s["booked"] < s["capacity"])
    return number, slot["slot_id"]


def racing(hall, path, body):
    """RACERS identical POSTs (same terminal, key and body) at once, each on its own connection."""
    key, start = uuid.uuid4().hex, threading.Barrier(RACERS)

    def one(_):
        client = Client(hall.base)
        start.wait()
        return client.post(path, body, key=key)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def count(hall, sql, *args):
    with sqlite3.connect(f"file:{hall.db}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql, args).fetchone()[0]


def test_racing_repeats_create_one_record(hall, client):
    """50 identical submissions racing each other, on every kind of POST a resident makes:
    one record, and all 50 get the same answer."""
    who, marker = person(), uuid.uuid4().hex
    number, slot_id = _served(client, who)
    indicators = dict.fromkeys(["整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"], 4)
    cases = [
        ("/api/v1/applications", {"item_code": "GG00201001", "applicant": who, "form": {"marker": marker}},
         "SELECT count(*) FROM applications WHERE json_extract(form, '$.marker') = ?", marker),
        ("/api/v1/requests", {"type": "建议", "content": f"建议增加夜间服务 {marker}", "phone": who["phone"]},
         "SELECT count(*) FROM requests WHERE content LIKE ?", f"%{marker}"),
        ("/api/v1/appointments", {"slot_id": slot_id, "item_code": "XK00101001", **who},
         "SELECT count(*) FROM bookings WHERE phone = ? AND status = 'active'", who["phone"]),
        ("/api/v1/ratings", {"level": 2, "indicators": indicators, "reason": f"等候太久 {marker}",
                             "subject": {"kind": "guide", "ref": "XK00101001"}},
         "SELECT count(*) FROM ratings WHERE reason LIKE ?", f"%{marker}"),
        ("/api/v1/ratings", {"level": 5, "indicators": indicators, "proof": {"id_number": who["id_number"]},
                             "subject": {"kind": "application", "ref": number}},
         "SELECT count(*) FROM ratings WHERE subject_ref = ?", number),
    ]
    booked = count(hall, "SELECT booked FROM slots WHERE id = ?", slot_id)
    answers = {}
    for path, body, sql, arg in cases:
        answers[path] = racing(hall, path, body)
        assert {a.status_code for a in answers[path]} == {201}, (path, {a.status_code for a in answers[path]})
        assert len({a.content for a in answers[path]}) == 1, path
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers[path]) == RACERS - 1, path
        assert count(hall, sql, arg) == 1, path
    assert count(hall, "SELECT booked FROM slots WHERE id = ?", slot_id) == booked + 1
    booking = answers["/api/v1/appointments"][0].json()["booking_number"]
    cancels = racing(hall, f"/api/v1/appointments/{booking}/cancel", {"id_number": who["id_number"]})
    assert {a.status_code for a in cancels} == {200} and len({a.content for a in cancels}) == 1
    assert count(hall, "SELECT booked FROM slots WHERE id = ?", slot_id) == booked, "one cancellation, not 50"


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
