"""The supervision dashboard in a real browser (Debian's chromium through chromium-driver): a county
with applications, 12345 requests and ratings across departments (the project's seed); the
supervisor logs in, opens 电子监察 from the header, sees the charts drawn with the hall's CSS and
sends a 差评 to a department; that department's clerk answers it on 差评整改, and the dashboard
shows it rectified.

With KIOSK_GALLERY set (`bash scripts/dev screens`) the pages are kept there as
workbench-supervision.png and workbench-rectifications.png.
"""

import pytest

from testing.browser import MISSING, WHY_MISSING, log_in, press, shot
from testing.hall import Client, Sign
from testing.supervision import age, apply, assigned_ago, due_yesterday, file_request, rate
from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET, HallProcess
from testing.workbench import StaffUser

SUPERVISOR = ("zhao.supervisor", "supervise-password-1")
CLERK = ("li.clerk", "clerk-password-1")  # every department of the seed below
DISPATCHER = ("sun.dispatcher", "dispatch-password-1")
DEPARTMENTS = "GA,RS,YB,MZ,ZR,JY,SJ"
# an item of each department whose first material may be handed in at the window
ITEMS = {"GA": "GF00101002", "RS": "JF00206001", "YB": "QR00303001", "MZ": "JF00403001", "ZR": "QR00601002",
         "JY": "GF01002001", "SJ": "XK00509001"}
pytestmark = pytest.mark.skipif(MISSING, reason=WHY_MISSING)


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("supervision-browser")
    accounts = [f"{SUPERVISOR[0]}:supervisor", f"{CLERK[0]}:clerk:{DEPARTMENTS}", f"{DISPATCHER[0]}:dispatcher"]
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log",
                          args=[a for spec in accounts for a in ("--staff", spec)],
                          stdin="".join(p + "\n" for p in (SUPERVISOR[1], CLERK[1], DISPATCHER[1]))).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def county(hall):
    """A working month: applications in every state and light, requests through the loop, ratings."""
    terminal = Client(hall.url, Sign(TERMINAL_ID, TERMINAL_SECRET))
    clerk = StaffUser(hall.url, CLERK[0], CLERK[1])
    dispatcher = StaffUser(hall.url, DISPATCHER[0], DISPATCHER[1])
    steps = {"收件": [], "受理": ["accept"], "审查": ["accept", "review"], "决定": ["accept", "review", "decide"],
             "办结": ["accept", "review", "decide", "finish"], "不予受理": ["refuse"]}
    data = {"decide": {"outcome": "准予"}, "finish": {"collection": "邮寄送达"}, "refuse": {"note": "不属于本事项受理范围"}}
    plan = [("GA", 2, "办结"), ("GA", 0, "收件"), ("GA", 12, "审查"), ("GA", 18, "受理"), ("GA", 4, "办结"),
            ("RS", 1, "办结"), ("RS", 13, "决定"), ("RS", 20, "审查"), ("YB", 3, "受理"), ("YB", 9, "办结"),
            ("MZ", 6, "审查"), ("MZ", 17, "受理"), ("MZ", 1, "不予受理"), ("ZR", 5, "受理"), ("ZR", 2, "办结"),
            ("JY", 8, "决定"), ("JY", 0, "收件"), ("SJ", 7, "审查"), ("SJ", 2, "办结"), ("SJ", 0, "不予受理")]
    numbers, people = [], []
    for department, days_ago, state in plan:
        number, who = apply(terminal, ITEMS[department])
        age(hall.db_path, number, days_ago)
        for action in steps[state]:
            assert clerk.post(f"/workbench/applications/{number}/{action}", data.get(action, {}),
                              from_page="/workbench/").status_code == 303
        numbers.append(number)
        people.append(who)
    tickets = []
    for n, (kind, department, result) in enumerate([("投诉", "GA", "满意"), ("咨询", "RS", "基本满意"),
                                                    ("求助", "ZR", "不满意"), ("建议", "JY", None), ("举报", "SJ", None)]):
        ticket = file_request(terminal, kind, f"1370000100{n}")
        post = lambda user, action, body=None: user.post(f"/workbench/requests/{ticket}/{action}", body or {},  # noqa: E731
                                                         from_page="/workbench/requests")
        assert post(dispatcher, "dispatch", {"department": department}).status_code == 303
        if result:
            for user, action, body in ((clerk, "handle", {}), (clerk, "reply", {"note": "已处理"}),
                                       (dispatcher, "close", {}), (dispatcher, "follow_up", {"result": result})):
                assert post(user, action, body).status_code == 303
        else:
            due_yesterday(hall.db_path, ticket)
        tickets.append(ticket)
    marks = {5: [5] * 5, 4: [5, 4, 4, 5, 4], 3: [3, 3, 4, 3, 3], 2: [2, 2, 3, 2, 3], 1: [1, 1, 2, 1, 2]}
    for n, level in enumerate([5, 5, 4, 5, 4, 5, 3, 5, 4, 5, 4, 3, 5, 5]):
        if n != 11:  # rated below
            rate(terminal, "application", numbers[n], level, marks[level], {"id_number": people[n]["id_number"]})
    bad = {"late": rate(terminal, "application", numbers[11], 2, marks[2], {"id_number": people[11]["id_number"]},
                        "等了三周还没有结果，电话也打不通"),
           "guide": rate(terminal, "guide", "GF00101002", 1, marks[1], reason="指南写可以邮寄，窗口却说必须本人来"),
           "request": rate(terminal, "request", tickets[2], 2, marks[2], {"phone": "13700001002"}, "回复与诉求无关")}
    assert StaffUser(hall.url, SUPERVISOR[0], SUPERVISOR[1]).post(
        f"/workbench/supervision/ratings/{bad['late']}/assign", {"department": "MZ", "note": "请核实办理进度"},
        from_page="/workbench/supervision/").status_code == 303
    assigned_ago(hall.db_path, bad["late"], 17)  # not answered in its 15 working days: red
    return bad


