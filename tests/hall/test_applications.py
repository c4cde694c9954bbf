"""Applications: 申办流水号, timeline, lookup by identity, masking, the green/yellow/red signal."""

import re
from datetime import date, timedelta

import pytest

from hall.api.applications import signal
from hall.clock import add_working_days, working_days_between
from testing.hall import OTHER, Client, Sign, person


def test_create_read_and_lookup(client, applicant):
    body = {"item_code": "XK00101001", "applicant": applicant, "form": {"换领原因": "有效期满", "份数": 1}}
    created = client.post("/api/v1/applications", body)
    assert created.status_code == 201
    app = created.json()
    assert re.fullmatch(r"SB\d{8}\d{6}", app["number"])
    assert app["number"][2:10] == app["submitted_at"][:10].replace("-", "")
    assert app["submitted_at"].endswith("+08:00")
    assert app["status"] == "收件" and [t["stage"] for t in app["timeline"]] == ["收件"]
    assert app["limit_days"] == 20 and app["signal"] == "green" and app["elapsed_working_days"] == 0
    submitted = date.fromisoformat(app["submitted_at"][:10])
    assert date.fromisoformat(app["due_date"]) == add_working_days(submitted, 20)
    assert app["applicant"]["id_masked"] == applicant["id_number"][:4] + "*" * 10 + applicant["id_number"][-4:]
    assert app["applicant"]["name_masked"] == applicant["name"][0] + "*" + applicant["name"][-1]
    assert applicant["id_number"] not in created.text and applicant["phone"] not in created.text

    progress = {k: v for k, v in app.items() if k != "submitted_at"}  # the first timeline entry says when
    assert client.get(f"/api/v1/applications/{app['number']}").json() == progress
    found = client.post("/api/v1/applications/lookup", {"id_number": applicant["id_number"]}).json()["items"]
    assert found == [progress]


# What the progress screen (screens/progress.py) shows: a look-up answers this and nothing else.
PROGRESS = {"number", "item_code", "item_name", "status", "limit_days", "due_date", "elapsed_working_days", "signal",
            "timeline", "applicant", "supplement"}  # supplement: what a 补正 asks for (null otherwise)


def test_a_look_up_answers_only_what_the_progress_screen_shows(hall, client, applicant):
    """Numbers can be typed at any terminal: the answer holds nothing the resident's progress
    screen does not show (masked applicant, no submitting terminal, no form, no phone)."""
    body = {"item_code": "XK00101001", "applicant": applicant, "form": {"换领原因": "有效期满"}}
    number = client.post("/api/v1/applications", body).json()["number"]
    by_number = Client(hall.base, Sign(*OTHER)).get(f"/api/v1/applications/{number}")
    by_identity = client.post("/api/v1/applications/lookup", {"id_number": applicant["id_number"]})
    for answer, found in ((by_number, by_number.json()), (by_identity, by_identity.json()["items"][0])):
        assert set(found) == PROGRESS
        assert set(found["applicant"]) == {"name_masked", "id_masked"}
        assert all(set(entry) == {"stage", "at", "note"} for entry in found["timeline"])
        for private in ("demo-001", "有效期满", applicant["phone"], applicant["name"], applicant["id_number"][6:14]):
            assert private not in answer.text
    assert by_number.json()["timeline"][0]["note"] == "自助终端提交"


def test_lookup_finds_only_that_person(client):
    one, two = person(11), person(12)
    number = client.post("/api/v1/applications", {"item_code": "GG00201001", "applicant": one}).json()["number"]
    mine = client.post("/api/v1/applications/lookup", {"id_number": one["id_number"]}).json()["items"]
    theirs = client.post("/api/v1/applications/lookup", {"id_number": two["id_number"]}).json()["items"]
    assert number in [a["number"] for a in mine]
    assert number not in [a["number"] for a in theirs]


def test_same_day_item(client, applicant):
    app = client.post("/api/v1/applications", {"item_code": "GG00201001", "applicant": applicant}).json()
    assert app["limit_days"] == 0 and app["due_date"] == app["submitted_at"][:10] and app["signal"] == "green"


def test_unknown_number(client):
    assert client.get("/api/v1/applications/SB20260101000000").status_code == 404


MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize("limit,days_later,expected", [
    (10, 0, "green"), (10, 7, "green"), (10, 10, "yellow"),   # 8 of 10 working days used
    (10, 14, "yellow"),                                        # due day itself: 10 of 10
    (10, 15, "red"), (0, 0, "green"), (0, 1, "red"),
    (5, 3, "green"), (5, 4, "yellow"), (5, 6, "yellow"),        # a weekend uses no working days
    (5, 7, "yellow"), (5, 8, "red"),
])
def test_signal(limit, days_later, expected):
    today = MONDAY + timedelta(days=days_later)
    due = add_working_days(MONDAY, limit)
    elapsed, colour = signal(limit, MONDAY, due, today)
    assert colour == expected
    assert elapsed == working_days_between(MONDAY, today)


def test_working_days_skip_weekends():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)   # Friday + 1 = Monday
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
