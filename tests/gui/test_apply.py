"""网上申办 on the real app against a running hall: the ID card on the card reader emulator ->
an online item -> its own form prefilled from the card, the phone typed on the on-screen keyboard ->
materials (the ID card, the rest brought to the window) -> review (masked), signed -> submitted
through the outbox -> 申办流水号 on screen and on the receipt in the
printer emulator (with the progress QR code) -> the application at the hall -> the rating prompt.
Also: bad input refused field by field; the hall down gives a LOCAL reference that the outbox
keeps and the progress screen finds; paper out shows the receipt's QR code; taking the card away
on the review screen ends the session; English + elderly mode."""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # voice prompts play into nothing
from testing.gui import (
    ONLY_PRINTER,
    HallProcess,
    assert_elderly_sizes,
    assert_readable,
    attach_printer,
    dead_hall_url,
    decode_qr,
    detach_printer,
    device,
    every_text,
    find_button,
    hall_client,
    hall_settings,
    open_tile,
    press,
    type_into,
    type_on_keyboard,
    widget_image,
)
from kiosk.forms import today_cst
from testing.applying import choose, field, fill, hand_in, sign

pytestmark = pytest.mark.gui
# the seed ID card "mainland" (fictional)
NAME, ID_NUMBER, ID_MASKED, NAME_MASKED = "张晓明", "430102199003075518", "4301**********5518", "张*明"
ADDRESS = "湖南省长沙市芙蓉区五一大道100号演示小区3栋2单元501室"
PHONE, PHONE_MASKED = "13912345678", "139****5678"
ITEM_CODE, ITEM_NAME = "GF00107001", "居住证申领"  # online, 10 working days
PROGRESS_URL = "https://zwfw.example.gov.cn/progress/{number}"
OFFLINE_WORDS = "暂时无法连接网上办事大厅。您的申请已保存在本机，联网后将自动提交，您无需再做任何操作。"


# the Chinese input dictionary, built once -------------------------------------------------------
# Every test has its own state dir (tests/conftest.py), and each apply_settings makes the app build
# the pinyin dictionary there in a child process on one of its 4 workers (screens/app.py,
# ime.ensure_cache). A few rebuilds of the services take every worker for tens of seconds, and
# the screens' hall calls wait behind them. So each test's state dir gets the cache up front.
# the hall and the app's settings ----------------------------------------------------------------
@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apply-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


def wait_for_catalogue(ui) -> None:
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=30, what="the catalogue")


@pytest.fixture
def online(ui, hall):
    """The hall and the printer (ONLY_PRINTER); the catalogue copied from the hall."""
    ui.app.apply_settings(hall_settings(hall.url, **ONLY_PRINTER))
    wait_for_catalogue(ui)
    printer = attach_printer(ui, timeout=40)
    yield printer
    detach_printer(ui, printer)


def identified(ui, source="idcard", address=ADDRESS):
    """The resident as the identify screen leaves them (for tests about what comes after)."""
    from screens.identify import ResidentIdentity
    ui.app.session.data["identity"] = ResidentIdentity(NAME, ID_NUMBER, source, address)


# driving the flow -------------------------------------------------------------------------------
def start(ui) -> None:
    open_tile(ui, "apply")
    press(ui, ui.screen.ids.start)


def item_rows(ui):
    from screens.apply import ApplyItemRow
    return [w for w in ui.screen.ids.list.walk(restrict=True) if isinstance(w, ApplyItemRow)]


def choose_item(ui, query: str, code: str = ITEM_CODE) -> None:
    ui.wait(lambda: ui.screen.name == "apply.item", timeout=15, what="the item list")
    listing = ui.screen.ids.list
    ui.wait(lambda: listing.data, timeout=15, what="the online items")
    everything = len(listing.data)
    type_into(ui, ui.screen.ids.search, query)
    ui.wait(lambda: 0 < len(listing.data) < everything and any(d["code"] == code for d in listing.data),
            timeout=15, what=f"{query!r} to find {code}")
    ui.frames(3)
    row = next(r for r in item_rows(ui) if r.code == code)
    press(ui, row)
    ui.wait(lambda: ui.screen.name == "apply.form", what="the form")


def fill_own_fields(ui) -> None:
    """居住证申领's own fields (the common ones, phone and address, are the tests')."""
    fill(ui, "residence_address", "青山县人民路8号3栋201室")
    fill(ui, "living_since", "20200101")
    choose(ui, "basis", "job")


def to_review(ui, own_fields: bool = True) -> None:
    """From the form: its own fields filled, Next; the ID card counts as that material when it was
    read, the rest are brought to the window; Next."""
    if own_fields:
        fill_own_fields(ui)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    ui.frames(3)
    by_card = ui.app.session.data["identity"].source == "idcard"
    hand_in(ui, "m1", "id_card" if by_card else "window")
    hand_in(ui, "m3", "window")
    hand_in(ui, "m4", "window")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.review", what="the review")
    ui.frames(3)


