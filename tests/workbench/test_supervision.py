"""电子监察 and 好差评 against a running `kiosk hall` of its own (this module's): a terminal applies,
files 12345 requests and rates; clerks and the dispatcher move them through the workbench; dates
are moved back in the database as if time had passed. The figures (figures.json and the page)
must equal what is counted by hand below. Then the 整改 loop of the 差评, its lateness, its audit,
and who may see and do what."""

import sqlite3
import threading

import pytest
import requests

from hall import clock
from testing.hall import Hall
from testing.supervision import apply, age, assigned_ago, due_yesterday, file_request, rate
from testing.workbench import StaffUser, csrf_of, staff_args

SV = "/workbench/supervision"
RECT = "/workbench/rectifications"
GA_20, GA_5, RS_0, RS_GUIDE = "XK00101001", "XK00102001", "GG00201001", "XK00202001"  # limits 20, 5, 0 days


TOKEN = "figures-token-for-the-province-0123456789"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """This module's own hall (every number below counts its data only), with a figures token."""
    args, passwords = staff_args()
    server = Hall(tmp_path_factory.mktemp("supervision"), *args, stdin=passwords, env={"HALL_FIGURES_TOKEN": TOKEN})
    yield server
    assert server.stop() == 0


def audit_rows(hall, subject):
    with sqlite3.connect(hall.db) as db:
        return db.execute("SELECT staff, action, detail FROM staff_audit WHERE subject = ? ORDER BY id",
                          (subject,)).fetchall()


@pytest.fixture(scope="module")
def users(hall):
    return {name: StaffUser(hall.base, name) for name in ("ga-clerk", "rs-clerk", "dispatcher", "supervisor")}


@pytest.fixture(scope="module")
def county(hall, terminal, users):
    """The known data: 6 applications, 5 requests, 7 ratings (numbers in the tests below)."""
    ga, rs, dispatcher = users["ga-clerk"], users["rs-clerk"], users["dispatcher"]

    def move(user, number, *steps):
        for action, data in steps:
            answer = user.post(f"/workbench/applications/{number}/{action}", data)
            assert answer.status_code == 303, (action, answer.text)

    finish = [("accept", {}), ("review", {}), ("decide", {"outcome": "准予"}), ("finish", {"collection": "窗口领取"})]
    a1, who1 = apply(terminal, GA_20)                      # 收件, green
    a2, _ = apply(terminal, GA_20)
    age(hall.db, a2, 17)                                      # 17 of 20 days used: yellow
    move(ga, a2, ("accept", {}))
    a3, _ = apply(terminal, GA_5)
    age(hall.db, a3, 8)                                       # 8 of 5: red, overdue
    move(ga, a3, ("accept", {}), ("review", {}))
    a4, who4 = apply(terminal, GA_20)
    move(ga, a4, *finish)                                  # finished the day it came: on time, 0 days
    a5, who5 = apply(terminal, GA_5)
    age(hall.db, a5, 8)
    move(ga, a5, *finish)                                  # finished today, 8 of 5 days: late, red
    b1, who_b1 = apply(terminal, RS_0)
    move(rs, b1, ("refuse", {"note": "非本事项受理范围"}))  # 即办 refused the same day: on time

    def loop(ticket, department, result, late=False):
        assert dispatcher.post(f"/workbench/requests/{ticket}/dispatch", {"department": department}).status_code == 303
        clerk = ga if department == "GA" else rs
        assert clerk.post(f"/workbench/requests/{ticket}/handle", {}).status_code == 303
        if late:
            due_yesterday(hall.db, ticket)
        assert clerk.post(f"/workbench/requests/{ticket}/reply", {"note": "已修复"}).status_code == 303
        assert dispatcher.post(f"/workbench/requests/{ticket}/close", {}).status_code == 303
        assert dispatcher.post(f"/workbench/requests/{ticket}/follow_up", {"result": result}).status_code == 303

    r1 = file_request(terminal, "投诉", "13700000001")
    loop(r1, "GA", "满意")
    r2 = file_request(terminal, "咨询", "13700000002")
    loop(r2, "GA", "不满意", late=True)                    # answered after its due date
    r3 = file_request(terminal, "求助", "13700000003")
    loop(r3, "RS", "基本满意")
    r4 = file_request(terminal, "建议", "13700000004")
    assert dispatcher.post(f"/workbench/requests/{r4}/dispatch", {"department": "GA"}).status_code == 303
    due_yesterday(hall.db, r4)                                # with GA past its due date
    r5 = file_request(terminal, "咨询", "13700000005")      # not dispatched yet: the county's only

    ratings = {
        "g1": rate(terminal, "application", a4, 5, [5] * 5, {"id_number": who4["id_number"]}),
        "g2": rate(terminal, "application", a1, 4, [5, 4, 4, 4, 4], {"id_number": who1["id_number"]}),
        "g3": rate(terminal, "application", a5, 1, [1] * 5, {"id_number": who5["id_number"]}, "超期办结，也没人告知进度"),
        "g4": rate(terminal, "request", r2, 2, [2] * 5, {"phone": "13700000002"}, "回复敷衍，问题没解决"),
        "g5": rate(terminal, "application", b1, 3, [3] * 5, {"id_number": who_b1["id_number"]}),
        "g6": rate(terminal, "guide", RS_GUIDE, 2, [2, 2, 1, 3, 3], reason="指南的材料清单与窗口要求不一致"),
        "g7": rate(terminal, "request", r5, 1, [1] * 5, {"phone": "13700000005"}, "三天了没人联系我"),
    }
    return {"applications": [a1, a2, a3, a4, a5, b1], "requests": [r1, r2, r3, r4, r5], **ratings}


