"""补交材料 on the real app against a running hall: a clerk (over the workbench's HTTP forms) asks for
补正; the resident looks the application up in 办件进度 and reads what is missing in plain words,
taps 补交材料, places the ID card (the emulated reader), photographs the missing page with the sim:
document camera and sends it through the outbox; the hall then holds the page, the timeline says
it came, and the clerk can accept. A card that is not the applicant's is refused in plain words."""

from __future__ import annotations

import logging
import os
import sqlite3

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from hardware.camera import scene
from testing.gui import (HallProcess, TERMINAL_ID, TERMINAL_SECRET, assert_elderly_sizes, assert_readable, device,
                         hall_settings, open_tile, press, type_into)
from testing.hall import Client, Sign
from testing.materials import page_jpeg, tagged
from testing.supplementing import accept, ask_for_supplement
from testing.workbench import staff_args, submit

pytestmark = pytest.mark.gui
ITEM = "GF00208001"  # 就业登记 (department RS): m1 居民身份证, m2 劳动合同或营业执照
CARD_HOLDER = {"name": "张晓明", "id_number": "430102199003075518", "phone": "13912345678"}  # seed card "mainland"
SOMEONE_ELSE = {"name": "刘桂兰", "id_number": "640104195011200028", "phone": "13912345679"}
LEASE = [d for d in scene.DOCUMENTS if d.key.startswith("lease")]


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("supplement-hall")
    args, passwords = staff_args()
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log", args=args, stdin=passwords).start()
    yield process
    process.stop()


@pytest.fixture
def devices(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, card="none:", scanner="none:", printer="none:"))
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=30, what="the catalogue")
    reader = device(ui, "idcard", timeout=40)
    camera = device(ui, "camera", timeout=40)
    yield reader, camera
    reader.emulator.remove()
    camera.emulator.clear()
    camera.emulator.show(1)


def in_correction(hall, who, tag) -> tuple[str, object]:
    """An application of `who` (filed by the terminal), moved to 补正 by the RS clerk: the
    contract (m2) is missing. (its number, the clerk)"""
    terminal = Client(hall.url, Sign(TERMINAL_ID, TERMINAL_SECRET))
    number = submit(terminal, tagged(page_jpeg(2), tag), item=ITEM, who=who, tag=tag)["number"]
    clerk = ask_for_supplement(hall.url, number, {"m2": "缺少"}, note="请补交盖章的劳动合同", clerk="rs-clerk")
    return number, clerk


def look_up(ui, number) -> object:
    open_tile(ui, "progress")
    type_into(ui, ui.screen.ids.number.ids.input, number)
    press(ui, ui.screen.ids.look_up)
    ui.wait(lambda: len(ui.screen.ids.results.children) == 1, timeout=15, what="the application")
    ui.frames(3)
    return ui.screen.ids.results.children[0]


def supplement_rows(hall, number):
    with sqlite3.connect(hall.db_path) as db:
        return db.execute("SELECT f.field FROM application_files f JOIN applications a ON a.id = f.application_id "
                          "WHERE a.number = ? AND f.field LIKE 'supplement.%' ORDER BY f.id", (number,)).fetchall()