def submit(ui, timeout: float = 20) -> None:
    sign(ui)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "apply.done", timeout=timeout, what="the receipt screen")
    ui.frames(3)


# the tests --------------------------------------------------------------------------------------
def test_apply_with_the_id_card_end_to_end(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, card="none:", scanner="none:"))  # idcard + printer
    wait_for_catalogue(ui)
    printer = attach_printer(ui, timeout=40)
    reader = device(ui, "idcard", timeout=40)
    try:
        open_tile(ui, "apply")
        assert "在这里申办只需五步：" in ui.texts() and ui.screen.ids.start.text == "开始：识别身份"
        assert_readable(ui)
        press(ui, ui.screen.ids.start)
        ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
        reader.emulator.place("mainland")
        ui.wait(lambda: ui.screen.name == "apply.item", timeout=20, what="the item list after the card")
        listing = ui.screen.ids.list
        ui.wait(lambda: listing.data, timeout=15, what="the online items")
        catalog = ui.app.services.catalog
        online_codes = {i["code"] for i in catalog.items() if i.get("online")}
        assert len(online_codes) < len(catalog.items()), "the seed has items that are not online"
        assert {d["code"] for d in listing.data} == online_codes, "only items that can be applied for online"
        assert_readable(ui)
        choose_item(ui, "jzz")  # pinyin initials of 居住证
        form = ui.screen
        texts = ui.texts()
        assert ITEM_NAME in texts and f"申请人: {NAME_MASKED}  {ID_MASKED}" in texts
        assert field(ui, "address").value == ADDRESS, "prefilled from the ID card"
        assert field(ui, "phone").value == ""
        reader.emulator.remove()  # residents take the card back to copy the address from it
        ui.frames(20)
        assert ui.screen.name == "apply.form" and field(ui, "address").value == ADDRESS, "the form stays"
        reader.emulator.place("mainland")
        type_on_keyboard(ui, field(ui, "phone"), PHONE)  # the digits keypad comes up for it
        assert_readable(ui)
        to_review(ui)
        lines = ui.texts()
        for line in (f"事项: {ITEM_NAME}", f"姓名: {NAME_MASKED}", f"身份证号: {ID_MASKED}",
                     "联系地址: 湖南省长沙市********", f"联系电话: {PHONE_MASKED}",
                     "居民身份证: 本机已读取身份证", "居住证明: 带到服务窗口"):
            assert line in lines
        on_screen = " ".join(lines)
        for secret in (NAME, ID_NUMBER, PHONE, ADDRESS):
            assert secret not in on_screen
        assert ID_NUMBER not in every_text(ui), "the full ID number is on no screen at all"
        assert_readable(ui)
        submit(ui)
        done = ui.screen
        number = done.number
        assert re.fullmatch(r"SB\d{14}", number), number
        texts = ui.texts()
        assert "申办流水号" in texts and number in texts
        assert "请保存此号码，可在自助终端或网上查询办理进度。" in texts
        # the receipt
        assert printer.emulator.wait_for_jobs(1, timeout=15)
        job = printer.emulator.jobs[-1]
        assert "申办回执" in job.text and number in job.text and ITEM_NAME in job.text
        assert ID_MASKED in job.text and NAME_MASKED in job.text
        assert "请带到服务窗口：" in job.text and "· 居住证明" in job.text and "· 就业或就读证明" in job.text
        assert ID_NUMBER not in job.text and NAME not in job.text and PHONE not in job.text
        assert ID_NUMBER.encode() not in job.raw
        assert job.qr_codes == [PROGRESS_URL.format(number=number)]
        ui.wait(lambda: done.ids.receipt.printed, timeout=10, what="the printed status")
        assert "已打印，请取走凭条。" in ui.texts()
        # the hall has it, once, for this resident
        with hall_client(hall) as client:
            stored = client.get(f"/api/v1/applications/{number}").data
            mine = client.post("/api/v1/applications/lookup", {"id_number": ID_NUMBER}).data["items"]
        assert (stored["item_code"], stored["status"]) == (ITEM_CODE, "收件")
        assert stored["applicant"] == {"name_masked": NAME_MASKED, "id_masked": ID_MASKED}
        assert [a["number"] for a in mine] == [number]
        rows = [r for r in ui.app.services.store.outbox_rows() if r.kind == "application"]
        assert [(r.state, r.answer["number"]) for r in rows] == [("sent", number)]
        assert rows[0].payload is None, "the personal data left the outbox with the acknowledgement"
        assert_readable(ui)
        press(ui, done.ids.rate)
        ui.wait(lambda: ui.screen.name == "rating", what="the rating prompt")
        assert ui.app.session.data["rating_subject"] == {"kind": "application", "ref": number,
                                                         "proof": {"id_number": ID_NUMBER}}
        texts = " ".join(ui.texts())
        assert f"身份证号: {ID_MASKED}" in texts and ID_NUMBER not in texts, "the proof, masked"
        press(ui, find_button(ui, "5  非常满意"))
        press(ui, ui.screen.ids.submit)
        ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="the hall took the rating with its proof")
        # 返回 after a finished submission goes home, never back to a live 提交; the same form
        # sent again from its review is the same application on the hall
        press(ui, find_button(ui, "返回"))
        ui.wait(lambda: ui.screen.name == "home", what="home after the rating")
        ui.app.show("apply.review")
        ui.frames(2)
        press(ui, ui.screen.ids.submit)  # its pages went with the application: nothing new is sent
        ui.frames(30)
        assert ui.app.services.outbox.depth() == 0, "nothing queued a second time"
        with hall_client(hall) as client:
            mine = client.post("/api/v1/applications/lookup", {"id_number": ID_NUMBER}).data["items"]
        assert [a["number"] for a in mine] == [number], "one application on the hall"
    finally:
        reader.emulator.remove()
        detach_printer(ui, printer)