def figures(user):
    answer = user.get(SV + "/figures.json")
    assert answer.status_code == 200, answer.text
    return answer.json()


def department(numbers, code):
    return next(d for d in numbers["departments"] if d["code"] == code)


def test_application_figures_are_the_counts_by_hand(county, users):
    numbers = figures(users["supervisor"])
    a1, a2, a3, a4, a5, b1 = county["applications"]
    ga = department(numbers, "GA")["applications"]
    assert ga["total"] == 5
    assert ga["by_state"] == {"收件": 1, "补正": 0, "受理": 1, "审查": 1, "决定": 0, "办结": 2, "不予受理": 0}
    assert ga["by_light"] == {"green": 2, "yellow": 1, "red": 2}  # a1 a4 | a2 | a3, a5 (finished late)
    assert (ga["overdue"], ga["finished"], ga["finished_on_time"], ga["on_time_rate"]) == (1, 2, 1, 0.5)
    assert (ga["average_days_used"], ga["average_limit_days"]) == (4.0, 12.5)  # (0 + 8) / 2, (20 + 5) / 2
    rs = department(numbers, "RS")["applications"]
    assert (rs["total"], rs["by_state"]["不予受理"], rs["by_light"]) == (1, 1, {"green": 1, "yellow": 0, "red": 0})
    assert (rs["finished"], rs["on_time_rate"], rs["average_days_used"], rs["average_limit_days"]) == (1, 1.0, 0.0, 0.0)
    c = numbers["county"]["applications"]
    assert (c["total"], c["by_light"], c["overdue"]) == (6, {"green": 3, "yellow": 1, "red": 2}, 1)
    assert (c["finished"], c["finished_on_time"], c["on_time_rate"]) == (3, 2, 0.6667)
    assert (c["average_days_used"], c["average_limit_days"]) == (2.67, 8.33)  # 8 / 3, 25 / 3
    assert [(o["number"], o["status"], o["used"], o["limit_days"]) for o in numbers["overdue"]] == [(a3, "审查", 8, 5)]
    trend = numbers["trend"]
    assert len(trend) == 30 and trend[-1]["day"] == clock.today().isoformat()
    assert trend[-1]["applications"] == 3 and sum(d["applications"] for d in trend) == 6  # a2 a3 a5 earlier
    assert trend[-1]["requests"] == 5


