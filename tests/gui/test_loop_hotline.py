"""The 12345 loop end to end, across processes: a resident files a complaint on the kiosk (the
real app, emulated printer); the dispatcher and the department's clerk in a real browser
(chromium through Selenium) 派单, 办理, 回复, 办结 and record the 回访; the kiosk's 办件进度 shows the
reply and 已办结; the resident rates it on the kiosk and the request reaches 评价, its last step,
on the kiosk and in the back office."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.browser import MISSING, WHY_MISSING, chromium, log_in, press as click, reaches
from testing.gui import (ONLY_PRINTER, HallProcess, attach_printer, detach_printer, find_button,
                         hall_settings, open_tile, press, type_into, type_on_keyboard)
from testing.workbench import STAFF

pytestmark = [pytest.mark.gui, pytest.mark.skipif(MISSING, reason=WHY_MISSING)]
PHONE, CONTENT = "13955556666", "城关镇东门社区路口的红绿灯坏了两天，早晚上学很危险"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop-hotline")
    specs = [STAFF["dispatcher"], STAFF["ga-clerk"]]
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log",
                          args=[a for spec, _ in specs for a in ("--staff", spec)],
                          stdin="".join(password + "\n" for _, password in specs)).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


@pytest.fixture
def online(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, **ONLY_PRINTER))
    printer = attach_printer(ui)
    yield
    detach_printer(ui, printer)


def file_a_complaint(ui) -> str:
    open_tile(ui, "hotline")
    press(ui, find_button(ui, "投诉"))
    ui.wait(lambda: ui.screen.name == "hotline.form", what="the form")
    type_into(ui, ui.screen.ids.content.ids.input, CONTENT)
    type_into(ui, ui.screen.ids.location.ids.input, "城关镇东门社区")
    type_into(ui, ui.screen.ids.phone.ids.input, PHONE)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review", what="review")
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=15, what="the ticket")
    return ui.screen.number


def progress_of(ui, ticket: str) -> list[str]:
    from screens.progress import RequestCard
    open_tile(ui, "progress")
    field = ui.screen.ids.number
    field.value = ""
    type_into(ui, field.ids.input, ticket)
    press(ui, ui.screen.ids.look_up)
    ui.wait(lambda: any(isinstance(w, RequestCard) for w in ui.screen.ids.results.children) and not ui.screen.busy,
            timeout=15, what="the request on screen")
    ui.frames(3)
    return ui.texts()


def staff_step(browser, hall, who: str, ticket: str, action: str, expected: str, note: str = "") -> None:
    from selenium.webdriver.common.by import By
    log_in(browser, hall.url, *(STAFF[who][0].split(":")[0], STAFF[who][1]))
    browser.get(f"{hall.url}/workbench/requests/{ticket}")
    if note:
        browser.find_element(By.CSS_SELECTOR, f"#form-{action} textarea").send_keys(note)
    click(browser, f"do-{action}")
    assert reaches(browser, expected)


def test_a_complaint_from_the_kiosk_to_its_rating(ui, online, hall, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    ticket = file_a_complaint(ui)
    assert ticket.startswith("RQ")
    texts = progress_of(ui, ticket)
    assert "办理机构: 青山县公安局" not in texts  # not sent anywhere yet

    log_in(browser, hall.url, "dispatcher", STAFF["dispatcher"][1])
    browser.get(f"{hall.url}/workbench/requests/{ticket}")
    assert CONTENT in browser.page_source and PHONE not in browser.page_source  # the contact masked
    Select(browser.find_element(By.ID, "department")).select_by_visible_text("青山县公安局")
    click(browser, "do-dispatch")
    assert reaches(browser, "派单")
    staff_step(browser, hall, "ga-clerk", ticket, "handle", "办理")
    staff_step(browser, hall, "ga-clerk", ticket, "reply", "回复", note="已联系交警大队，红绿灯已于当日修复")
    texts = progress_of(ui, ticket)
    assert "办理机构: 青山县公安局" in texts and "答复: 已联系交警大队，红绿灯已于当日修复" in texts
    staff_step(browser, hall, "dispatcher", ticket, "close", "办结")
    log_in(browser, hall.url, "dispatcher", STAFF["dispatcher"][1])
    browser.get(f"{hall.url}/workbench/requests/{ticket}")
    click(browser, "result-满意")
    click(browser, "do-follow_up")
    assert reaches(browser, "回访")

    # the resident rates it on the kiosk: the ticket number, the phone as proof, a level
    open_tile(ui, "rating")
    type_on_keyboard(ui, ui.screen.ids.ref, [*ticket[:2].lower(), "to:digits", *ticket[2:]])
    press(ui, ui.screen.ids.find)
    type_on_keyboard(ui, ui.screen.ids.proof, list(PHONE))
    press(ui, ui.screen.ids.prove)
    press(ui, find_button(ui, "4  满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="the hall took the rating")

    texts = progress_of(ui, ticket)
    from screens.progress import RequestCard
    (card,) = [w for w in ui.screen.ids.results.children if isinstance(w, RequestCard)]
    lines = [row.ids.words.text.splitlines()[0] for row in reversed(card.ids.stages.children)]
    assert len(lines) == 7 and lines[-1].startswith(ui.app.t("Rated")), lines  # 受理 … 回访, 评价
    browser.get(f"{hall.url}/workbench/requests/{ticket}")
    assert reaches(browser, "评价")
    assert "市民评价：满意" in browser.find_element(By.ID, "timeline").text