def test_taking_the_card_away_on_the_review_ends_the_session_and_submits_nothing(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, **{**ONLY_PRINTER, "idcard": "sim:", "printer": "none:"}))
    wait_for_catalogue(ui)
    reader = device(ui, "idcard", timeout=40)
    try:
        reader.emulator.place("mainland")
        identified(ui)  # as the identify screen leaves it (that part is in the end-to-end test)
        start(ui)
        choose_item(ui, "jzz")
        fill(ui, "phone", PHONE)
        to_review(ui)
        assert "此时取走身份证将结束本次服务。" in ui.texts()
        reader.emulator.remove()
        ui.wait(lambda: ui.screen.name == "attract", timeout=15, what="the session to end")
        assert ui.app.session.ended_by == "card removed"
        assert ui.app.services.outbox.depth() == 0 and ui.app.services.store.outbox_rows() == []
        ui.frames(3)
        shown = every_text(ui)
        for secret in (ID_MASKED, NAME_MASKED, PHONE, PHONE_MASKED, ADDRESS, "湖南省长沙市********"):
            assert secret not in shown
    finally:
        reader.emulator.remove()


def test_bad_input_is_refused_field_by_field_and_nothing_is_lost(ui, online):
    identified(ui, source="manual", address="")  # typed by hand: no address from a card
    start(ui)
    choose_item(ui, "jzz")
    form = ui.screen
    assert field(ui, "address").value == ""
    texts = " ".join(ui.texts())
    assert "已根据您的证件填写" not in texts and "请填写缺少的内容并核对。" in texts, "typed by hand: no card"
    fill(ui, "phone", "12345")
    fill(ui, "residence_address", "青山县")
    fill(ui, "living_since", "20991231")
    press(ui, form.ids.next)
    ui.frames(3)
    assert ui.screen.name == "apply.form"
    problems = {w.field["key"]: w.problem_text("zh") for w in form.widgets() if w.problem}
    assert problems == {
        "address": "请填写联系地址。",
        "phone": "联系电话：请填写手机号码（1 开头的 11 位数字）或固定电话，例如 0748-8220168。",
        "residence_address": "在本县居住地址太短：至少 5 个字。",
        "living_since": f"来本县居住日期：日期太晚（不晚于 {today_cst().isoformat()}）。",
        "basis": "请填写申领条件。"}
    shown = {w.field["key"]: w.ids.problem_label.text for w in form.widgets() if w.ids.problem_label.text}
    assert shown == problems, "each problem is shown by its field"
    assert form.problem == "Please correct the fields marked above."
    assert field(ui, "residence_address").value == "青山县" and field(ui, "phone").value == "12345", \
        "what was typed stays"
    assert ui.app.services.outbox.depth() == 0
    assert_readable(ui)
    fill(ui, "address", "长沙市芙蓉区五一大道8号")
    fill(ui, "phone", "0731-84123456")
    to_review(ui)
    assert "联系地址: 长沙市芙蓉区******" in ui.texts()
    assert ui.screen.ids.problem.text == ""
    assert not any("取走" in t for t in ui.texts()), "no card was used: nothing to take away"


