"""A clerk in a real browser (Debian's chromium driven by chromium-driver through Selenium):
a terminal applies with a photographed page and a signature; the clerk logs in, finds it in the
queue, asks for 补正, then accepts, reviews, decides and finishes it; the terminal's own
办件进度 (kiosk/progress.py against the same hall) reads 办结 and what the resident was told.

With KIOSK_GALLERY set (`bash scripts/dev screens`) the queue and application pages are kept
there as workbench-queue.png and workbench-application.png.
"""

import sqlite3
from datetime import UTC, datetime, time, timedelta

import pytest

from hall import clock
from kiosk import hall_api
from kiosk.hall_client import HallClient
from kiosk.progress import Progress
from testing.browser import MISSING, WHY_MISSING, absent, chromium, press, reaches, shot
from testing.materials import page_jpeg, ref, signature_png
from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET, HallProcess, id_number

ITEM = "GF00101002"  # 居民身份证到期换领, department GA, in the project's seed
CLERK = ("wang.clerk", "workbench-password-1")
pytestmark = pytest.mark.skipif(MISSING, reason=WHY_MISSING)


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbench-browser")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log",
                          args=["--staff", f"{CLERK[0]}:clerk:GA"], stdin=CLERK[1] + "\n").start()
    process.db_path = folder / "hall.sqlite3"
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(hall):
    client = HallClient(hall.url, TERMINAL_ID, TERMINAL_SECRET, timeout=10.0)
    yield client
    client.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def apply(client, seed=21, key="workbench-browser-0001") -> str:
    """What the apply screens send: the household register photographed, the signature, the form."""
    page, signature = page_jpeg(seed), signature_png(seed)
    for data in (page, signature):
        hall_api.upload(client, ref(data)["sha256"], data, ref(data)["type"])
    body = {"item_code": ITEM, "channel": "kiosk",
            "applicant": {"name": "李秀英", "id_number": id_number("52010219800101234"), "phone": "13800138000"},
            "form": {"reason": "expiring", "pickup": "post", "phone": "13800138000", "address": "青山县人民路8号"},
            "materials": [{"key": "m1", "how": "window"}, {"key": "m2", "how": "camera", "pages": [ref(page)]}],
            "signature": ref(signature)}
    return hall_api.create_application(client, body, key).answer["number"]


def age(hall, number, working_days):
    """As if `number` had been submitted `working_days` ago (its due date moved with it)."""
    day = clock.today()
    while clock.working_days_between(day, clock.today()) < working_days:
        day -= timedelta(days=1)
    submitted = datetime.combine(day, time(10), clock.CST).astimezone(UTC).replace(tzinfo=None)
    with sqlite3.connect(hall.db_path) as db:
        (limit,) = db.execute("SELECT limit_days FROM applications WHERE number = ?", (number,)).fetchone()
        db.execute("UPDATE applications SET submitted_at = ?, due_date = ? WHERE number = ?",
                   (submitted.strftime("%Y-%m-%d %H:%M:%S.%f"), clock.add_working_days(day, limit).isoformat(),
                    number))


def test_a_clerk_asks_for_more_then_accepts_decides_and_finishes(hall, client, browser):
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import Select, WebDriverWait

    number = apply(client)
    late, near = apply(client, 22, "workbench-browser-0002"), apply(client, 23, "workbench-browser-0003")
    age(hall, late, 17)  # of 15 working days: red
    age(hall, near, 13)  # 80 % or more used: yellow
    browser.get(hall.url + "/workbench/")
    assert browser.current_url.endswith("/workbench/login")
    browser.find_element(By.ID, "name").send_keys(CLERK[0])
    browser.find_element(By.ID, "password").send_keys(CLERK[1])
    press(browser, "login")
    link = browser.find_element(By.LINK_TEXT, number)
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert [r.split()[:2] for r in rows] == [["已超期", late], ["临近时限", near], ["正常", number]]  # due first
    for light, rgb in {"red": "179, 38, 30", "yellow": "242, 194, 0", "green": "30, 123, 52"}.items():
        badge = browser.find_element(By.CSS_SELECTOR, f"td .light.{light}")
        assert badge.value_of_css_property("background-color") == f"rgba({rgb}, 1)"  # the hall's CSS applied
    shot(browser, "workbench-queue.png")
    link.click()

    assert reaches(browser, "收件")
    pages = browser.find_elements(By.CSS_SELECTOR, "img.page, img.signature")
    assert len(pages) == 2 and all(browser.execute_script("return arguments[0].naturalWidth", p) > 0 for p in pages)
    assert "13800138000" not in browser.page_source  # masked until "show"
    shot(browser, "workbench-application.png")
    browser.find_element(By.CSS_SELECTOR, "a[href='?zoom=3#materials']").click()
    WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "img.page").size["width"] > 600, "the page zoomed")

    press(browser, "unreadable-m2")
    browser.find_element(By.CSS_SELECTOR, "#form-correct textarea").send_keys("户口簿首页反光，请重新拍摄")
    press(browser, "do-correct")
    assert reaches(browser, "补正")
    progress = Progress(client, None, None).by_number(number)[0]
    assert progress["status"] == "补正"
    assert progress["timeline"][-1]["note"] == "请补正：居民户口簿（不清晰）。户口簿首页反光，请重新拍摄"

    press(browser, "do-accept")
    assert reaches(browser, "受理")
    press(browser, "do-review")
    assert reaches(browser, "审查")
    assert absent(browser, "#do-finish")  # no 办结 offered before 决定
    press(browser, "outcome-准予")
    press(browser, "do-decide")
    assert reaches(browser, "决定")
    Select(browser.find_element(By.ID, "collection")).select_by_visible_text("邮寄送达")
    press(browser, "do-finish")
    assert reaches(browser, "办结")
    assert absent(browser, "form.action")  # nothing follows 办结

    (progress,) = Progress(client, None, None).by_number(number)
    assert progress["status"] == "办结" and progress["signal"] == "green"
    assert [t["stage"] for t in progress["timeline"]] == ["收件", "补正", "受理", "审查", "决定", "办结"]
    assert progress["timeline"][-1]["note"] == "已办结，领取方式：邮寄送达"