def test_the_resident_reads_what_is_missing_and_sends_the_page(ui, devices, hall, caplog):
    caplog.set_level(logging.DEBUG)
    reader, camera = devices
    number, clerk = in_correction(hall, CARD_HOLDER, "gui supplement")
    card = look_up(ui, number)
    texts = ui.texts()
    assert "工作人员请您补交以下材料：" in texts and "• 劳动合同或营业执照：缺少" in texts
    assert "工作人员说明：请补交盖章的劳动合同" in texts and "补正材料 - 需要您处理" in " ".join(texts)
    assert_readable(ui)
    press(ui, card.send_button)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "supplement", timeout=20, what="the supplement screen after the card")
    ui.wait(lambda: ui.screen.status == "", timeout=15, what="the applicant check")
    assert not ui.screen.not_applicant and ui.screen.ids.submit.disabled, "nothing photographed yet"
    assert "劳动合同或营业执照：缺少" in ui.texts() and "尚未拍摄" in ui.texts()
    row = ui.screen.ids.lines.children[0]
    press(ui, row.ids.photograph)
    ui.wait(lambda: ui.screen.name == "supplement.camera", what="the camera screen")
    assert ui.screen.material_name == "劳动合同或营业执照" and ui.screen.ids.bring.disabled
    camera.emulator.show(LEASE[0].key)
    ui.wait(lambda: ui.screen.ids.preview.found, timeout=15, what="the page outline")
    press(ui, ui.screen.ids.take)
    ui.wait(lambda: not ui.screen.busy and len(ui.screen.ids.thumbs.children) == 1, timeout=20, what="the page")
    press(ui, ui.screen.ids.done)
    ui.wait(lambda: ui.screen.name == "supplement", what="back to the supplement screen")
    ui.frames(3)
    assert "已拍摄 1 页" in ui.texts() and not ui.screen.ids.submit.disabled
    assert_readable(ui)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "supplement.done", timeout=30, what="the done screen")
    ui.frames(3)
    assert ui.screen.number == number
    assert "您的补正材料已提交到网上办事大厅，工作人员将尽快查看。您可凭申办流水号在本机查询办件进度。" in ui.texts()
    assert_readable(ui)

    assert supplement_rows(hall, number) == [("supplement.1.m2.pages.0",)]
    page = clerk.get(f"/workbench/applications/{number}").text
    assert "补正 提交于" in page and "已补交材料：劳动合同或营业执照（1页）" in page
    from screens.supplement import SESSION_FILES
    assert not ui.app.session.data[SESSION_FILES].pages, "the pages are the outbox's now"
    # the progress now says the pages came; the clerk accepts
    card = look_up(ui, number)
    assert any(t.startswith("已于 ") and t.endswith("补交材料，工作人员将尽快查看。") for t in ui.texts())
    accept(clerk, number)
    card = look_up(ui, number)
    assert "工作人员请您补交以下材料：" not in ui.texts() and not hasattr(card, "send_button")
    ui.app.end_session("test done")
    ui.frames(3)
    assert SESSION_FILES not in ui.app.session.data
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert CARD_HOLDER["id_number"] not in logged and CARD_HOLDER["id_number"] not in hall.log_path.read_text()


def test_a_card_that_is_not_the_applicants_is_refused_in_plain_words(ui, devices, hall):
    reader, _camera = devices
    number, _clerk = in_correction(hall, SOMEONE_ELSE, "gui not theirs")
    card = look_up(ui, number)
    press(ui, card.send_button)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "supplement", timeout=20, what="the supplement screen after the card")
    ui.wait(lambda: ui.screen.not_applicant, timeout=15, what="the refusal")
    assert ("此身份证不是本件申请人的身份证。只有申请人本人可以补交材料，如有疑问请到服务窗口咨询。"
            in ui.texts())
    assert ui.screen.ids.submit.disabled
    assert supplement_rows(hall, number) == []


def test_english_and_elderly_mode_on_the_missing_list(ui, devices, hall):
    number, _clerk = in_correction(hall, CARD_HOLDER, "gui english")
    ui.app.lang, ui.app.elderly = "en", True
    look_up(ui, number)
    texts = ui.texts()
    assert "The clerk asks you to send these materials again:" in texts
    assert "• Employment contract or business licence: Missing" in texts
    assert "Send the missing pages" in texts
    assert_readable(ui)
    assert_elderly_sizes(ui)


def test_pages_sent_while_the_hall_is_down_are_saved_and_delivered_once_it_is_back(ui, devices, hall):
    reader, camera = devices
    number, _clerk = in_correction(hall, CARD_HOLDER, "gui hall down")
    card = look_up(ui, number)
    press(ui, card.send_button)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "supplement", timeout=20, what="the supplement screen after the card")
    ui.wait(lambda: ui.screen.status == "", timeout=15, what="the applicant check")
    press(ui, ui.screen.ids.lines.children[0].ids.photograph)
    ui.wait(lambda: ui.screen.name == "supplement.camera", what="the camera screen")
    camera.emulator.show(LEASE[1].key)
    ui.wait(lambda: ui.screen.ids.preview.found, timeout=15, what="the page outline")
    press(ui, ui.screen.ids.take)
    ui.wait(lambda: not ui.screen.busy and len(ui.screen.ids.thumbs.children) == 1, timeout=20, what="the page")
    press(ui, ui.screen.ids.done)
    ui.wait(lambda: ui.screen.name == "supplement", what="back to the supplement screen")
    hall.stop()
    try:
        press(ui, ui.screen.ids.submit)
        ui.wait(lambda: ui.screen.name == "supplement.done", timeout=30, what="the done screen")
        ui.frames(3)
        assert "暂时无法连接网上办事大厅。您的补正材料已保存在本终端，将自动提交，送达后工作人员会尽快查看。" in ui.texts()
        assert ui.app.services.outbox.depth() == 1
    finally:
        hall.start()
    ui.wait(lambda: supplement_rows(hall, number) == [("supplement.1.m2.pages.0",)], timeout=90,
            what="the outbox to deliver the page")
    ui.wait(lambda: ui.app.services.outbox.depth() == 0, timeout=10, what="the outbox to empty")
    assert supplement_rows(hall, number) == [("supplement.1.m2.pages.0",)], "delivered once"