def test_hotline_figures_are_the_counts_by_hand(county, users):
    numbers = figures(users["supervisor"])
    c = numbers["county"]["requests"]
    assert (c["total"], c["answered"], c["answered_on_time"], c["on_time_rate"], c["overdue"]) == (5, 3, 2, 0.6667, 1)
    assert (c["follow_ups"], c["by_result"], c["satisfaction_rate"]) == (
        3, {"满意": 1, "基本满意": 1, "不满意": 1}, 0.6667)  # 满意 + 基本满意 of 3
    ga = department(numbers, "GA")["requests"]
    assert (ga["total"], ga["answered"], ga["on_time_rate"], ga["overdue"], ga["satisfaction_rate"]) == (3, 2, 0.5, 1, 0.5)
    rs = department(numbers, "RS")["requests"]
    assert (rs["total"], rs["on_time_rate"], rs["follow_ups"], rs["satisfaction_rate"]) == (1, 1.0, 1, 1.0)
    r4 = county["requests"][3]
    assert [(o["ticket"], o["status"], o["department"]) for o in numbers["overdue_requests"]] == [(r4, "派单", "县公安局")]


def test_rating_figures_are_the_counts_by_hand(county, users):
    numbers = figures(users["supervisor"])
    c = numbers["county"]["ratings"]
    assert (c["total"], c["by_level"]) == (7, {"1": 2, "2": 2, "3": 1, "4": 1, "5": 1})
    assert (c["satisfied"], c["satisfaction_rate"], c["bad"]) == (2, 0.2857, 4)  # 2 of 7
    # 整体 5+5+1+2+3+2+1 = 19, 效率 18, 指南 17, 便捷 19, 操作 19, of 7
    assert c["indicators"] == {"整体满意度": 2.71, "办事效率": 2.57, "办事指南精确度": 2.43, "办事便捷度": 2.71,
                               "平台操作性": 2.71}
    ga = department(numbers, "GA")["ratings"]  # g1 g2 g3 (applications) and g4 (a request sent to GA)
    assert (ga["total"], ga["satisfaction_rate"], ga["bad"]) == (4, 0.5, 2)
    assert ga["indicators"] == {"整体满意度": 3.25, "办事效率": 3.0, "办事指南精确度": 3.0, "办事便捷度": 3.0, "平台操作性": 3.0}
    rs = department(numbers, "RS")["ratings"]  # g5 (an application) and g6 (a guide)
    assert (rs["total"], rs["satisfaction_rate"], rs["bad"]) == (2, 0.0, 1)
    assert rs["indicators"] == {"整体满意度": 2.5, "办事效率": 2.5, "办事指南精确度": 2.0, "办事便捷度": 3.0, "平台操作性": 3.0}
    bad = {b["id"]: b for b in numbers["bad_ratings"]}
    assert sorted(bad) == sorted(county[g] for g in ("g3", "g4", "g6", "g7"))
    assert bad[county["g3"]]["reason"] == "超期办结，也没人告知进度"
    assert [bad[county[g]]["subject_name"] for g in ("g3", "g4", "g6")] == ["户口迁移登记", "咨询", "劳务派遣经营许可"]
    assert {g: bad[county[g]]["department"] for g in ("g3", "g4", "g6", "g7")} == {
        "g3": "GA", "g4": "GA", "g6": "RS", "g7": None}  # g7: its request was not dispatched
    assert {b["state"] for b in bad.values()} == {"unassigned"}


def test_the_page_shows_the_same_numbers(county, users):
    page = users["supervisor"].get(SV + "/")
    assert page.status_code == 200
    html = page.text
    for key, shown in {"k-total": "6", "k-overdue": "1", "k-on-time": "66.7%", "k-days": "2.7 / 8.3",
                       "k-rq-on-time": "66.7%", "k-visit": "66.7%", "k-rating": "28.6%", "k-bad": "4"}.items():
        assert f'id="{key}">{shown}</b>' in html, key
    assert html.count("<svg") == 4 and "<script" not in html
    assert county["applications"][2] in html.split('id="overdue"')[1]
    assert "三天了没人联系我" in html
    assert "script-src" not in page.headers["content-security-policy"]


def test_the_short_paths_lead_to_the_dashboard(hall, users):
    sup = users["supervisor"]
    assert sup.get("/supervision/").headers["location"] == SV + "/"
    assert sup.get("/supervision/figures.json").headers["location"] == SV + "/figures.json"
    assert sup.http.get(hall.base + "/supervision/figures.json", timeout=30).json()["county"]["applications"]


