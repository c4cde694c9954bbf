"""Chinese line breaking on screen: the lines Kivy lays out in the notice, guide and outlet
labels (KinsokuLabel) never start with ）。，、 and the like nor end with （「《."""

from __future__ import annotations

import importlib

import pytest

from hardware.linebreak import NO_LINE_END, NO_LINE_START
from kiosk.commands.screenshot import TARGETS
from testing.gui import assert_readable

pytestmark = pytest.mark.gui


def laid_out_lines(label) -> list[str]:
    """The lines as Kivy laid them out in the label's texture."""
    label.texture_update()
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def bad_breaks(lines):
    return [(a, b) for a, b in zip(lines, lines[1:])
            if b.strip()[:1] in NO_LINE_START or a.strip()[-1:] in NO_LINE_END]


def test_a_full_stop_at_the_edge_goes_down_with_the_character_before_it(ui):
    from kivy.core.text import Label as CoreLabel
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label
    from kivy.uix.modalview import ModalView

    from screens.linebreak import KinsokuLabel
    theme = ui.app.theme
    width = 600
    measure = CoreLabel(font_name="KioskFont", font_size=theme.body)
    n = 1
    while measure.get_extents("办" * (n + 1))[0] <= width - 1:
        n += 1
    text = "办" * n + "。" + "理" * 5 + "（" + "事" * (n - 8) + "项）"
    box = BoxLayout(orientation="vertical", size_hint=(None, None), size=(width, 600))
    labels = [cls(text=text, font_size=theme.body, text_size=(width, None), halign="left",
                  font_name="KioskFont", color=theme.colour("text")) for cls in (Label, KinsokuLabel)]
    for label in labels:
        box.add_widget(label)
    view = ModalView(auto_dismiss=False)
    view.add_widget(box)
    view.open(animation=False)
    try:
        ui.frames(5)
        plain, kinsoku = (laid_out_lines(label) for label in labels)
        assert plain[1].startswith("。"), f"the case is not the one meant: {plain}"
        assert not bad_breaks(kinsoku), kinsoku
        assert kinsoku[0] == "办" * (n - 1) and kinsoku[1].startswith("办。理")
        assert "".join(kinsoku) == text and labels[1].raw == text
        assert_readable(ui, box)
    finally:
        view.dismiss(animation=False)
        ui.frames(2)


@pytest.fixture
def restored(ui):
    saved = dict(vars(ui.app.services))
    yield ui
    vars(ui.app.services).update(saved)
    ui.app.elderly, ui.app.lang = False, "zh"
    ui.app.end_session("test done")
    ui.frames(3)


@pytest.mark.parametrize("elderly", [False, True])
def test_notices_guides_and_outlets_break_by_the_rules(restored, elderly):
    from screens.linebreak import KinsokuLabel
    ui = restored
    checked = 0
    for name in ("notices-detail", "guides-detail", "outlets-detail"):
        ui.app.elderly = elderly
        ui.app.idle._activity()
        start, action = TARGETS[name]
        ui.app.show(start)
        module, _, arg = action.partition(":")
        ready = importlib.import_module(f"screens.{module}").screenshot_setup(ui.app, arg)
        if ready is not None:
            ui.wait(ready, timeout=20, what=name)
        ui.wait(lambda: not ui.app.manager.transition.is_active, what="transition")
        ui.frames(8)
        for label in ui.labels():
            if isinstance(label, KinsokuLabel):
                lines = laid_out_lines(label)
                assert not bad_breaks(lines), (name, lines)
                checked += len(lines)
    assert checked > 30
