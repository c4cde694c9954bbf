"""`kiosk hall --demo`: the accounts the README names log in, and the seeded month is a working
county — every application state at every light, every 12345 status, 差评 with reasons — whose
histories are legal moves in time order, seeded once."""

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from hall import clock
from hall.app import DEFAULT_SEED
from hall.workbench import states
from hall.workbench.hotline import STATUSES
from testing.hall import Client, Hall
from testing.workbench import StaffUser

README = Path(__file__).resolve().parents[2] / "README.md"
OPEN = ("收件", "补正", "受理", "审查", "决定")


def readme_accounts():
    """(accounts, password) as the README's demo paragraph gives them."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("**In the demo**"):]
    password = re.search(r"the password `([^`]+)`", section)[1]
    accounts = re.findall(r"^\| `([\w.]+)` \| (clerk|dispatcher|supervisor) \|", section, re.M)
    return accounts, password


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    server = Hall(tmp_path_factory.mktemp("demo"), "--seed", str(DEFAULT_SEED), "--demo")
    yield server
    server.stop()


def rows(hall, query):
    with sqlite3.connect(hall.db) as db:
        return db.execute(query).fetchall()


def test_every_account_the_readme_names_logs_in(hall):
    accounts, password = readme_accounts()
    assert len(accounts) >= 6 and {role for _, role in accounts} == {"clerk", "dispatcher", "supervisor"}
    for name, role in accounts:
        user = StaffUser(hall.base, name, password)
        assert user.logged_in, name
        if role == "clerk":
            assert "申办流水号" in user.get("/workbench/").text


def test_every_state_at_every_light(hall):
    terminal, seen = Client(hall.base), set()
    numbers = [n for (n,) in rows(hall, "SELECT number FROM applications")]
    assert len(numbers) > 100  # a month of a county's work
    for number in numbers:
        answer = terminal.get(f"/api/v1/applications/{number}").json()
        seen.add((answer["status"], answer["signal"]))
    for state in OPEN:
        for light in ("green", "yellow", "red"):
            assert (state, light) in seen, (state, light)
    assert {("办结", "green"), ("办结", "red")} <= seen and any(s == "不予受理" for s, _ in seen)


def _in_order(entries, key):
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times) and times[-1] <= clock.now(), entries
    return [e[key] for e in entries]


def test_every_timeline_is_legal_moves_in_time_order(hall):
    import json
    for (timeline,) in rows(hall, "SELECT timeline FROM applications"):
        stages = _in_order(json.loads(timeline), "stage")
        assert stages[0] == "收件"
        for before, after in zip(stages, stages[1:]):
            assert any(a.stage == after and before in a.after for a in states.ACTIONS.values()), stages
    statuses_seen = set()
    for (history, status) in rows(hall, "SELECT history, status FROM requests"):
        steps = _in_order(json.loads(history), "status")
        assert steps[0] == "受理" and steps[-1] == status
        for before, after in zip(steps, steps[1:]):
            assert after == "评价" or any(a.status == after and before in a.after
                                         for a in states.REQUEST_ACTIONS.values()), steps
        statuses_seen.add(status)
    assert statuses_seen == set(STATUSES)


def test_ratings_with_their_bad_ones_explained(hall):
    levels = dict(rows(hall, "SELECT level, count(*) FROM ratings GROUP BY level"))
    assert {1, 2, 4, 5} <= set(levels)
    assert levels.get(4, 0) + levels.get(5, 0) > sum(levels.values()) / 2
    assert all(reason.strip() for (reason,) in rows(hall, "SELECT reason FROM ratings WHERE level <= 2"))
    kinds = {k for (k,) in rows(hall, "SELECT DISTINCT subject_kind FROM ratings")}
    assert {"application", "request", "guide"} <= kinds


def test_a_clerk_reads_a_seeded_application_and_its_pages(hall):
    clerk = StaffUser(hall.base, "clerk.ga", readme_accounts()[1])
    ((number,),) = rows(hall, "SELECT a.number FROM applications a JOIN items i ON i.code = a.item_code "
                              "JOIN application_files f ON f.application_id = a.id "
                              "WHERE i.department_code = 'GA' AND f.field LIKE 'materials.%' LIMIT 1")
    page = clerk.get(f"/workbench/applications/{number}")
    assert page.status_code == 200
    image = re.search(r'/workbench/applications/\w+/files/([0-9a-f]{64})', page.text)
    assert image and clerk.get(image[0]).headers["content-type"] == "image/jpeg"


def test_the_demo_cards_holder_finds_an_application_waiting_for_correction(hall):
    import json
    card = next(c for c in json.loads((DEFAULT_SEED / "idcards.json").read_text(encoding="utf-8"))
                if c["card_type"] == "mainland")
    answer = Client(hall.base).post("/api/v1/applications/lookup", {"id_number": card["id_number"]})
    assert answer.status_code == 200
    found = answer.json()["items"]
    assert {"补正", "审查"} <= {a["status"] for a in found}
    waiting = next(a for a in found if a["status"] == "补正")
    assert waiting["timeline"][-1]["note"].startswith("请补正：")


def test_seeded_once(tmp_path):
    first = Hall(tmp_path, "--seed", str(DEFAULT_SEED), "--demo")
    first.stop()
    first_log = first.log.read_text()
    counts = rows(first, "SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM requests), "
                         "(SELECT count(*) FROM ratings), (SELECT count(*) FROM staff_accounts)")
    again = Hall(tmp_path, "--seed", str(DEFAULT_SEED), "--demo")
    again.stop()
    assert rows(again, "SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM requests), "
                       "(SELECT count(*) FROM ratings), (SELECT count(*) FROM staff_accounts)") == counts
    assert "seeded a month" in first_log and "seeded a month" not in again.log.read_text()
