"""办件进度 on the real app against a running hall: a 申办流水号 typed on the on-screen keyboard or
scanned from a receipt, the resident's own applications by ID card or e-ID, a LOCAL-... reference
looked up in this terminal's outbox (queued, then sent); each timeline in green / yellow / red with
words and a symbol; a malformed number, an unknown number and a hall that is down in plain words.

The hall's seed has a catalogue but no applications. The `seeded` fixture files five applications
for the seed ID card's holder through the hall's API, then ages them in the hall's database file
(status, timeline, submission and due dates), so each signal and each kind of timeline is there.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # voice prompts play into nothing
from testing.gui import (
    HallProcess,
    assert_elderly_sizes,
    assert_readable,
    close_to,
    dead_hall_url,
    device,
    every_text,
    hall_client,
    hall_settings,
    open_tile,
    pixel,
    press,
    type_into,
    type_on_keyboard,
)

from testing.workbench import StaffUser, staff_args

# the hall's own working-day arithmetic: the seeded signals must agree with it
from hall import clock

pytestmark = pytest.mark.gui
NAME, ID_NUMBER, ID_MASKED = "张晓明", "430102199003075518", "4301**********5518"  # seed card "mainland"
NAME_MASKED = "张*明"
NO_DEVICES = {"idcard": "none:", "card": "none:", "printer": "none:", "scanner": "none:", "camera": "none:"}
# key -> (item code, status, [(stage, working days after submission)], working days since submission)
SEEDS = {
    "green": ("GF00101002", "受理", [("收件", 0), ("受理", 1)], 2),               # 2 of 15 days used
    "yellow": ("GF00107001", "审查", [("收件", 0), ("受理", 1), ("审查", 3)], 8),  # 8 of 10: near due
    "red": ("QR00104001", "补正", [("收件", 0), ("补正", 2)], 7),                 # 5-day limit, 7 gone
    "done": ("XK00108001", "办结", [("收件", 0), ("受理", 1), ("审查", 2), ("决定", 3), ("办结", 3)], 9),
    "refused": ("GF00110001", "不予受理", [("收件", 0), ("不予受理", 0)], 4),
}
BANDS = {  # signal -> (symbol and words on screen, text colour, background)
    "green": ("✓ 在办理时限内", "#1B5E20", "#E3F2E5"),
    "yellow": ("! 临近办理时限", "#5C3B00", "#FFF4D6"),
    "red": ("× 已超过办理时限", "#8E1B1B", "#FDE7E7"),
}
NUMBER_PROBLEM = "请输入回执上的号码：申办流水号（SB 加 14 位数字）、12345 受理编号（RQ 加 14 位数字）或本机受理编号，如 LOCAL-AB23CD45。"
NOT_FOUND = "没有查到申请，请核对号码。"
HALL_DOWN = "暂时无法连接网上办事大厅，请稍后再试，或到服务窗口咨询。"


# the Chinese input dictionary, built once -------------------------------------------------------
# Every test has its own state dir (tests/conftest.py), and each apply_settings makes the app build
# the pinyin dictionary there in a child process on one of its 4 workers (screens/app.py,
# ime.ensure_cache). A few rebuilds of the services take every worker for tens of seconds, and
# the screens' hall look-ups wait behind them. So each test's state dir gets the cache up front.
# the hall and its applications ------------------------------------------------------------------
@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress-hall")
    staff, passwords = staff_args()  # the back office moves 12345 requests on
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log", args=staff, stdin=passwords).start()
    process.db_path = folder / "hall.sqlite3"
    yield process
    process.stop()


def working_days_back(today: date, count: int) -> date:
    """The day `count` working days before `today` (by the hall's calendar)."""
    day = today
    while clock.working_days_between(day, today) < count:
        day -= timedelta(days=1)
    return day


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=clock.CST)


