"""Operator login, sessions and CSRF: separate from terminal credentials."""

import requests

from testing.fleet import OPERATOR, TERMINALS, Operator


def test_login_sets_strict_httponly_cookie(hall):
    ops = Operator(hall.base)
    assert ops.answer.status_code == 303 and ops.answer.headers["location"] == "/console/"
    cookie = ops.answer.headers["set-cookie"]
    assert "fleet_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "终端监控" in ops.get("/console/").text


def test_wrong_password_refused(hall):
    ops = Operator(hall.base, OPERATOR[0], "wrong password")
    assert ops.answer.status_code == 303 and "error=1" in ops.answer.headers["location"]
    assert "fleet_session" not in ops.http.cookies
    assert ops.get("/console/", allow_redirects=False).status_code == 303


def test_terminal_credentials_do_not_open_the_console(hall):
    terminal_id, secret = next(iter(TERMINALS.items()))
    assert Operator(hall.base, terminal_id, secret).answer.headers["location"].endswith("error=1")


def test_console_needs_login(hall):
    for path in ("/console/", "/console/terminals/fl-01", "/console/screenshots/1.png"):
        answer = requests.get(hall.base + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"


def test_csrf_missing_or_wrong_refused(hall, operator):
    url = hall.base + "/console/terminals/fl-07/commands"
    missing = operator.http.post(url, data={"kind": "restart"}, allow_redirects=False)
    wrong = operator.http.post(url, data={"kind": "restart", "csrf": "x" * 32}, allow_redirects=False)
    assert missing.status_code == wrong.status_code == 403
    login_without_csrf = requests.post(hall.base + "/console/login", data={"name": OPERATOR[0], "password": OPERATOR[1]},
                                       allow_redirects=False, timeout=30)
    assert login_without_csrf.status_code == 403
    assert "没有指令" in operator.get("/console/terminals/fl-07").text


def test_logout_ends_the_session(hall, operator):
    cookie = operator.http.cookies["fleet_session"]
    assert operator.post_form("/console/logout", {}, "/console/").status_code == 303
    stale = requests.get(hall.base + "/console/", cookies={"fleet_session": cookie}, allow_redirects=False)
    assert stale.status_code == 303
