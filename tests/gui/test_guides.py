"""办事指南 through the real app against a running hall: categories, search as you type with
pinyin initials, the RecycleView list, a guide with every field, its QR code read back from
the screen with zbar, a printed summary (printer emulator) and the paper-out fallback."""

from __future__ import annotations

import json
import threading

import pytest

from testing.gui import (HallProcess, assert_elderly_sizes, assert_readable, attach_printer, close_to,
                          dead_hall_url, detach_printer, decode_qr, hall_settings, pixel, widget_image)
from kiosk import paths
from kiosk.config import Settings
from screens.theme import NORMAL_PALETTE

pytestmark = pytest.mark.gui

SEED = json.loads((paths.SEED / "catalog.json").read_text(encoding="utf-8"))["items"]
BY_CODE = {item["code"]: item for item in SEED}


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guides-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


@pytest.fixture
def guides(ui, hall):
    """The app on the guides screen with the hall's catalogue copied to the terminal."""
    ui.app.apply_settings(hall_settings(hall.url))
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=60, what="catalogue copy")
    ui.app.show("home")
    ui.frames(3)
    tile = next(t for t in ui.screen.ids.tiles.children if t.service == "guides")
    ui.tap(tile)
    ui.wait(lambda: ui.screen.name == "guides" and ui.screen.settled, timeout=10,
            what=f"guide list {ui.screen.name} {getattr(ui.screen, '_answered', 0)} {getattr(ui.screen, 'status', 0)}")
    yield ui
    ui.app.apply_settings(Settings())


@pytest.fixture
def printer(guides):
    device = attach_printer(guides, timeout=40)
    yield device
    detach_printer(guides, device)


def rows(ui):
    return ui.screen.ids.results.data


def type_text(ui, widget, text):
    """Type as a hardware keyboard does: focus by touch, then text input events."""
    from kivy.core.window import Window
    ui.tap(widget)
    assert widget.focus
    for ch in text:
        Window.dispatch("on_textinput", ch)
        ui.frames(1)


def test_the_list_shows_the_whole_catalogue(guides):
    ui = guides
    assert sorted(r["code"] for r in rows(ui)) == sorted(BY_CODE)
    assert "共 143 项" in ui.texts()
    assert_readable(ui)
    shown = [w for w in ui.screen.ids.results.children[0].children if w.name]
    assert len(shown) >= 5, "the RecycleView draws rows"
    first = min(shown, key=lambda w: -w.y)
    top = BY_CODE[rows(ui)[0]["code"]]
    assert first.name == top["name"] and top["code"] in first.meta
    shot = ui.screenshot()
    assert close_to(pixel(shot, first, 0.5, 0.5), NORMAL_PALETTE.surface)


def test_search_as_you_type_with_pinyin_initials(guides):
    ui = guides
    type_text(ui, ui.screen.ids.search, "sfz")
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "sfz", what="search results")
    names = [r["name"] for r in rows(ui)]
    assert names and all("身份证" in n or "sfz" in n.lower() or "房" in n for n in names)
    assert "身份证" in names[0]
    assert f"共 {len(names)} 项" in ui.texts()
    type_text(ui, ui.screen.ids.search, "qqq")
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "sfzqqq", what="no results")
    assert rows(ui) == [] and "没有找到相关事项，请减少字数或换个分类试试。" in ui.texts()
    ui.tap(ui.screen.ids.clear_button)
    ui.wait(lambda: ui.screen.settled and len(rows(ui)) == len(SEED), what="all again")


def test_on_screen_keyboard_searches_pinyin_initials_then_chinese(guides):
    from screens.keyboard import DICTIONARY
    ui = guides
    ui.tap(ui.screen.ids.search)
    ui.wait(lambda: ui.screen.ids.dock.keyboard is not None, what="keyboard")
    keyboard = ui.screen.ids.dock.keyboard
    ui.wait(lambda: keyboard.parent is not None, what="keyboard")
    ui.wait(lambda: DICTIONARY.state == "ready", timeout=60, what="pinyin dictionary")
    for letter in "sfz":
        ui.tap(keyboard.key(letter))
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "sfz", what="initials search")
    assert ui.screen.ids.search.text == "" and "身份证" in rows(ui)[0]["name"]
    ui.wait(lambda: keyboard.candidate_buttons(), what="candidates")
    word = next(b for b in keyboard.candidate_buttons() if b.text == "身份证")
    ui.tap(word)
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "身份证", what="Chinese search")
    assert rows(ui) and all("身份证" in r["name"] for r in rows(ui)[:4])
    assert_readable(ui)
    ui.tap(keyboard.key("done"))
    ui.wait(lambda: keyboard.parent is None, what="keyboard hidden")


