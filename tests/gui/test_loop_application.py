"""An application's loop end to end, across processes: the resident applies on the kiosk (the real
app; emulated ID card reader, document camera and printer) with a photographed page and a
signature; the department's clerk in a real browser (chromium through Selenium) logs in, opens it
from the queue and asks for 补正; the kiosk's 办件进度 says what is missing, the resident identifies
with the card again and sends the new page; the clerk sees it arrive, accepts, reviews, decides and
finishes; the kiosk's 办件进度 shows 办结, green."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from hardware.camera import scene
from testing.applying import choose, fill, hand_in, sign
from testing.browser import MISSING, WHY_MISSING, chromium, log_in, press as click, reaches, shot
from testing.gui import (HallProcess, attach_printer, detach_printer, device, hall_settings, open_tile, press,
                         type_into)
from testing.workbench import STAFF

pytestmark = [pytest.mark.gui, pytest.mark.skipif(MISSING, reason=WHY_MISSING)]
ITEM_CODE = "GF00208001"  # 就业登记, department RS: m1 居民身份证 (the card), m2 劳动合同或营业执照 (photographed)
LEASE = [d for d in scene.DOCUMENTS if d.key.startswith("lease")]  # the sim: camera's two-page contract


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop-application")
    spec, password = STAFF["rs-clerk"]
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log",
                          args=["--staff", spec], stdin=password + "\n").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


@pytest.fixture
def devices(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, card="none:", scanner="none:"))
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=30, what="the catalogue")
    printer = attach_printer(ui, timeout=40)
    reader = device(ui, "idcard", timeout=40)
    camera = device(ui, "camera", timeout=40)
    yield reader, camera
    reader.emulator.remove()
    camera.emulator.clear()
    camera.emulator.show(1)
    detach_printer(ui, printer)


def photograph(ui, camera, page: str) -> None:
    camera.emulator.show(page)
    ui.wait(lambda: ui.screen.ids.preview.found, timeout=15, what="the page outline")
    press(ui, ui.screen.ids.take)
    ui.wait(lambda: not ui.screen.busy and len(ui.screen.ids.thumbs.children) == 1, timeout=20, what="the page")
    press(ui, ui.screen.ids.done)


def apply_on_the_kiosk(ui, reader, camera) -> str:
    open_tile(ui, "apply")
    press(ui, ui.screen.ids.start)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "apply.item", timeout=20, what="the item list after the card")
    ui.wait(lambda: any(d["code"] == ITEM_CODE for d in ui.screen.ids.list.data), timeout=15, what="the item")
    ui.screen.choose(ITEM_CODE)
    ui.wait(lambda: ui.screen.name == "apply.form", what="the form")
    ui.frames(3)
    choose(ui, "employment", "employed")
    fill(ui, "employer", "青山县恒通商贸有限公司")
    fill(ui, "start_date", "20240301")
    fill(ui, "phone", "13912345678")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    ui.frames(3)
    hand_in(ui, "m1", "id_card")
    hand_in(ui, "m2", "camera")
    ui.wait(lambda: ui.screen.name == "apply.camera", what="the camera screen")
    photograph(ui, camera, LEASE[0].key)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="back to the materials")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.review", what="the review")
    ui.frames(3)
    sign(ui)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "apply.done", timeout=30, what="the receipt screen")
    number = ui.screen.number
    reader.emulator.remove()
    ui.app.end_session("the resident walks away with the receipt")
    ui.frames(3)
    return number


def progress_card(ui, number: str):
    from screens.progress import ApplicationCard
    open_tile(ui, "progress")
    field = ui.screen.ids.number
    field.value = ""
    type_into(ui, field.ids.input, number)
    press(ui, ui.screen.ids.look_up)
    ui.wait(lambda: any(isinstance(w, ApplicationCard) for w in ui.screen.ids.results.children)
            and not ui.screen.busy, timeout=15, what="the application on screen")
    ui.frames(3)
    return next(w for w in ui.screen.ids.results.children if isinstance(w, ApplicationCard))


def test_an_application_from_the_kiosk_through_correction_to_done(ui, devices, hall, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    reader, camera = devices
    number = apply_on_the_kiosk(ui, reader, camera)
    assert number.startswith("SB")

    # the clerk finds it in the department's queue and asks for a readable contract
    log_in(browser, hall.url, "rs-clerk", STAFF["rs-clerk"][1])
    browser.find_element(By.LINK_TEXT, number).click()
    assert reaches(browser, "收件")
    pages = browser.find_elements(By.CSS_SELECTOR, "img.page")
    assert len(pages) == 1 and browser.execute_script("return arguments[0].naturalWidth", pages[0]) > 0
    click(browser, "unreadable-m2")
    browser.find_element(By.CSS_SELECTOR, "#form-correct textarea").send_keys("合同第一页反光，请重新拍摄")
    click(browser, "do-correct")
    assert reaches(browser, "补正")

    # the kiosk says what is missing; the resident, identified by the card, sends the page again
    card = progress_card(ui, number)
    texts = ui.texts()
    assert "• 劳动合同或营业执照：不清晰" in texts and "工作人员说明：合同第一页反光，请重新拍摄" in texts
    press(ui, card.send_button)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "supplement", timeout=20, what="the supplement screen after the card")
    ui.wait(lambda: ui.screen.status == "", timeout=15, what="the applicant check")
    press(ui, ui.screen.ids.lines.children[0].ids.photograph)
    ui.wait(lambda: ui.screen.name == "supplement.camera", what="the camera screen")
    photograph(ui, camera, LEASE[1].key)
    ui.wait(lambda: ui.screen.name == "supplement", what="back to the supplement screen")
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "supplement.done", timeout=30, what="the supplement sent")
    reader.emulator.remove()
    ui.app.end_session("sent")
    ui.frames(3)

    # the clerk sees the new page arrive, accepts, reviews, decides and finishes
    browser.refresh()
    assert reaches(browser, "补正")
    assert "补正 提交于" in browser.page_source
    pages = browser.find_elements(By.CSS_SELECTOR, "img.page")
    assert len(pages) == 2 and all(browser.execute_script("return arguments[0].naturalWidth", p) > 0 for p in pages)
    click(browser, "do-accept")
    assert reaches(browser, "受理")
    click(browser, "do-review")
    assert reaches(browser, "审查")
    click(browser, "outcome-准予")
    click(browser, "do-decide")
    assert reaches(browser, "决定")
    Select(browser.find_element(By.ID, "collection")).select_by_visible_text("窗口领取")
    click(browser, "do-finish")
    assert reaches(browser, "办结")
    shot(browser, "workbench-application-done.png")

    card = progress_card(ui, number)
    assert f"✓ {ui.app.t('Within the time limit')}" in ui.texts()
    lines = [f"{row.children[-1].text} {row.stage}" for row in reversed(card.ids.stages.children)]
    assert lines == ["✓ Received", "✓ Materials to be completed", "✓ Materials to be completed",  # asked, sent
                     "✓ Accepted for handling", "✓ Under review", "✓ Decision made", "✓ Completed"], lines
    assert not hasattr(card, "send_button"), "nothing left to send"
