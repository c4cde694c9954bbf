"""The rules of the figures on single rows, at their edges: when a finished application was on
time, which answer of a request counts, when a 整改 is late (no hall needed: rows built here)."""

from datetime import date, datetime

from hall.db import Application, HotlineRequest, Rectification
from hall.workbench.figures import application_facts, request_facts
from hall.workbench.rectification import state

THU = date(2026, 12, 3)


def application(status, submitted, due, limit, ends=None):
    timeline = [{"stage": "收件", "at": f"{submitted}T10:00:00+08:00", "note": ""}]
    if ends:
        timeline.append({"stage": status, "at": f"{ends}T16:00:00+08:00", "note": ""})
    return Application(number="SB1", item_name="x", status=status, limit_days=limit, due_date=due, timeline=timeline,
                       submitted_at=datetime.combine(submitted, datetime.min.time()).replace(hour=2))


def test_a_finished_application_is_on_time_up_to_its_due_day_and_judged_on_the_day_it_ended():
    on_due_day = application_facts(application("办结", date(2026, 11, 26), THU, 5, THU), date(2026, 12, 20))
    assert (on_due_day["on_time"], on_due_day["light"], on_due_day["used"], on_due_day["overdue"]) == (
        True, "yellow", 5, False)  # 5 of 5 working days: yellow, but not late, whenever it is looked at
    day_after = application_facts(application("不予受理", date(2026, 11, 26), THU, 5, date(2026, 12, 4)), THU)
    assert (day_after["finished"], day_after["on_time"], day_after["light"]) == (True, False, "red")
    open_late = application_facts(application("审查", date(2026, 11, 26), date(2026, 12, 2), 4), THU)
    assert (open_late["finished"], open_late["on_time"], open_late["overdue"]) == (False, False, True)
    assert application_facts(application("受理", date(2026, 11, 26), THU, 5), THU)["overdue"] is False


def request(status, due, history):
    return HotlineRequest(ticket="RQ1", type="咨询", status=status, due_date=due,
                          history=[{"status": s, "at": f"{d}T10:00:00+08:00", "note": n} for s, d, n in history])


def test_a_request_sent_back_counts_its_last_answer_and_its_last_follow_up():
    sent_back = [("受理", "2026-11-20", ""), ("派单", "2026-11-20", ""), ("回复", "2026-11-25", "敷衍"),
                 ("派单", "2026-11-26", "")]
    facts = request_facts(request("派单", THU, sent_back), date(2026, 12, 4))
    assert (facts["answered"], facts["overdue"]) == (False, True)  # back with the department, past due
    answered_late = sent_back + [("办理", "2026-12-01", ""), ("回复", "2026-12-04", "已修复"), ("办结", "2026-12-04", ""),
                                 ("回访", "2026-12-07", "回访结果：基本满意。已修好")]
    facts = request_facts(request("回访", THU, answered_late), date(2026, 12, 8))
    assert (facts["answered"], facts["on_time"], facts["overdue"], facts["visit"]) == (True, False, False, "基本满意")
    assert request_facts(request("受理", THU, sent_back[:1]), date(2027, 1, 1))["overdue"] is False  # nobody has it


def test_a_rectification_is_late_open_past_its_due_day_or_answered_after_it():
    def fix(answered=None):
        return Rectification(due_date=THU, answered_at=answered)

    assert state(None, THU) == "unassigned"
    assert (state(fix(), THU), state(fix(), date(2026, 12, 4))) == ("open", "overdue")
    # answered_at is stored in UTC: 16:00 UTC on the 3rd is midnight of the 4th in China
    assert state(fix(datetime(2026, 12, 3, 15, 59)), date(2027, 1, 1)) == "done"
    assert state(fix(datetime(2026, 12, 3, 16, 0)), date(2027, 1, 1)) == "done_late"