def test_hall_down_gives_a_local_reference_that_the_outbox_keeps_and_progress_finds(ui, hall):
    # the terminal copied the catalogue while the hall was up; then the hall goes down
    ui.app.apply_settings(hall_settings(hall.url, **ONLY_PRINTER))
    wait_for_catalogue(ui)
    ui.app.apply_settings(hall_settings(dead_hall_url(), **ONLY_PRINTER))
    printer = attach_printer(ui, timeout=40)
    try:
        identified(ui)
        start(ui)
        choose_item(ui, "jzz")
        fill(ui, "phone", PHONE)
        to_review(ui)
        submit(ui, timeout=30)
        done = ui.screen
        ref = done.number
        assert re.fullmatch(r"LOCAL-[2-9A-HJKMNP-Z]{8}", ref), ref
        texts = ui.texts()
        assert "本机受理编号" in texts and ref in texts and OFFLINE_WORDS in texts
        assert "申办流水号" not in texts
        assert not done.can_rate and done.ids.rate.opacity == 0 and done.ids.rate.disabled, \
            "nothing to rate until the hall has it"
        row = ui.app.services.outbox.lookup(ref)
        assert row.state == "queued" and row.kind == "application" and row.attempts >= 1
        assert row.payload["item_code"] == ITEM_CODE and row.payload["applicant"]["phone"] == PHONE
        assert row.payload["form"]["address"] == ADDRESS
        assert printer.emulator.wait_for_jobs(1, timeout=15)
        job = printer.emulator.jobs[-1]
        assert ref in job.text and "本机受理编号" in job.text
        assert "联网后将自动提交" in job.text.replace("\n", "")
        assert job.qr_codes == [], "no progress link for an application the hall has not got"
        assert ID_NUMBER not in job.text
        assert_readable(ui)
        # the progress screen finds it on this terminal, still queued
        open_tile(ui, "progress")
        type_into(ui, ui.screen.ids.number.ids.input, ref)
        press(ui, ui.screen.ids.look_up)
        ui.wait(lambda: any(ref in t for t in ui.texts()), timeout=15, what="the local reference")
        note = next(t for t in ui.texts() if ref in t)
        assert note.splitlines() == [f"本机受理编号: {ref}", f"事项: {ITEM_NAME}",
                                     "已保存在本终端，网络恢复后将自动发送。"]
        assert ui.app.services.outbox.lookup(ref).state == "queued"
    finally:
        detach_printer(ui, printer)


def test_no_catalogue_yet_says_so(ui):
    ui.app.apply_settings(hall_settings(dead_hall_url(), **{k: "none:" for k in ONLY_PRINTER}))
    identified(ui)
    start(ui)
    ui.wait(lambda: ui.screen.name == "apply.item", what="the item list")
    ui.wait(lambda: "本终端暂时没有事项目录，请到服务窗口咨询。" in ui.texts(), timeout=15,
            what="the no-catalogue words")
    assert ui.screen.ids.list.data == []
    assert_readable(ui)


def test_paper_out_shows_the_receipt_as_a_qr_code(ui, online, tmp_path):
    online.emulator.set_fault("paper-out")
    identified(ui)
    start(ui)
    choose_item(ui, "jzz")
    fill(ui, "phone", PHONE)
    to_review(ui)
    submit(ui)
    number = ui.screen.number
    assert re.fullmatch(r"SB\d{14}", number)
    box = ui.screen.ids.receipt
    ui.wait(lambda: box.qr != "", timeout=15, what="the QR code instead of paper")
    texts = ui.texts()
    assert "打印机缺纸。" in texts and "凭条无法打印。" in texts
    assert online.emulator.jobs == []
    ui.frames(3)
    codes = decode_qr(widget_image(ui.screenshot(), box.ids.qr), tmp_path)
    assert codes == [PROGRESS_URL.format(number=number)]
    assert_readable(ui)


def test_english_and_elderly_mode_are_readable_through_the_flow(ui, online):
    identified(ui)
    ui.app.lang = "en"
    ui.app.elderly = True
    open_tile(ui, "apply")
    assert "Continue" == ui.screen.ids.start.text, "already identified"
    assert f"Identified: {NAME_MASKED}  {ID_MASKED}" in ui.texts()
    assert_readable(ui)
    assert_elderly_sizes(ui)
    press(ui, ui.screen.ids.start)
    choose_item(ui, "jzz")
    assert_readable(ui)
    assert_elderly_sizes(ui)
    fill(ui, "phone", PHONE)
    to_review(ui)
    texts = ui.texts()
    assert f"ID number: {ID_MASKED}" in texts and f"Contact phone: {PHONE_MASKED}" in texts
    assert_readable(ui)
    assert_elderly_sizes(ui)
    dp = ui.app.theme.scale
    assert ui.screen.ids.submit.height >= 60 * dp
    submit(ui)
    assert "Application number" in ui.texts()
    assert any(t.startswith("Keep this number") for t in ui.texts())
    assert_readable(ui)
    assert_elderly_sizes(ui)
    assert find_button(ui, "Rate this service").height >= 60 * dp