@pytest.fixture(scope="module")
def seeded(hall) -> dict[str, dict]:
    """key -> the hall's answer for that application once aged (GET /applications/{number})."""
    numbers = {}
    with hall_client(hall) as client:
        for key, (code, *_rest) in SEEDS.items():
            numbers[key] = client.post("/api/v1/applications", {
                "item_code": code, "channel": "window", "form": {"note": key},
                "applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": "13800138000"}}).data["number"]
    today = clock.today()
    with sqlite3.connect(hall.db_path, timeout=30) as db:
        for key, (_code, status, stages, days_ago) in SEEDS.items():
            submitted = working_days_back(today, days_ago)
            limit = db.execute("SELECT limit_days FROM applications WHERE number = ?",
                               (numbers[key],)).fetchone()[0]
            timeline = [{"stage": stage, "at": at(clock.add_working_days(submitted, after), 10 + n)
                         .isoformat(timespec="seconds"), "note": ""}
                        for n, (stage, after) in enumerate(stages)]
            utc = at(submitted, 10).astimezone(UTC).replace(tzinfo=None)
            db.execute("UPDATE applications SET status = ?, timeline = ?, submitted_at = ?, due_date = ? "
                       "WHERE number = ?",
                       (status, json.dumps(timeline), utc.strftime("%Y-%m-%d %H:%M:%S.%f"),
                        clock.add_working_days(submitted, limit).isoformat(), numbers[key]))
    with hall_client(hall) as client:
        answers = {key: client.get(f"/api/v1/applications/{number}").data for key, number in numbers.items()}
    # the ageing worked: the hall itself now gives each application the signal the tests expect
    assert {key: a["signal"] for key, a in answers.items()} == {
        "green": "green", "yellow": "yellow", "red": "red", "done": "green", "refused": "green"}
    return answers


@pytest.fixture
def online(ui, hall, seeded):
    ui.app.apply_settings(hall_settings(hall.url, **NO_DEVICES))
    return seeded


# reading the screen -----------------------------------------------------------------------------
def cards(ui):
    from screens.progress import ApplicationCard
    return [w for w in reversed(ui.screen.ids.results.children) if isinstance(w, ApplicationCard)]


def stage_lines(card) -> list[str]:
    """Each timeline line as the resident sees it: symbol, then the words' first line."""
    return [f"{row.children[-1].text} {row.ids.words.text.splitlines()[0]}"
            for row in reversed(card.ids.stages.children)]


def wait_for_cards(ui, count: int = 1, timeout: float = 15.0):
    ui.wait(lambda: len(cards(ui)) >= count and not ui.screen.busy, timeout=timeout,
            what=f"{count} application(s) on screen")
    ui.frames(3)
    return cards(ui)


def type_number(ui, text: str) -> None:
    field = ui.screen.ids.number
    field.value = ""
    type_into(ui, field.ids.input, text)


def look_up(ui) -> None:
    press(ui, ui.screen.ids.look_up)


# the tests --------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["green", "yellow", "red"])
def test_typed_number_shows_the_timeline_with_colour_words_and_symbols(ui, online, key):
    application = online[key]
    open_tile(ui, "progress")
    assert_readable(ui)
    type_number(ui, application["number"])
    look_up(ui)
    (card,) = wait_for_cards(ui)
    texts = ui.texts()
    assert application["item_name"] in texts
    assert f"申办流水号: {application['number']}" in texts
    assert f"申请人: {NAME_MASKED}  {ID_MASKED}" in texts
    words, fg, bg = BANDS[key]
    band = card.ids.signal
    assert words in texts, "the signal is said in words, not only by colour"
    detail = f"办理时限 {application['limit_days']} 个工作日，{application['due_date']} 到期，" \
             f"已用 {application['elapsed_working_days']} 个工作日。"
    assert detail in texts
    image = ui.screenshot()
    assert close_to(pixel(image, band, 0.97, 0.5), bg), f"{key} band background"
    assert close_to(pixel(image, band, 2 / band.width, 0.5), fg), f"{key} band stripe"
    expected = {
        "green": ["✓ 收件 - 已完成", "● 受理 - 办理中", "○ 审查 - 未开始", "○ 决定 - 未开始", "○ 办结 - 未开始"],
        "yellow": ["✓ 收件 - 已完成", "✓ 受理 - 已完成", "● 审查 - 办理中", "○ 决定 - 未开始", "○ 办结 - 未开始"],
        "red": ["✓ 收件 - 已完成", "! 补正材料 - 需要您处理", "○ 受理 - 未开始", "○ 审查 - 未开始",
                "○ 决定 - 未开始", "○ 办结 - 未开始"],
    }[key]
    assert stage_lines(card) == expected
    received = application["timeline"][0]["at"][:16].replace("T", " ")
    assert any(t.startswith("收件 - 已完成\n") and t.endswith(received) for t in texts), "when it happened"
    assert ID_NUMBER not in every_text(ui) and NAME not in every_text(ui)
    assert_readable(ui)