def test_another_system_reads_the_figures_with_the_token_and_only_with_it(hall, county, users):
    def read(authorization):
        return requests.get(f"{hall.base}{SV}/figures.json", headers={"Authorization": authorization},
                            allow_redirects=False, timeout=30)

    answer = read(f"Bearer {TOKEN}")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "private, no-store"
    assert answer.json()["county"] == figures(users["supervisor"])["county"]
    for wrong in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN):
        assert read(wrong).status_code == 401, wrong
    assert requests.get(f"{hall.base}{SV}/", headers={"Authorization": f"Bearer {TOKEN}"}, allow_redirects=False,
                        timeout=30).status_code == 303  # the token reads the numbers, not the pages
    with sqlite3.connect(hall.db) as db:
        assert db.execute("SELECT COUNT(*) FROM staff_audit WHERE staff = 'figures token' AND action = 'figures_read'"
                          ).fetchone() == (1,)


def test_a_short_figures_token_stops_the_hall(tmp_path):
    with pytest.raises(RuntimeError, match="HALL_FIGURES_TOKEN must be at least 32"):
        Hall(tmp_path, env={"HALL_FIGURES_TOKEN": "short"})


def test_only_a_supervisor_sees_the_figures(hall, county, users):
    for name in ("ga-clerk", "rs-clerk", "dispatcher"):
        for path in (SV + "/", SV + "/figures.json"):
            assert users[name].get(path).status_code == 403, (name, path)
    stranger = requests.Session()
    for path in (SV + "/", SV + "/figures.json", RECT):
        answer = stranger.get(hall.base + path, allow_redirects=False, timeout=30)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/workbench/login"), path
    answer = stranger.post(f"{hall.base}{SV}/ratings/{county['g3']}/assign", data={"csrf": "x", "department": "GA"},
                           allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    assert users["dispatcher"].get(RECT).status_code == 403


def test_the_rectification_loop_on_time_and_late(hall, county, users):
    sup, ga, rs = users["supervisor"], users["ga-clerk"], users["rs-clerk"]
    g3, g4, g6 = county["g3"], county["g4"], county["g6"]
    token = csrf_of(sup.get(SV + "/").text)

    def assign(rating, department, note="", user=sup, csrf=None):
        return user.post(f"{SV}/ratings/{rating}/assign", {"department": department, "note": note},
                         csrf=csrf or (token if user is sup else csrf_of(user.get("/workbench/").text)))

    def answer(user, rating, text, csrf=None):
        return user.post(f"{RECT}/{rating}/answer", {"text": text}, from_page=RECT, csrf=csrf)

    # refusals first: nothing is written by any of them
    assert assign(g3, "GA", csrf="forged").status_code == 403
    assert assign(g3, "GA", user=ga).status_code == 403
    assert assign(county["g1"], "GA").status_code == 409  # a 5 needs no 整改
    refused = assign(g3, "")
    assert refused.status_code == 409 and '<p class="error" id="error">请选择整改部门</p>' in refused.text
    assert audit_rows(hall, f"差评{g3}") == []

    assert assign(g3, "GA", "请说明超期原因并整改").status_code == 303
    assert assign(g4, "GA").status_code == 303
    assert assign(g6, "RS").status_code == 303
    due = clock.add_working_days(clock.today(), 15).isoformat()
    listed = ga.get(RECT).text
    assert f'id="rect-{g3}"' in listed and f'id="rect-{g4}"' in listed and f'id="rect-{g6}"' not in listed
    assert "请说明超期原因并整改" in listed and due in listed
    assert f'id="rect-{g3}"' not in rs.get(RECT).text
    assert answer(rs, g3, "与本部门无关").status_code == 403
    assert answer(sup, g3, "监察人员不答复").status_code == 403  # a supervisor reads the page, answers nothing
    dispatcher = users["dispatcher"]
    assert answer(dispatcher, g3, "x" * 5, csrf=csrf_of(dispatcher.get("/workbench/requests").text)).status_code == 403
    assert answer(ga, g3, "已整改", csrf="forged").status_code == 403
    assert answer(ga, g3, " ").status_code == 409
    assert answer(ga, g3, "已约谈承办人，超期件改为每日提醒").status_code == 303
    assert answer(ga, g3, "再答一次").status_code == 409
    assert assign(g3, "RS").status_code == 409  # answered: it stays

    assigned_ago(hall.db, g4, 16)  # its 15 working days ran out yesterday
    bad = {b["id"]: b for b in figures(sup)["bad_ratings"]}
    assert (bad[g3]["state"], bad[g3]["late"], bad[g3]["rectification"]["answer"]) == (
        "done", False, "已约谈承办人，超期件改为每日提醒")
    assert (bad[g4]["state"], bad[g4]["late"]) == ("overdue", True)
    assert (bad[g6]["state"], bad[g6]["rectification"]["due_date"]) == ("open", due)
    page = sup.get(SV + "/").text
    assert f'<tr id="bad-{g4}" class="late">' in page and f'<tr id="bad-{g3}">' in page
    assert f'<tr id="rect-{g4}" class="late">' in ga.get(RECT).text

    assert answer(ga, g4, "已重新答复诉求人").status_code == 303  # answered, but late: stays red
    numbers = figures(sup)
    bad = {b["id"]: b for b in numbers["bad_ratings"]}
    assert (bad[g4]["state"], bad[g4]["late"]) == ("done_late", True)
    assert [b["state"] for b in numbers["bad_ratings"]] == ["unassigned", "open", "done_late", "done"]
    assert numbers["county"]["ratings"]["bad_by_state"] == {"unassigned": 1, "open": 1, "overdue": 0, "done": 1,
                                                            "done_late": 1}
    assert department(numbers, "GA")["ratings"]["bad_by_state"]["done_late"] == 1

    assert audit_rows(hall, f"差评{g3}") == [("supervisor", "rectify_assign", "GA 请说明超期原因并整改"),
                                           ("ga-clerk", "rectify_answer", "已约谈承办人，超期件改为每日提醒")]
    assert [a for _, a, _ in audit_rows(hall, f"差评{g4}")] == ["rectify_assign", "rectify_answer"]
    trail = sup.get(f"/workbench/audit?subject=差评{g3}").text
    assert "rectify_answer" in trail and "ga-clerk" in trail


def test_a_supervisor_reassigns_an_unanswered_one_and_the_new_department_gets_its_days(hall, county, users):
    sup, rs = users["supervisor"], users["rs-clerk"]
    g7 = county["g7"]  # its request went to nobody: the supervisor picks a department
    token = csrf_of(sup.get(SV + "/").text)
    assert sup.post(f"{SV}/ratings/{g7}/assign", {"department": "GA"}, csrf=token).status_code == 303
    assigned_ago(hall.db, g7, 20)
    assert sup.post(f"{SV}/ratings/{g7}/assign", {"department": "RS", "note": "应由人社局答复"},
                    csrf=token).status_code == 303
    (fix,) = [b["rectification"] for b in figures(sup)["bad_ratings"] if b["id"] == g7]
    assert (fix["department"], fix["due_date"]) == ("RS", clock.add_working_days(clock.today(), 15).isoformat())
    assert f'id="rect-{g7}"' in rs.get(RECT).text
    assert [d for _, a, d in audit_rows(hall, f"差评{g7}")] == ["GA", "RS 应由人社局答复"]


def test_concurrent_answers_keep_one(hall, terminal, users):
    """Last in this module: it adds a 差评 of its own."""
    bad = rate(terminal, "guide", GA_20, 1, [1] * 5, reason="指南里的电话是空号")
    sup = users["supervisor"]
    assert sup.post(f"{SV}/ratings/{bad}/assign", {"department": "GA"}, from_page=SV + "/").status_code == 303
    clerks = [StaffUser(hall.base, "ga-clerk") for _ in range(5)]
    tokens = [csrf_of(c.get(RECT).text) for c in clerks]
    barrier, codes = threading.Barrier(len(clerks)), []

    def press(n):
        barrier.wait()
        codes.append(clerks[n].post(f"{RECT}/{bad}/answer", {"text": f"已更正电话（{n}）"}, csrf=tokens[n]).status_code)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(len(clerks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [303] + [409] * (len(clerks) - 1)
    assert [a for _, a, _ in audit_rows(hall, f"差评{bad}")] == ["rectify_assign", "rectify_answer"]
