"""The workbench over HTTP against a running `kiosk hall`: who may see and do what, CSRF,
lock-out, the audit trail, and illegal or concurrent moves refused."""

import hashlib
import re
import sqlite3
import threading

import pytest
import requests

from testing.hall import person
from testing.workbench import STAFF, StaffUser, csrf_of, submit

WB = "/workbench"


@pytest.fixture(scope="module")
def clerk(hall):
    return StaffUser(hall.base, "ga-clerk")


@pytest.fixture(scope="module")
def supervisor(hall):
    return StaffUser(hall.base, "supervisor")


@pytest.fixture
def number(terminal, page, request):
    return submit(terminal, page, tag=request.node.name)["number"]


def audit_rows(hall, subject):
    with sqlite3.connect(hall.db) as db:
        return db.execute("SELECT staff, action, detail FROM staff_audit WHERE subject = ? ORDER BY id",
                          (subject,)).fetchall()


def status_of(terminal, number):
    return terminal.get(f"/api/v1/applications/{number}").json()["status"]


def test_a_session_cookie_is_httponly_and_samesite_and_pages_are_locked_down(hall):
    user = StaffUser(hall.base, "ga-clerk")
    assert user.logged_in
    cookie = user.answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/workbench" in cookie
    page = user.get(WB + "/")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "private, no-store"


def test_no_session_is_sent_to_the_login_page(hall, number):
    stranger = requests.Session()
    for method, path in (("GET", WB + "/"), ("GET", f"{WB}/applications/{number}"), ("GET", WB + "/audit"),
                         ("POST", f"{WB}/applications/{number}/accept"), ("POST", f"{WB}/applications/{number}/reveal")):
        answer = stranger.request(method, hall.base + path, data={"csrf": "x"}, allow_redirects=False, timeout=30)
        assert (answer.status_code, answer.headers.get("location")) == (303, WB + "/login"), path


def test_a_terminal_signature_is_no_staff_session(terminal, number):
    answer = terminal.get(f"{WB}/applications/{number}", allow_redirects=False)
    assert answer.status_code == 303