def test_on_screen_keyboard_and_a_scanned_receipt_find_finished_and_refused_applications(ui, online):
    ui.app.apply_settings(hall_settings(ui.app.settings.hall.url, **{**NO_DEVICES, "scanner": "sim:"}))
    open_tile(ui, "progress")
    scanner = device(ui, "scanner", timeout=40)
    # typed on the on-screen keyboard, as a resident without a hardware keyboard does: "sb" in
    # lower case (the letters layout), then the digits
    field = ui.screen.ids.number.ids.input
    press(ui, field)
    ui.wait(lambda: field.focus, what="the number field's focus")
    keyboard = ui.screen.ids.dock.keyboard
    assert keyboard is not None and keyboard.parent is not None, "the on-screen keyboard is up"
    assert keyboard.layout == "letters"
    number = online["done"]["number"]
    for key in ("s", "b", "to:digits", *number[2:]):
        press(ui, keyboard.key(key), hold=0.08)
    assert ui.screen.ids.number.value == "sb" + number[2:]
    look_up(ui)
    (card,) = wait_for_cards(ui)
    assert ui.screen.ids.dock.keyboard.parent is None, "the keyboard makes way for the answer"
    assert stage_lines(card) == ["✓ 收件 - 已完成", "✓ 受理 - 已完成", "✓ 审查 - 已完成", "✓ 决定 - 已完成",
                                 "✓ 办结 - 已完成"], "a finished application has nothing still to come"
    assert "✓ 在办理时限内" in ui.texts()
    # a receipt's barcode under the scanner replaces what was there and looks it up at once
    refused = online["refused"]
    scanner.emulator.send(refused["number"])
    ui.wait(lambda: cards(ui) and refused["item_name"] in ui.texts(), timeout=15, what="the scanned one")
    (card,) = wait_for_cards(ui)
    assert ui.screen.ids.number.value == refused["number"]
    assert online["done"]["item_name"] not in ui.texts(), "the earlier answer is gone"
    assert stage_lines(card) == ["✓ 收件 - 已完成", "× 不予受理 - 不予受理"]
    assert "办理时限 1 个工作日" in " ".join(ui.texts())
    assert_readable(ui)


def test_a_second_look_up_replaces_the_number(ui, online):
    """The resident taps the field again after a look-up and types (or keys in) another number:
    it replaces the first, it is not added to its end."""
    open_tile(ui, "progress")
    first, second = online["green"], online["yellow"]
    type_into(ui, ui.screen.ids.number.ids.input, first["number"])
    look_up(ui)
    wait_for_cards(ui)
    type_into(ui, ui.screen.ids.number.ids.input, second["number"])
    assert ui.screen.ids.number.value == second["number"]
    look_up(ui)
    ui.wait(lambda: cards(ui) and second["item_name"] in ui.texts() and not ui.screen.busy, timeout=15,
            what="the second application")
    assert f"申办流水号: {second['number']}" in ui.texts() and ui.screen.ids.number.problem == ""
    keyboard_number = first["number"]
    type_on_keyboard(ui, ui.screen.ids.number, [*keyboard_number[:2].lower(), "to:digits", *keyboard_number[2:]])
    assert ui.screen.ids.number.value.upper() == keyboard_number, "on the on-screen keyboard too"


def test_by_id_card_lists_every_application_masked_and_taking_the_card_ends_the_session(ui, online):
    ui.app.apply_settings(hall_settings(ui.app.settings.hall.url, **{**NO_DEVICES, "idcard": "sim:"}))
    open_tile(ui, "progress")
    reader = device(ui, "idcard", timeout=40)
    press(ui, ui.screen.ids.mine)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    try:
        reader.emulator.place("mainland")
        ui.wait(lambda: ui.screen.name == "progress", timeout=15, what="back to progress after the card")
        found = wait_for_cards(ui, len(SEEDS))
        assert sorted(c.ids.number.text for c in found) == sorted(
            f"申办流水号: {a['number']}" for a in online.values())
        texts = ui.texts()
        for words, _fg, _bg in BANDS.values():
            assert words in texts
        assert texts.count(f"申请人: {NAME_MASKED}  {ID_MASKED}") == len(SEEDS)
        shown = every_text(ui)
        assert ID_NUMBER not in shown and NAME not in shown
        assert_readable(ui)
        reader.emulator.remove()
        ui.wait(lambda: ui.screen.name == "attract", timeout=15, what="the session to end on card removal")
        assert ui.app.session.ended_by == "card removed"
        ui.frames(3)
        shown = every_text(ui)
        for secret in (ID_MASKED, NAME_MASKED, online["red"]["number"], online["red"]["item_name"]):
            assert secret not in shown
    finally:
        reader.emulator.remove()


