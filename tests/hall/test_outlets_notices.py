"""Service outlets and public notices, as seeded."""

import json

from testing.hall import SEED

OUTLETS = json.loads((SEED / "outlets.json").read_text(encoding="utf-8"))
NOTICES = json.loads((SEED / "notices.json").read_text(encoding="utf-8"))


def test_outlets(client):
    answer = client.get("/api/v1/outlets").json()
    assert [o["id"] for o in answer] == sorted(o["id"] for o in OUTLETS)
    for seeded in OUTLETS:
        one = client.get(f"/api/v1/outlets/{seeded['id']}").json()
        for field in ("name", "address", "hours", "phone", "lat", "lon", "items"):
            assert one[field] == seeded[field]
        assert one["appointments"] == ("appointment" in seeded)
    assert client.get("/api/v1/outlets/nowhere").status_code == 404


def test_notices_newest_first(client):
    answer = client.get("/api/v1/notices").json()
    assert [n["id"] for n in answer] == [n["id"] for n in sorted(NOTICES, key=lambda n: n["published"],
                                                                 reverse=True)]
    assert client.get("/api/v1/notices?limit=1").json() == answer[:1]
    assert client.get(f"/api/v1/notices/{NOTICES[0]['id']}").json() == NOTICES[0]
    assert client.get("/api/v1/notices/none").status_code == 404