def shows(driver, element_id, text) -> bool:
    """Whether the element comes to hold `text` (the old page may still be there after a press)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
        lambda d: text in d.find_element(By.ID, element_id).text, f"{element_id} shows {text}")
    return True


def test_the_supervisor_sees_the_county_and_a_clerk_answers_a_bad_rating(hall, county, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(hall.url + "/supervision/")
    assert browser.current_url.endswith("/workbench/login")
    log_in(browser, hall.url, *SUPERVISOR)
    browser.find_element(By.LINK_TEXT, "电子监察").click()
    assert browser.find_element(By.ID, "k-total").text == "20"
    assert browser.find_element(By.ID, "k-bad").text == "3"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 4 and all(c.size["width"] > 300 and c.size["height"] > 100 for c in charts)
    for css, rgb in {"rect.fill-green": "rgb(30, 123, 52)", "rect.fill-red": "rgb(179, 38, 30)",
                     "rect.fill-navy": "rgb(31, 58, 95)"}.items():
        assert browser.find_element(By.CSS_SELECTOR, css).value_of_css_property("fill") == rgb  # the hall's CSS
    late = browser.find_element(By.ID, f"bad-{county['late']}")
    assert "late" in late.get_attribute("class") and browser.find_element(By.ID, f"state-{county['late']}").text == "已超期"
    assert late.find_element(By.TAG_NAME, "td").value_of_css_property("background-color") == "rgba(253, 236, 234, 1)"

    refused = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []  # the charts need nothing the page's CSP forbids

    guide = county["guide"]
    Select(browser.find_element(By.ID, f"department-{guide}")).select_by_visible_text("青山县公安局")
    browser.find_element(By.CSS_SELECTOR, f"#bad-{guide} input[name=note]").send_keys("请核对指南的领取方式")
    press(browser, f"assign-{guide}")
    assert shows(browser, f"state-{guide}", "整改中")  # on the page the form leads to
    assert "待分派 1" in browser.find_element(By.ID, "county").text  # the request's, sent to nobody yet
    shot(browser, "workbench-supervision.png")

    log_in(browser, hall.url, *CLERK)
    browser.find_element(By.LINK_TEXT, "差评整改").click()
    assert "late" in browser.find_element(By.ID, f"rect-{county['late']}").get_attribute("class")
    browser.find_element(By.ID, f"text-{guide}").send_keys("指南已更正：可邮寄送达，已通知窗口统一口径")
    press(browser, f"answer-{guide}")
    assert shows(browser, f"rect-{guide}", "已整改")
    assert "指南已更正" in browser.find_element(By.ID, f"rect-{guide}").text
    shot(browser, "workbench-rectifications.png")