def test_e_id_scanned_on_the_progress_screen_looks_up_that_person(ui, online):
    ui.app.apply_settings(hall_settings(ui.app.settings.hall.url, **{**NO_DEVICES, "scanner": "sim:"}))
    open_tile(ui, "progress")
    scanner = device(ui, "scanner", timeout=40)
    scanner.emulator.send(f"EID1|{NAME}|{ID_NUMBER}|{int(time.time()) - 5}")
    ui.wait(lambda: "过期" in " ".join(ui.texts()), timeout=15, what="the expired-code message")
    assert cards(ui) == []
    scanner.emulator.send(f"EID1|{NAME}|{ID_NUMBER}|{int(time.time()) + 120}")
    found = wait_for_cards(ui, len(SEEDS))
    assert len(found) == len(SEEDS)
    assert ID_NUMBER not in every_text(ui)


def test_malformed_unknown_and_local_numbers_are_answered_in_plain_words(ui, online):
    open_tile(ui, "progress")
    screen = ui.screen
    type_number(ui, "SB123")
    look_up(ui)
    ui.frames(3)
    assert screen.ids.number.ids.problem.text == NUMBER_PROBLEM
    assert cards(ui) == [] and not screen.busy, "nothing is asked of the hall"
    assert screen.ids.number.value == "SB123", "what was typed stays"
    assert_readable(ui)
    type_number(ui, "SB19990101000000")  # the right shape, but the hall has no such application
    look_up(ui)
    ui.wait(lambda: NOT_FOUND in ui.texts(), timeout=15, what="the not-found words")
    assert screen.ids.number.ids.problem.text == "", "the shape problem is gone"
    assert cards(ui) == []
    type_number(ui, "local-zz99zz99")  # a local reference this terminal never gave out
    look_up(ui)
    ui.wait(lambda: "本终端没有这个本机受理编号的申请。" in ui.texts(), timeout=15, what="no such reference")
    assert_readable(ui)


def test_a_12345_ticket_shows_where_it_went_and_the_departments_reply(ui, online, hall):
    from screens.progress import RequestCard
    with hall_client(hall) as client:
        ticket = client.post("/api/v1/requests", {"type": "投诉", "content": "人民路路灯连续三晚不亮",
                                                  "phone": "13700001111"}).data["ticket"]
    dispatcher, clerk = StaffUser(hall.url, "dispatcher"), StaffUser(hall.url, "ga-clerk")
    assert dispatcher.post(f"/workbench/requests/{ticket}/dispatch", {"department": "GA"}).status_code == 303
    assert clerk.post(f"/workbench/requests/{ticket}/handle", {}).status_code == 303
    assert clerk.post(f"/workbench/requests/{ticket}/reply", {"note": "路灯线路已于当日修复"}).status_code == 303
    open_tile(ui, "progress")
    type_number(ui, ticket)
    look_up(ui)
    ui.wait(lambda: any(isinstance(w, RequestCard) for w in ui.screen.ids.results.children) and not ui.screen.busy,
            timeout=15, what="the request on screen")
    ui.frames(3)
    texts = ui.texts()
    for words in ("12345 投诉", f"受理编号: {ticket}", "办理机构: 青山县公安局", "答复: 路灯线路已于当日修复"):
        assert words in texts
    (card,) = [w for w in ui.screen.ids.results.children if isinstance(w, RequestCard)]
    assert stage_lines(card) == ["✓ 12345 已受理 - 已完成", "✓ 已派至承办部门 - 已完成", "✓ 承办部门办理 - 已完成",
                                 "✓ 已答复 - 已完成", "○ 已办结 - 未开始"]
    assert "13700001111" not in every_text(ui)
    assert_readable(ui)
    type_number(ui, "RQ19990101000000")
    look_up(ui)
    ui.wait(lambda: "没有查到 12345 工单，请核对号码。" in ui.texts(), timeout=15, what="no such ticket")


def test_hall_down_is_said_in_plain_words(ui, online):
    ui.app.apply_settings(hall_settings(dead_hall_url(), **NO_DEVICES))
    open_tile(ui, "progress")
    type_number(ui, online["green"]["number"])
    look_up(ui)
    ui.wait(lambda: HALL_DOWN in ui.texts(), timeout=20, what="the hall-down message")
    assert cards(ui) == [] and not ui.screen.busy
    assert "正在查询……" not in ui.texts()
    assert_readable(ui)


