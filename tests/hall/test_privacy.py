"""Personal data never reaches the hall's log, and ID numbers never reach its database file."""

import time

from testing.hall import person


def test_no_personal_data_in_log_or_database(hall, client):
    who = person(777)
    number = client.post("/api/v1/applications", {"item_code": "XK00101001", "applicant": who, "form": {}}).json()["number"]
    indicators = dict.fromkeys(["整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"], 5)
    assert client.post("/api/v1/ratings", {"level": 5, "indicators": indicators, "proof": {"id_number": who["id_number"]},
                                           "subject": {"kind": "application", "ref": number}}).status_code == 201
    client.post("/api/v1/applications/lookup", {"id_number": who["id_number"]})
    client.post("/api/v1/requests", {"type": "求助", "content": "老人走失请求帮助", "phone": who["phone"],
                                     "name": who["name"]})
    client.post("/api/v1/applications", {"item_code": "XK00101001", "applicant": dict(who, phone="123")})  # 422
    slot = client.get("/api/v1/appointments/slots?outlet_id=center&date="
                      + client.get("/api/v1/appointments/days?outlet_id=center&item_code=XK00101001")
                      .json()[5]["date"]).json()[0]
    client.post("/api/v1/appointments", {"slot_id": slot["slot_id"], "item_code": "XK00101001", **who})
    time.sleep(0.3)  # let the server flush its log lines
    log = hall.log.read_text(encoding="utf-8")
    assert '"POST /api/v1/applications HTTP/1.1" 201' in log   # the access log is on and was written
    for secret in (who["id_number"], who["phone"], who["name"], who["id_number"][6:14]):
        assert secret not in log
    stored = b"".join(p.read_bytes() for p in hall.db.parent.glob("hall.db*"))
    assert who["id_number"].encode() not in stored
    assert who["id_number"][:4].encode() + b"*" * 10 in stored   # only the masked form
