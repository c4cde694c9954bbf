"""The on-screen keyboard in the real app: a ModalView over the current screen holding a
TextInput and the keyboard, driven by taps; the text field and the pixels are checked."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from testing.gui import assert_readable, close_to, pixel

from screens.theme import ELDERLY_PALETTE, NORMAL_PALETTE

pytestmark = pytest.mark.gui

ID_NUMBER = "11010519491231002X"


class Mounted:
    def __init__(self, ui, **options):
        from kivy.uix.boxlayout import BoxLayout
        from kivy.uix.modalview import ModalView
        from kivy.uix.textinput import TextInput
        from kivy.uix.widget import Widget

        from screens.keyboard import OnScreenKeyboard

        self.ui = ui
        theme = ui.app.theme
        self.field = TextInput(font_name="KioskFont", font_size=theme.heading, multiline=False,
                               size_hint_y=None, height=theme.target * 1.5)
        self.keyboard = OnScreenKeyboard(target=self.field, **options)
        self.done = []
        self.keyboard.bind(on_done=lambda *_: self.done.append(True))
        box = BoxLayout(orientation="vertical", padding=theme.pad, spacing=theme.pad)
        box.add_widget(Widget())
        box.add_widget(self.field)
        box.add_widget(self.keyboard)
        self.view = ModalView(auto_dismiss=False, overlay_color=(0, 0, 0, 0.3),
                              background_color=(0, 0, 0, 0))
        self.view.add_widget(box)
        self.view.open(animation=False)
        ui.frames(5)

    def tap_keys(self, keys):
        for key in keys:
            self.ui.tap(self.keyboard.key(key))

    def candidates(self):
        return [b.text for b in self.keyboard.candidate_buttons()]

    def close(self):
        self.view.dismiss(animation=False)
        self.ui.frames(3)


@pytest.fixture
def mount(ui):
    mounted = []

    def make(**options):
        mounted.append(Mounted(ui, **options))
        return mounted[-1]

    yield make
    for m in mounted:
        m.close()
    ui.app.elderly = False
    ui.app.lang = "zh"
    ui.frames(2)


def wait_for_dictionary(ui):
    from screens.keyboard import DICTIONARY
    ui.wait(lambda: DICTIONARY.state == "ready", timeout=180, what="pinyin dictionary")


def key_box_colours(shot, widget) -> int:
    box = shot.crop((int(widget.x) + 4, int(shot.height - widget.top) + 4,
                     int(widget.right) - 4, int(shot.height - widget.y) - 4))
    return len(box.getcolors(1 << 20))


def test_pinyin_initials_then_first_candidate_types_the_word(ui, mount):
    m = mount(layout="pinyin")
    wait_for_dictionary(ui)
    m.tap_keys("sfz")
    ui.frames(2)
    assert m.keyboard.ids.preedit.text == "sfz"
    assert m.candidates()[0] == "身份证"
    assert m.field.text == ""
    assert_readable(ui)
    shot = ui.screenshot()
    first = m.keyboard.candidate_buttons()[0]
    assert close_to(pixel(shot, first, 0.5, 0.06), "#FFFFFF")  # the candidate's box is drawn
    assert key_box_colours(shot, first) > 8  # and its characters are
    assert key_box_colours(shot, m.keyboard.ids.preedit) > 4
    ui.tap(first)
    assert m.field.text == "身份证"
    assert m.keyboard.ids.preedit.text == "" and m.candidates() == []


def test_choosing_part_of_the_pinyin_keeps_the_rest(ui, mount):
    m = mount(layout="pinyin")
    wait_for_dictionary(ui)
    m.tap_keys("shenfenzheng")
    assert m.candidates()[0] == "身份证"
    ui.tap(next(b for b in m.keyboard.candidate_buttons() if b.text == "身份"))
    assert m.field.text == "身份" and m.keyboard.preedit == "zheng"
    rest = m.candidates()[0]
    ui.tap(m.keyboard.key("space"))  # space takes the first candidate
    assert m.field.text == "身份" + rest and m.keyboard.preedit == ""
    m.tap_keys(["delete"])  # no letters pending: delete removes text
    assert m.field.text == "身份"
    m.tap_keys(["z", "h", "delete"])  # letters pending: delete removes a letter
    assert m.keyboard.preedit == "z" and m.field.text == "身份"
    m.tap_keys(["done"])  # letters not turned into Chinese are kept as they are
    assert m.field.text == "身份z" and m.done


def test_candidate_pages(ui, mount):
    m = mount(layout="pinyin")
    wait_for_dictionary(ui)
    m.tap_keys("shi")
    first_page = m.candidates()
    assert m.keyboard.ids.prev.disabled and not m.keyboard.ids.next.disabled
    ui.tap(m.keyboard.ids.next)
    second_page = m.candidates()
    assert second_page and not set(first_page) & set(second_page)
    assert not m.keyboard.ids.prev.disabled
    ui.tap(m.keyboard.ids.prev)
    assert m.candidates() == first_page
    bar = m.keyboard.ids.candidates
    assert sum(b.width for b in m.keyboard.candidate_buttons()) <= bar.width + 1


def test_pinyin_layout_says_loading_until_the_dictionary_is_ready(ui, mount, monkeypatch):
    import screens.keyboard as keyboard_module
    from screens.keyboard import DictionaryLoader
    wait_for_dictionary(ui)
    real = keyboard_module.DICTIONARY.dictionary
    pending = DictionaryLoader()
    pending.state = "loading"
    monkeypatch.setattr(keyboard_module, "DICTIONARY", pending)
    m = mount(layout="pinyin")
    assert "正在加载中文输入法…" in m.keyboard.ids.preedit.text
    m.tap_keys("sfz")  # typing goes on while it loads
    assert m.keyboard.preedit == "sfz" and m.candidates() == []
    pending.dictionary = real
    pending.state = "ready"
    ui.frames(2)
    assert m.keyboard.ids.preedit.text == "sfz" and m.candidates()[0] == "身份证"
    pending.state = "failed"
    ui.frames(2)
    assert "中文输入暂不可用" in m.keyboard.ids.preedit.text
    m.tap_keys(["done"])
    assert m.field.text == "sfz"


def test_digits_with_a_letters_toggle(ui, mount):
    m = mount(layout="digits", layouts=["digits", "letters"])
    assert m.keyboard.ids.bar.parent is None  # no candidate bar outside pinyin
    m.tap_keys("138")
    assert m.field.text == "138"
    m.tap_keys(["delete"])
    assert m.field.text == "13"
    assert m.keyboard.key("to:back").text == "ABC"
    m.tap_keys(["to:back"])
    assert m.keyboard.layout == "letters"
    assert "拼音" not in ui.texts(m.view), "pinyin is not among this field's layouts"
    m.tap_keys(["shift"])
    assert m.keyboard.key("a").text == "A"
    m.tap_keys(["a", "shift", "b", "space"])
    assert m.field.text == "13Ab "
    assert_readable(ui)
    m.tap_keys(["to:digits", "clear"])
    assert m.keyboard.layout == "digits" and m.field.text == ""
    m.tap_keys(["9", "done"])
    assert m.field.text == "9" and m.done


def test_id_number_layout_types_x_and_logs_nothing(ui, mount, caplog):
    m = mount(layout="idnumber", layouts=["idnumber"])
    assert {b.key for b in m.keyboard.key_buttons()} == set("0123456789X") | {"delete", "clear", "done"}
    with caplog.at_level(logging.DEBUG):
        m.tap_keys(ID_NUMBER)
        m.tap_keys(["done"])
    assert m.field.text == ID_NUMBER
    assert ID_NUMBER not in caplog.text and "110105" not in caplog.text
    for path in Path(ui.app.settings.state_dir()).rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert b"110105" not in path.read_bytes(), path


def test_hardware_keyboard_keeps_typing_into_the_field(ui, mount):
    from kivy.core.window import Window
    m = mount(layout="letters")
    ui.tap(m.field)
    ui.wait(lambda: m.field.focus, what="focus")
    m.tap_keys("ab")
    assert m.field.focus, "touching the on-screen keys must not take the focus away"
    Window.dispatch("on_textinput", "c")
    ui.frames(2)
    assert m.field.text == "abc"
    m.tap_keys(["done"])
    assert not m.field.focus


def test_labels_follow_the_language(ui, mount):
    m = mount(layout="letters")
    assert {"完成", "删除", "空格", "清除", "大写", "拼音", "123"} <= set(ui.texts(m.view))
    ui.app.lang = "en"
    ui.frames(3)
    assert {"Done", "Delete", "Space", "Clear", "Caps", "Pinyin", "123"} <= set(ui.texts(m.view))
    assert_readable(ui)


def test_elderly_mode_has_bigger_keys_that_are_drawn(ui, mount):
    dp = ui.app.theme.scale
    normal = mount(layout="pinyin")
    normal_height = normal.keyboard.key("q").height
    assert normal_height >= 60 * dp
    normal.close()
    ui.app.elderly = True
    ui.frames(3)
    m = mount(layout="pinyin")
    wait_for_dictionary(ui)
    m.tap_keys("zhang")
    assert "张" in m.candidates()[:3]
    from kivy.uix.behaviors import ButtonBehavior
    buttons = [w for w in m.view.walk(restrict=True) if isinstance(w, ButtonBehavior)]
    assert len(buttons) > 30
    for b in buttons:
        assert b.width >= 60 * dp and b.height >= 60 * dp, f"{b.text!r} is {b.width}x{b.height}"
    assert m.keyboard.key("q").height > normal_height
    assert_readable(ui)
    shot = ui.screenshot()
    q, done = m.keyboard.key("q"), m.keyboard.key("done")
    assert close_to(pixel(shot, q, 0.3, 0.2), "#FFFFFF")
    assert close_to(pixel(shot, done, 0.1, 0.2), ELDERLY_PALETTE.accent)
    gap = q.to_window(q.right + 2, q.center_y)
    assert close_to(shot.getpixel((int(gap[0]), shot.height - 1 - int(gap[1]))), "#D5DCE6")
    for key in (q, done, m.keyboard.candidate_buttons()[0]):
        assert key_box_colours(shot, key) > 8, f"{key.text!r} shows no text"


def test_gallery(ui, mount, tmp_path):
    """The keyboard in zh and en, normal and elderly, saved as PNG (KEYBOARD_SHOTS=dir keeps them)."""
    out = Path(os.environ.get("KEYBOARD_SHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    wait_for_dictionary(ui)
    for elderly in (False, True):
        for lang in ("zh", "en"):
            ui.app.elderly, ui.app.lang = elderly, lang
            ui.frames(3)
            for layout, keys in (("pinyin", "sfz"), ("letters", ""), ("digits", ""), ("idnumber", "")):
                m = mount(layout=layout)
                m.tap_keys(keys)
                assert_readable(ui)
                shot = ui.screenshot()
                accent = (ELDERLY_PALETTE if elderly else NORMAL_PALETTE).accent
                assert close_to(pixel(shot, m.keyboard.key("done"), 0.1, 0.2), accent)
                shot.save(out / f"keyboard-{layout}-{lang}-{'elderly' if elderly else 'normal'}.png")
                m.close()
    assert len(list(out.glob("keyboard-*.png"))) == 16


def letter_keys(keyboard):
    return {b.key: b for b in keyboard.key_buttons() if len(b.key) == 1 and b.key.isalpha()}


@pytest.mark.parametrize("layout,elderly", [("letters", False), ("letters", True), ("pinyin", True)])
def test_letter_rows_line_up_and_a_tap_on_z_is_z(ui, mount, layout, elderly):
    ui.app.elderly = elderly
    ui.frames(3)
    m = mount(layout=layout)
    keys = letter_keys(m.keyboard)
    widths = {round(b.width) for b in keys.values()}
    # equal but for the rows' spacing, shared among more or fewer keys and gaps
    assert max(widths) - min(widths) <= 0.05 * max(widths), f"letter keys of unequal widths: {widths}"
    width = keys["q"].width
    # each row half a key (or so) to the right of the one above, as on a real keyboard
    assert abs(keys["a"].center_x - (keys["q"].center_x + width / 2)) < width * 0.15
    assert abs(keys["z"].center_x - keys["s"].center_x) < width * 0.15
    for point in (0.1, 0.5, 0.9):  # anywhere on the z key, its left edge too
        x, y = keys["z"].to_window(keys["z"].x + keys["z"].width * point, keys["z"].center_y)
        ui.tap_at(x, y)
    assert not m.keyboard.shift
    if layout == "letters":
        assert m.field.text == "zzz"
    else:
        assert m.keyboard.preedit == "zzz"


def test_123_goes_back_to_the_mode_it_came_from(ui, mount):
    m = mount(layout="pinyin")
    m.tap_keys(["to:digits"])
    back = m.keyboard.key("to:back")
    assert back.text == "拼音"
    m.tap_keys(["5", "to:back"])
    assert m.keyboard.layout == "pinyin" and m.field.text == "5"
    m.tap_keys(["to:letters", "to:digits"])
    assert m.keyboard.key("to:back").text == "ABC"
    m.tap_keys(["to:back"])
    assert m.keyboard.layout == "letters"
    ui.app.lang = "en"
    ui.frames(2)
    m.tap_keys(["to:pinyin", "to:digits"])
    assert m.keyboard.key("to:back").text == "Pinyin"


@pytest.mark.parametrize("elderly", [False, True])
def test_ten_candidates_a_page_by_frequency_none_under_the_arrow(ui, mount, elderly):
    ui.app.elderly = elderly
    ui.frames(3)
    m = mount(layout="pinyin")
    wait_for_dictionary(ui)
    for letters in ("xiao", "shi", "zhuang", "sfz"):
        m.tap_keys(letters)
        ui.frames(2)
        buttons = m.keyboard.candidate_buttons()
        if not elderly and letters != "sfz":  # ten characters fit; words take more room
            assert len(buttons) == 10, [b.text for b in buttons]
        if letters == "xiao":
            assert "晓" in m.candidates() or elderly and "晓" in [c.text for c in m.keyboard.input.candidates[:10]]
        arrow = m.keyboard.ids.next
        shot = ui.screenshot()
        for button in buttons:
            assert button.right <= arrow.x + 0.5, f"{button.text!r} ends at {button.right}, ▶ starts at {arrow.x}"
            assert button.texture_size[0] <= button.width + 1
            assert key_box_colours(shot, button) > 4, f"{button.text!r} is not drawn"
        ui.tap(m.keyboard.key("clear"))
    assert_readable(ui)


def test_the_main_button_stays_put_when_the_keyboard_changes(ui):
    """identify.manual: name (pinyin, ABC) and ID number (ID keypad) share one keyboard, whose
    height, and so the 使用 button above it, do not change with the layout or the field."""
    from testing.driver import type_on_keyboard
    ui.app.show("identify.manual")
    ui.wait(lambda: ui.screen.name == "identify.manual", what="the manual identity screen")
    screen = ui.screen
    type_on_keyboard(ui, screen.ids.name, ["z", "h"], layout="pinyin")
    keyboard = screen.ids.dock.keyboard
    use = screen.ids.use
    place = (use.to_window(*use.pos), keyboard.height)
    type_on_keyboard(ui, screen.ids.name, ["to:letters", "a"], layout="pinyin")
    ui.frames(3)
    assert keyboard.layout == "letters"
    assert (use.to_window(*use.pos), keyboard.height) == place
    type_on_keyboard(ui, screen.ids.id_number, ["4", "3"], layout="idnumber")
    ui.frames(3)
    assert (use.to_window(*use.pos), keyboard.height) == place
    assert screen.ids.id_number.ids.input.text == "43"
    assert_readable(ui)
    ui.app.end_session("test done")


@pytest.mark.parametrize("screen_name", ["apply.item", "guides"])
def test_pinyin_initials_search_while_they_are_typed(ui, screen_name):
    """In pinyin mode the letters not yet turned into Chinese search as initials, as in ABC."""
    from screens.guides import demo_catalog
    from testing.driver import press
    saved = ui.app.services.catalog
    ui.app.services.catalog = demo_catalog()
    try:
        ui.app.show(screen_name)
        ui.wait(lambda: ui.screen.name == screen_name, what=screen_name)
        screen = ui.screen
        press(ui, screen.ids.search)
        ui.wait(lambda: screen.ids.dock.keyboard is not None and screen.ids.dock.keyboard.parent is not None,
                what="the keyboard")
        keyboard = screen.ids.dock.keyboard
        assert keyboard.layout == "pinyin"
        wait_for_dictionary(ui)
        for letter in "sfz":
            press(ui, keyboard.key(letter), hold=0.08)
        assert screen.ids.search.text == "" and keyboard.preedit == "sfz"
        if screen_name == "apply.item":
            from screens.apply import online_items
            expected = [i["name"] for i in online_items(ui.app.services.catalog, "sfz")]
            ui.wait(lambda: [i["name"] for i in screen.items] == expected, timeout=10,
                    what=f"the items found by sfz, not {[i['name'] for i in screen.items][:3]}")
            names = [i["name"] for i in screen.items]
            assert names != [i["name"] for i in online_items(ui.app.services.catalog, "")]
        else:
            ui.wait(lambda: screen.settled and screen.query == "sfz", what="the initials search")
            names = [row["name"] for row in screen.ids.results.data]
        assert names and "身份证" in names[0], names
        assert len(names) < len(ui.app.services.catalog.items()), "searched, not the whole list"
        press(ui, keyboard.key("done"))
    finally:
        ui.app.services.catalog = saved
        ui.app.end_session("test done")