def test_too_many_look_ups_are_said_in_plain_words(ui, tmp_path):
    """The hall limits look-ups per terminal (hall/limits.py: 429 with Retry-After); the
    resident hears that, and when to try again, not that the hall cannot be reached."""
    strict = HallProcess(tmp_path / "strict-hall.sqlite3", log_path=tmp_path / "strict-hall.log",
                         env={"HALL_LOOKUP_LIMIT_TERMINAL": "2/600"}).start()
    try:
        ui.app.apply_settings(hall_settings(strict.url, **NO_DEVICES))
        open_tile(ui, "progress")
        for _ in range(2):
            type_number(ui, "SB19990101000000")
            look_up(ui)
            ui.wait(lambda: NOT_FOUND in ui.texts(), timeout=15, what="the not-found words")
        type_number(ui, "SB19990101000001")
        look_up(ui)
        ui.wait(lambda: not ui.screen.busy and ui.screen.problem, timeout=15, what="an answer")
        wait = re.search(r"刚才的查询次数过多，请 (\d+) 分钟后再试", " ".join(ui.texts()))
        assert wait and 1 <= int(wait.group(1)) <= 10, "when to try again, from the hall's Retry-After"
        assert HALL_DOWN not in ui.texts() and cards(ui) == []
        assert_readable(ui)
    finally:
        strict.stop()


def test_local_reference_says_queued_then_shows_the_halls_number_once_sent(ui, online, hall):
    # the terminal has its copy of the catalogue (it names the item), then the hall goes down and
    # a resident's application is saved in the outbox
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=40, what="the catalogue")
    ui.app.apply_settings(hall_settings(dead_hall_url(), **NO_DEVICES))
    ref = ui.app.services.outbox.submit("application", {
        "item_code": "GF00204001", "channel": "kiosk", "form": {"address": "湖南省长沙市芙蓉区"},
        "applicant": {"name": "王小明", "id_number": "110105199207074562", "phone": "13912345678"}})
    open_tile(ui, "progress")
    type_number(ui, ref.lower())  # typed as the letters keyboard gives it: in lower case
    look_up(ui)
    ui.wait(lambda: any(ref in t for t in ui.texts()), timeout=15, what="the local reference")
    note = next(t for t in ui.texts() if ref in t)
    assert note.splitlines() == [f"本机受理编号: {ref}", "事项: 城乡居民基本养老保险参保登记",
                                 "已保存在本终端，网络恢复后将自动发送。"]
    assert cards(ui) == []
    assert_readable(ui)
    # the hall is back: the outbox sends it, and the same reference now leads to the hall's number
    ui.app.apply_settings(hall_settings(hall.url, **NO_DEVICES))
    outbox = ui.app.services.outbox
    ui.wait(lambda: outbox.lookup(ref).state == "sent", timeout=30, what="the outbox to send it")
    number = outbox.lookup(ref).answer["number"]
    open_tile(ui, "progress")
    type_number(ui, ref)
    look_up(ui)
    (card,) = wait_for_cards(ui)
    note = next(t for t in ui.texts() if ref in t)
    assert f"已发送到网上办事大厅。申办流水号：{number}" in note.splitlines()
    assert card.ids.number.text == f"申办流水号: {number}"
    assert stage_lines(card)[:2] == ["● 收件 - 办理中", "○ 受理 - 未开始"]
    assert "110105199207074562" not in every_text(ui)
    with hall_client(hall) as client:
        assert client.get(f"/api/v1/applications/{number}").data["item_code"] == "GF00204001"


def test_english_and_elderly_mode_show_a_readable_timeline(ui, online):
    ui.app.lang = "en"
    ui.app.elderly = True
    open_tile(ui, "progress")
    assert_readable(ui)
    assert_elderly_sizes(ui)
    type_number(ui, online["yellow"]["number"])
    look_up(ui)
    (card,) = wait_for_cards(ui)
    texts = ui.texts()
    assert "! Close to the time limit" in texts
    assert stage_lines(card) == ["✓ Received - done", "✓ Accepted for handling - done",
                                 "● Under review - in progress", "○ Decision made - not yet",
                                 "○ Completed - not yet"]
    assert f"Application number: {online['yellow']['number']}" in texts
    assert_readable(ui)
    assert_elderly_sizes(ui)
    dp = ui.app.theme.scale
    for button in (ui.screen.ids.look_up, ui.screen.ids.mine):
        assert button.height >= 60 * dp and button.width >= 60 * dp
