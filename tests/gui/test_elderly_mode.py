"""长辈版 measured on real frames: the header's labels fit on one line and follow a mode or
language switch at once; on every screen the screenshot tool can set up, text >= 30 dp,
targets >= 60 dp, text contrast >= 4.5:1 and target edges >= 3:1 (numbers printed per screen)."""

from __future__ import annotations

import importlib

import pytest
from kivy.core.text import Label as CoreLabel

from kiosk.commands.screenshot import TARGETS
from testing.gui import assert_accessible, assert_readable

pytestmark = pytest.mark.gui

SCREENS = ["home", "guides", "guides-search", "guides-detail", "outlets", "outlets-detail", "notices",
           "notices-detail", "identify", "identify-manual", "progress", "progress-timeline",
           "hotline", "hotline-form", "booking", "apply", "rating", "idle-warning"]


@pytest.fixture
def restored(ui):
    """The screenshot set-ups swap the app's services (a demo catalogue): put them back."""
    saved = dict(vars(ui.app.services))
    yield ui
    vars(ui.app.services).update(saved)
    ui.app.elderly, ui.app.lang = False, "zh"
    ui.frames(3)


def header_buttons(ui):
    bar = ui.screen.ids.bar
    return [bar.back, bar.home, bar.ids.elderly, bar.ids.language]


def assert_header_fits(ui):
    bar = ui.screen.ids.bar
    buttons = header_buttons(ui)
    for button in buttons:
        one_line = CoreLabel(text=button.text, font_size=button.font_size, font_name=button.font_name,
                             bold=button.bold)
        one_line.refresh()
        width, height = one_line.texture.size
        assert button.texture_size[1] <= height + 2 * button.padding[1] + 1, \
            f"{button.text!r} wraps: {button.texture_size} for one line of {width}x{height}"
        assert width + 2 * button.padding[0] <= button.width + 1, f"{button.text!r} is cut off"
        assert bar.y <= button.y and button.top <= bar.top + 0.5, f"{button.text!r} sticks out of the bar"
    assert all(a.right <= b.x for a, b in zip(buttons, buttons[1:])), "header buttons overlap"
    assert buttons[-1].right <= bar.right


def test_header_labels_fit_and_change_at_once(ui):
    ui.app.show("notices")
    ui.wait(lambda: ui.screen.name == "notices", what="notices")
    ui.frames(5)
    bar = ui.screen.ids.bar
    seen = []
    for tap, lang, elderly in ((None, "zh", False), ("elderly", "zh", True), ("language", "en", True),
                               ("elderly", "en", False), ("language", "zh", False)):
        if tap:
            ui.tap(bar.ids[tap])
            ui.frames(3)  # the same frame a resident sees next, no screen change
        assert (ui.app.lang, ui.app.elderly) == (lang, elderly)
        texts = [b.text for b in header_buttons(ui)]
        assert texts[2] == ui.app.t("Standard mode" if elderly else "Senior mode")
        assert texts[3] == ("English" if lang == "zh" else "中文")
        assert texts[0] == ui.app.t("Back")
        assert_header_fits(ui)
        assert_readable(ui, bar)
        seen.append(texts)
    assert seen[1][2] == "退出长辈版" and seen[2][:3] == ["Back", "Home", "Standard mode"]
    ui.app.elderly, ui.app.lang = False, "zh"


def show_target(ui, name: str):
    start, action = TARGETS[name]
    ui.app.show(start)
    ui.wait(lambda: ui.screen.name == start, what=start)
    ready = None
    if action == "idle":
        ui.app.idle.show_warning()
    elif action:
        module, _, arg = action.partition(":")
        ready = importlib.import_module(f"screens.{module}").screenshot_setup(ui.app, arg)
    if ready is not None:
        ui.wait(ready, timeout=20, what=f"{name} ready")
    ui.wait(lambda: not ui.app.manager.transition.is_active, what="transition")
    ui.frames(8)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_in_elderly_mode_measured(restored, lang, screens=SCREENS):
    ui = restored
    lines = []
    for name in screens:
        ui.app.lang, ui.app.elderly = lang, True  # a session's end puts back the defaults
        ui.frames(3)
        ui.app.idle._activity()  # a resident who just touched: no idle warning over the screen
        show_target(ui, name)
        if name != "idle-warning":
            assert ui.app.idle.warning is None, f"the idle warning came up over {name}"
        found = assert_accessible(ui, f"{name} [{lang}, 长辈版]")
        lines.append(found.line(name))
        if ui.app.idle.warning is not None:
            ui.app.idle.keep_going()
        ui.app.end_session("next screen")
        ui.frames(3)
    print("\n".join(lines))
