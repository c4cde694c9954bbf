"""12345 requests in the workbench: the closed loop (派单, 办理, 回复, 办结, 回访), who may do which
step, overdue ones 督办, and what the terminal reads back for the RQ number."""

import sqlite3
import threading
from datetime import date, timedelta

import pytest

from hall.workbench.states import IllegalMove, move_request, request_allowed
from testing.workbench import StaffUser, csrf_of

WB = "/workbench/requests"
INDICATORS = ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性")


@pytest.fixture(scope="module")
def dispatcher(hall):
    return StaffUser(hall.base, "dispatcher")


@pytest.fixture(scope="module")
def clerk(hall):
    return StaffUser(hall.base, "ga-clerk")


@pytest.fixture
def ticket(terminal):
    answer = terminal.post("/api/v1/requests", {"type": "投诉", "content": "人民路路灯连续三晚不亮", "location": "人民路",
                                                "phone": "13700001111"})
    assert answer.status_code == 201
    return answer.json()["ticket"]


def read(terminal, ticket):
    return terminal.get(f"/api/v1/requests/{ticket}").json()


def test_the_request_state_machine():
    assert move_request("受理", "dispatch", overdue=False, department="县公安局")[0] == "派单"
    with pytest.raises(IllegalMove, match="承办部门"):
        move_request("受理", "dispatch", overdue=False)
    with pytest.raises(IllegalMove, match="不能办结"):
        move_request("办理", "close", overdue=False)
    with pytest.raises(IllegalMove, match="未超期"):
        move_request("办理", "supervise", overdue=False)
    with pytest.raises(IllegalMove, match="办理结果"):
        move_request("办理", "reply", overdue=False, note=" ")
    assert move_request("督办", "reply", overdue=True, note="已修复")[0] == "回复"
    assert request_allowed("办理", "dispatcher", overdue=False) == []
    assert request_allowed("办理", "dispatcher", overdue=True) == ["supervise"]
    assert request_allowed("办理", "clerk", overdue=True) == ["reply"]
    assert request_allowed("回访", "dispatcher", overdue=False) == []


def test_the_loop_closes_and_the_terminal_reads_the_reply(hall, dispatcher, clerk, terminal, ticket):
    rs = StaffUser(hall.base, "rs-clerk")
    assert ticket not in clerk.get(WB).text  # not sent to anyone yet
    assert clerk.post(f"{WB}/{ticket}/dispatch", {"department": "GA"}, from_page="/workbench/").status_code == 403
    assert dispatcher.post(f"{WB}/{ticket}/dispatch", {"department": "GA", "note": "请核查"}).status_code == 303
    assert ticket in clerk.get(WB).text and ticket not in rs.get(WB).text
    assert rs.get(f"{WB}/{ticket}").status_code == 403
    assert dispatcher.post(f"{WB}/{ticket}/handle", {}).status_code == 403  # the department's step
    assert clerk.post(f"{WB}/{ticket}/handle", {}).status_code == 303
    assert clerk.post(f"{WB}/{ticket}/reply", {"note": ""}).status_code == 409
    assert clerk.post(f"{WB}/{ticket}/reply", {"note": "路灯线路已于当日修复"}).status_code == 303
    assert dispatcher.post(f"{WB}/{ticket}/close", {}).status_code == 303
    assert dispatcher.post(f"{WB}/{ticket}/follow_up", {"result": "满意"}).status_code == 303
    assert dispatcher.post(f"{WB}/{ticket}/close", {}).status_code == 409  # nothing after 回访
    seen = read(terminal, ticket)
    assert seen["status"] == "回访" and seen["reply"] == "路灯线路已于当日修复"
    assert seen["department"] == "县公安局"
    assert [h["status"] for h in seen["history"]] == ["受理", "派单", "办理", "回复", "办结", "回访"]
    assert seen["history"][-1]["note"] == "回访结果：满意"
    with sqlite3.connect(hall.db) as db:
        actions = [a for (a,) in db.execute("SELECT action FROM staff_audit WHERE subject = ? ORDER BY id", (ticket,))]
    assert actions == ["request_dispatch", "request_handle", "request_reply", "request_close", "request_follow_up"]
    # the resident rates it at a terminal: its last step, 评价
    rating = {"level": 4, "indicators": dict.fromkeys(INDICATORS, 4),
              "subject": {"kind": "request", "ref": ticket}, "proof": {"phone": "13700001111"}}
    assert terminal.post("/api/v1/ratings", rating).status_code == 201
    seen = read(terminal, ticket)
    assert seen["status"] == "评价" and seen["history"][-1]["note"] == "市民评价：满意"


def test_a_request_rated_before_it_is_closed_keeps_its_place(hall, terminal, ticket):
    rating = {"level": 2, "indicators": dict.fromkeys(INDICATORS, 2), "reason": "一直没人处理",
              "subject": {"kind": "request", "ref": ticket}, "proof": {"phone": "13700001111"}}
    assert terminal.post("/api/v1/ratings", rating).status_code == 201
    assert read(terminal, ticket)["status"] == "受理"


def test_an_overdue_request_is_supervised(hall, dispatcher, clerk, terminal, ticket):
    assert dispatcher.post(f"{WB}/{ticket}/dispatch", {"department": "GA"}).status_code == 303
    assert dispatcher.post(f"{WB}/{ticket}/supervise", {}).status_code == 409  # not late yet
    with sqlite3.connect(hall.db) as db:  # as if its limit ran out last week
        db.execute("UPDATE requests SET due_date = ? WHERE ticket = ?",
                   ((date.today() - timedelta(days=7)).isoformat(), ticket))
    assert "待督办" in dispatcher.get(WB).text
    assert dispatcher.post(f"{WB}/{ticket}/supervise", {"note": "请两日内答复"}).status_code == 303
    assert read(terminal, ticket)["status"] == "督办"
    assert clerk.post(f"{WB}/{ticket}/reply", {"note": "已答复"}).status_code == 303
    assert read(terminal, ticket)["status"] == "回复"


def test_a_dispatcher_lands_on_the_requests_and_a_supervisor_only_reads(hall, dispatcher, ticket):
    assert dispatcher.get("/workbench/").headers["location"] == WB
    supervisor = StaffUser(hall.base, "supervisor")
    assert ticket in supervisor.get(WB).text
    assert 'id="do-' not in supervisor.get(f"{WB}/{ticket}").text
    assert supervisor.post(f"{WB}/{ticket}/dispatch", {"department": "GA"}).status_code == 403
    page = dispatcher.get(f"{WB}/{ticket}").text
    assert "13700001111" not in page and "137****1111" in page


def test_concurrent_dispatches_send_a_request_once(hall, terminal, ticket):
    users = [StaffUser(hall.base, "dispatcher") for _ in range(5)]
    tokens = [csrf_of(u.get(WB).text) for u in users]
    barrier, codes = threading.Barrier(len(users)), []

    def press(user, csrf, department):
        barrier.wait()
        codes.append(user.post(f"{WB}/{ticket}/dispatch", {"department": department}, csrf=csrf).status_code)

    threads = [threading.Thread(target=press, args=(u, t, d)) for u, t, d in zip(users, tokens, ["GA", "RS"] * 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [303] + [409] * (len(users) - 1)
    assert [h["status"] for h in read(terminal, ticket)["history"]] == ["受理", "派单"]