def test_chinese_search_and_debounce(guides):
    ui = guides
    asked = ui.screen.search.asked
    ui.screen.ids.search.text = "社"
    ui.screen.ids.search.text = "社保"
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "社保", what="results")
    assert ui.screen.search.asked == asked + 1, "typing fast asks the catalogue once"
    assert rows(ui) and all(BY_CODE[r["code"]] for r in rows(ui))


def test_categories_narrow_the_list(guides):
    ui = guides
    chip = next(c for c in ui.screen.ids.audiences.children if c.value == "法人")
    ui.tap(chip)
    ui.wait(lambda: ui.screen.settled and ui.screen.audience == "法人", what="法人 list")
    codes = [r["code"] for r in rows(ui)]
    expected = [i["code"] for i in ui.app.services.catalog.items() if "法人" in i["audience"]]
    assert codes == expected and 0 < len(codes) < len(SEED)
    assert chip.selected and ui.screen.ids.audiences.children[-1].selected is False
    ui.wait(lambda: ui.screen.filters, what="filters")
    dept = next(c for c in ui.screen.ids.departments.children if c.value == "SJ")
    ui.screen.ids.departments.parent.scroll_to(dept)
    ui.frames(5)
    ui.tap(dept)
    ui.wait(lambda: ui.screen.settled and ui.screen.department == "SJ", what="department list")
    assert [r["code"] for r in rows(ui)] == [
        i["code"] for i in ui.app.services.catalog.items()
        if "法人" in i["audience"] and i["department"]["code"] == "SJ"]
    theme = ui.screen.ids.themes.children[-2]  # the most used theme, after 全部主题
    ui.tap(theme)
    ui.wait(lambda: ui.screen.settled and ui.screen.theme == theme.value, what="theme list")
    assert all(theme.value in BY_CODE[r["code"]]["themes"] for r in rows(ui))


def test_a_search_looks_in_every_service_whatever_category_was_active(guides):
    ui = guides
    ui.wait(lambda: ui.screen.filters, what="filters")
    theme = next(c for c in ui.screen.ids.themes.children if c.value == "社会保障")
    ui.screen.ids.themes.parent.scroll_to(theme)
    ui.frames(5)
    ui.tap(theme)
    ui.wait(lambda: ui.screen.settled and ui.screen.theme == "社会保障", what="the 社会保障 list")
    assert not any("居民身份证" in r["name"] for r in rows(ui))
    ui.screen.ids.search.text = "身份证"
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "身份证" and rows(ui), what="results")
    names = [r["name"] for r in rows(ui)]
    assert "居民身份证首次申领" in names and "居民身份证丢失补领" in names
    assert ui.screen.theme == "" and ui.screen.ids.themes.children[-1].selected, "全部主题 shown chosen"
    # a category tapped while searching narrows the search
    ui.tap(theme)
    ui.wait(lambda: ui.screen.settled and ui.screen.theme == "社会保障", what="narrowed")
    assert all("社会保障" in BY_CODE[r["code"]]["themes"] for r in rows(ui)) and ui.screen.query == "身份证"


def _open_first_result(ui, query):
    ui.screen.ids.search.text = query
    ui.wait(lambda: ui.screen.settled and ui.screen.query == query and rows(ui), what="results")
    ui.frames(5)
    row = next(w for w in ui.screen.ids.results.children[0].children if w.code == rows(ui)[0]["code"])
    code = row.code
    ui.tap(row)
    ui.wait(lambda: ui.screen.name == "guides.detail" and ui.screen.item, what="guide page")
    ui.frames(5)
    return code


def test_the_guide_page_shows_every_field_and_a_qr_code_that_scans(guides, tmp_path):
    ui = guides
    code = _open_first_result(ui, "居民身份证首次申领")
    item = BY_CODE[code]
    text = "\n".join(ui.texts())
    expected = [item["name"], item["code"], item["type"], item["department"]["name"],
                item["agency"]["name"], item["agency"]["address"], item["conditions"],
                *[m["name"] for m in item["materials"]], *item["steps"], item["special_steps"],
                "法定时限：60 个工作日", "承诺时限：15 个工作日", item["fee"]["basis"],
                *item["legal_basis"], item["place"], item["hours"], "到现场次数：1",
                item["consult_phone"], "监督投诉电话：12345", "可网上办理：否",
                *[f["q"] for f in item["faq"]], "原件 x1"]
    for value in expected:
        assert value in text, value
    assert_readable(ui)
    shot = ui.screenshot()
    assert decode_qr(widget_image(shot, ui.screen.ids.qr), tmp_path) == [
        f"https://zwfw.example.gov.cn/item/{code}"]