def test_the_login_form_needs_its_csrf_token(hall):
    http = requests.Session()
    http.get(hall.base + WB + "/login", timeout=30)
    answer = http.post(hall.base + WB + "/login", data={"name": "ga-clerk", "password": STAFF["ga-clerk"][1],
                                                       "csrf": "forged"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 403 and "staff_session" not in answer.headers.get("set-cookie", "")


def test_a_wrong_csrf_token_moves_nothing(clerk, terminal, number):
    for csrf in ("", "forged-token"):
        assert clerk.post(f"{WB}/applications/{number}/accept", {}, csrf=csrf).status_code == 403
    assert status_of(terminal, number) == "收件"
    # Another staff member's token is not this session's either.
    other = StaffUser(clerk.base, "ga-clerk")
    theirs = csrf_of(other.get(WB + "/").text)
    assert clerk.post(f"{WB}/applications/{number}/accept", {}, csrf=theirs).status_code == 403
    assert status_of(terminal, number) == "收件"


def test_a_clerk_of_another_department_sees_and_does_nothing(hall, terminal, number):
    rs = StaffUser(hall.base, "rs-clerk")
    assert number not in rs.get(WB + "/").text
    assert rs.get(f"{WB}/applications/{number}").status_code == 403
    assert rs.post(f"{WB}/applications/{number}/accept", {}, from_page=WB + "/").status_code == 403
    assert rs.post(f"{WB}/applications/{number}/reveal", {}, from_page=WB + "/").status_code == 403
    files = re.findall(rf'{WB}/applications/{number}/files/[0-9a-f]{{64}}',
                       StaffUser(hall.base, "ga-clerk").get(f"{WB}/applications/{number}").text)
    assert files and rs.get(files[0]).status_code == 403
    assert status_of(terminal, number) == "收件"
    assert [r for r in audit_rows(hall, number) if r[0] == "rs-clerk"] == []


def test_a_dispatcher_has_no_business_with_applications(hall, terminal, number):
    dispatcher = StaffUser(hall.base, "dispatcher")
    assert dispatcher.logged_in
    assert dispatcher.get(WB + "/").headers["location"] == WB + "/requests"
    assert dispatcher.get(f"{WB}/applications/{number}").status_code == 403
    # With the session's own CSRF token (no page shows it to a dispatcher yet): the role is what is refused.
    with sqlite3.connect(hall.db) as db:
        (token,) = db.execute("SELECT csrf FROM staff_sessions WHERE token_hash = ?", (
            hashlib.sha256(dispatcher.http.cookies["staff_session"].encode()).hexdigest(),)).fetchone()
    answer = dispatcher.post(f"{WB}/applications/{number}/accept", {}, csrf=token)
    assert answer.status_code == 403 and "only a clerk" in answer.text
    assert status_of(terminal, number) == "收件"


def test_a_supervisor_reads_everything_decides_nothing(supervisor, clerk, terminal, number):
    assert number in supervisor.get(WB + "/").text
    page = supervisor.get(f"{WB}/applications/{number}")
    assert page.status_code == 200 and 'id="do-accept"' not in page.text
    assert supervisor.post(f"{WB}/applications/{number}/accept", {}).status_code == 403
    assert status_of(terminal, number) == "收件"
    assert clerk.get(WB + "/audit").status_code == 403


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(hall):
    for _ in range(4):
        assert StaffUser(hall.base, "locked", "wrong password").answer.headers["location"] == WB + "/login?error=wrong"
    assert StaffUser(hall.base, "locked", "wrong password").answer.headers["location"] == WB + "/login?error=locked"
    refused = StaffUser(hall.base, "locked")  # the right password
    assert not refused.logged_in and refused.answer.headers["location"] == WB + "/login?error=locked"
    assert "锁定" in refused.http.get(hall.base + refused.answer.headers["location"], timeout=30).text
    assert ("locked", "locked", "5 wrong passwords") in audit_rows(hall, "locked")


def test_wrong_passwords_of_unknown_names_lock_nobody(hall):
    for _ in range(6):
        assert not StaffUser(hall.base, "nobody", "whatever-password").logged_in
    assert StaffUser(hall.base, "ga-clerk").logged_in


def test_resident_data_is_masked_until_shown_and_showing_is_audited(hall, clerk, supervisor, terminal, page):
    who = person()
    number = submit(terminal, page, who=who, tag="masked")["number"]
    masked = who["phone"][:3] + "****" + who["phone"][-4:]
    html = clerk.get(f"{WB}/applications/{number}").text
    assert "13912345678" not in html and "点击“显示”查看" in html  # the form's phone field
    assert who["phone"] not in html and masked in html and who["name"] not in html
    shown = clerk.post(f"{WB}/applications/{number}/reveal", {})
    assert shown.status_code == 200 and "13912345678" in shown.text
    assert who["phone"] in shown.text and who["name"] in shown.text
    assert ("ga-clerk", "reveal", "applicant and form shown unmasked") in audit_rows(hall, number)
    trail = supervisor.get(f"{WB}/audit?subject={number}").text
    assert "ga-clerk" in trail and "reveal" in trail


def test_every_material_page_served_is_audited(hall, clerk, number):
    files = re.findall(rf'{WB}/applications/{number}/files/[0-9a-f]{{64}}', clerk.get(f"{WB}/applications/{number}").text)
    assert len(set(files)) == 2  # the page and the signature
    for path in set(files):
        answer = clerk.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/")
    assert sorted(d for s, a, d in audit_rows(hall, number) if a == "view_file") == ["materials.m1.pages.0",
                                                                                    "signature"]


def test_each_decision_writes_its_timeline_entry_and_its_audit_row(hall, clerk, terminal, number):
    steps = [("accept", {}), ("review", {"note": "材料齐全"}), ("decide", {"outcome": "不予", "note": "不符合条件"}),
             ("finish", {"collection": "窗口领取"})]
    for action, data in steps:
        assert clerk.post(f"{WB}/applications/{number}/{action}", data).status_code == 303, action
    progress = terminal.get(f"/api/v1/applications/{number}").json()
    assert [t["stage"] for t in progress["timeline"]] == ["收件", "受理", "审查", "决定", "办结"]
    assert progress["timeline"][3]["note"] == "不予许可：不符合条件"
    assert [a for s, a, d in audit_rows(hall, number) if s == "ga-clerk" and a in dict(steps)] == [a for a, _ in steps]


def test_illegal_moves_are_refused_with_a_reason_and_nothing_follows_the_end(clerk, terminal, number):
    answer = clerk.post(f"{WB}/applications/{number}/finish", {"collection": "邮寄送达"})
    assert answer.status_code == 409 and "不能办结" in answer.text
    assert clerk.post(f"{WB}/applications/{number}/refuse", {"note": ""}).status_code == 409  # no reason
    assert status_of(terminal, number) == "收件"
    assert clerk.post(f"{WB}/applications/{number}/refuse", {"note": "非本部门事项"}).status_code == 303
    for action in ("accept", "correct", "review", "decide", "finish", "refuse"):
        assert clerk.post(f"{WB}/applications/{number}/{action}", {"note": "x", "outcome": "准予"},
                          from_page=WB + "/").status_code == 409
    assert [t["stage"] for t in terminal.get(f"/api/v1/applications/{number}").json()["timeline"]] == ["收件", "不予受理"]


def test_concurrent_double_submits_move_an_application_once(hall, clerk, terminal, number):
    token = csrf_of(clerk.get(WB + "/").text)
    users = [StaffUser(hall.base, "ga-clerk") for _ in range(6)]
    tokens = [csrf_of(u.get(WB + "/").text) for u in users]
    barrier, codes = threading.Barrier(len(users) + 1), []

    def press(user, csrf):
        barrier.wait()
        codes.append(user.post(f"{WB}/applications/{number}/accept", {}, csrf=csrf).status_code)

    threads = [threading.Thread(target=press, args=pair) for pair in [*zip(users, tokens), (clerk, token)]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [303] + [409] * len(users)
    assert [t["stage"] for t in terminal.get(f"/api/v1/applications/{number}").json()["timeline"]] == ["收件", "受理"]


def test_the_queue_filters_by_number_item_state_and_light(clerk, terminal, page):
    first, second = (submit(terminal, page, tag=f"queue {n}")["number"] for n in (1, 2))
    assert clerk.post(f"{WB}/applications/{second}/accept", {}).status_code == 303
    by_number = clerk.get(f"{WB}/?q={first[-8:]}").text
    assert first in by_number and second not in by_number
    accepted = clerk.get(f"{WB}/?state=受理").text
    assert second in accepted and first not in accepted
    assert first in clerk.get(f"{WB}/?item=XK00101001&light=green").text
    assert first not in clerk.get(f"{WB}/?light=red").text
    assert first not in clerk.get(f"{WB}/?item=XK00102001").text