def test_print_a_summary_and_paper_out_offers_the_qr_code(guides, printer):
    ui = guides
    emulator = printer.emulator
    before = len(emulator.jobs)
    code = _open_first_result(ui, "sfz")
    threads = []
    real_print = printer.print_receipt
    printer.print_receipt = lambda receipt: (threads.append(threading.current_thread().name),
                                             real_print(receipt))[1]
    try:
        ui.tap(ui.screen.ids.print_button)
        ui.wait(lambda: ui.screen.print_state == "printed", timeout=10, what="printed")
    finally:
        del printer.print_receipt
    # the printer's own thread: never beside the hub's status checks on the same link
    assert threads == ["device-printer"]
    assert emulator.wait_for_jobs(before + 1)
    job = emulator.jobs[before]
    assert BY_CODE[code]["name"] in job.text and job.qr_codes == [
        f"https://zwfw.example.gov.cn/item/{code}"]
    assert "已打印，请取走您的指南摘要。" in ui.texts()

    emulator.set_fault("paper-out")
    ui.tap(ui.screen.ids.print_button)
    ui.wait(lambda: ui.screen.print_state == "failed", timeout=10, what="paper-out message")
    assert "打印机缺纸。请改用手机扫描二维码。" in ui.texts()
    assert len(emulator.jobs) == before + 1
    assert_readable(ui)
    shot = ui.screenshot()
    assert close_to(pixel(shot, ui.screen.ids.print_message, 0.005, 0.5), NORMAL_PALETTE.warning)


def test_offline_the_local_copy_still_serves(guides):
    ui = guides
    ui.app.apply_settings(hall_settings(dead_hall_url()))
    ui.wait(lambda: ui.app.services.catalog.version is not None, what="local copy")
    ui.app.go_home()
    ui.app.open_service("guides")
    ui.screen.ids.search.text = "shebao"
    ui.wait(lambda: ui.screen.settled and ui.screen.query == "shebao" and rows(ui), what="results")
    assert any("社会保" in r["name"] or "社保" in r["name"] for r in rows(ui))


def test_no_copy_and_no_hall_says_so(ui):
    ui.app.apply_settings(hall_settings(dead_hall_url()))
    try:
        ui.app.show("home")
        ui.app.open_service("guides")
        ui.wait(lambda: ui.screen.settled, timeout=15, what="an answer")
        assert rows(ui) == []
        assert "本机暂无办事指南，请到服务窗口咨询。" in ui.texts()
        assert_readable(ui)
    finally:
        ui.app.apply_settings(Settings())


def test_the_list_fills_by_itself_when_the_hall_comes_up_after_the_terminal(ui, tmp_path):
    """A first start: the terminal is up before its hall; the catalogue refresh is tried again
    until the hall answers, and the list on screen redraws when the catalogue lands."""
    late = HallProcess(tmp_path / "late-hall.sqlite3", log_path=tmp_path / "late-hall.log")
    ui.app.apply_settings(hall_settings(late.url))
    try:
        ui.app.show("home")
        ui.app.open_service("guides")
        ui.wait(lambda: ui.screen.settled, timeout=15, what="an answer")
        assert rows(ui) == [] and "本机暂无办事指南，请到服务窗口咨询。" in ui.texts()
        late.start()
        ui.wait(lambda: len(rows(ui)) == len(SEED), timeout=40, what="the list, without a tap")
        # the filters are worked out in the background, beside the list: they may land after it
        ui.wait(lambda: len(ui.screen.ids.departments.children) > 1, timeout=10, what="the filters too")
        assert ui.screen.status == ""
    finally:
        ui.app.apply_settings(Settings())
        late.stop()


def test_english_and_elderly_mode(guides):
    ui = guides
    ui.tap(ui.screen.ids.bar.ids.language)
    ui.tap(ui.screen.ids.bar.ids.elderly)
    ui.wait(lambda: ui.screen.settled, what="relabelled list")
    ui.frames(5)
    texts = ui.texts()
    assert "Service guides" in texts and "Individuals" in texts and "143 guides" in texts
    assert any("Promised time limit: " in t for t in texts)
    assert_readable(ui)
    assert_elderly_sizes(ui)
    _open_first_result(ui, "sfz")
    assert "Print a summary" in ui.texts() and "Materials" in ui.texts()
    assert_readable(ui)
    assert_elderly_sizes(ui)
