"""Driving the apply flow's item form, materials and signature (screens/apply.py) in GUI tests."""

from __future__ import annotations

import math

from testing.driver import press, reveal, type_into


def field(ui, key: str):
    """The form widget of field `key` on the form screen."""
    found = [w for w in ui.screen.widgets() if w.field["key"] == key]
    assert found, f"no field {key!r} on the form: {[w.field['key'] for w in ui.screen.widgets()]}"
    return found[0]


def fill(ui, key: str, text: str) -> None:
    """Type `text` into a typed field (as a hardware keyboard does)."""
    widget = field(ui, key)
    widget.ids.input.text = ""
    view = widget.parent
    while view is not None and type(view).__name__ != "ScrollView":
        view = view.parent
    if view is not None:  # the whole field in view (its label too), as a resident scrolls to it
        view.scroll_to(widget, padding=20, animate=False)
        ui.frames(3)
    type_into(ui, widget.ids.input, text)


def choose(ui, key: str, value) -> None:
    """Tap the option `value` of a choice or yes/no field."""
    button = next(b for b in field(ui, key).ids.buttons.children if b.value == value)
    reveal(ui, button)
    press(ui, button)
    assert field(ui, key).value == value


def material_row(ui, key: str):
    return next(r for r in ui.screen.ids.materials.children if r.material["key"] == key)


def hand_in(ui, key: str, how: str) -> None:
    """On the materials screen: tap how material `key` is handed in (camera opens the camera screen)."""
    button = material_row(ui, key).ids[how]
    reveal(ui, button)
    press(ui, button)


def sign(ui) -> None:
    """Draw a signature on the review screen's pad with a finger, and confirm it."""
    from kivy.tests.common import UnitTestTouch
    pad = ui.screen.ids.pad
    for stroke in range(3):
        points = [(pad.x + pad.width * (0.1 + 0.27 * stroke + 0.22 * t),
                   pad.y + pad.height * (0.5 + 0.3 * math.sin(t * 7 + stroke))) for t in (i / 20 for i in range(21))]
        touch = UnitTestTouch(*pad.to_window(*points[0]))
        touch.touch_down()
        for x, y in points[1:]:
            touch.touch_move(*pad.to_window(x, y))
            ui.frames(1)
        touch.touch_up()
    ui.frames(2)
    assert pad.signed
    press(ui, ui.screen.ids.confirm_signature)
    assert ui.screen.confirmed


def valid_value(field: dict):
    """A value the rules take for `field` (for benches and tests that only need the form to pass)."""
    from kiosk import forms
    kind = field["type"]
    if kind in ("text", "long_text", "address"):
        return "青山县人民路8号3栋201室".ljust(field.get("min_length", 0), "号")[:field.get("max_length", 100)]
    if kind == "number":
        low = field.get("min", 1)
        return int(low) if field.get("integer") or float(low).is_integer() else low
    if kind == "date":
        today = forms.today_cst()
        for bound in ("earliest", "latest"):
            if field.get(bound):
                return forms.resolve_date(field[bound], today).isoformat()
        return "2024-03-01"
    if kind == "choice":
        return field["choices"][0]["value"]
    if kind == "yes_no":
        return False
    return {"phone": "13912345678", "id_number": "430102199003075518"}[kind]


def complete_to_review(ui, camera=None) -> None:
    """From the form screen: every required empty field given a valid value, Next; each required
    material handed in (the ID card, else the window, else photographed with `camera`); Next; signed."""
    for widget in ui.screen.widgets():
        if widget.field.get("required") and widget.value in (None, ""):
            widget.set_value(valid_value(widget.field))
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    ui.frames(3)
    for row in list(reversed(ui.screen.ids.materials.children)):
        accepts = row.material["accepts"]
        if not row.material.get("required"):
            continue
        if "id_card" in accepts and row.id_card_ok:
            hand_in(ui, row.material["key"], "id_card")
        elif "window" in accepts:
            hand_in(ui, row.material["key"], "window")
        else:
            hand_in(ui, row.material["key"], "camera")
            ui.wait(lambda: ui.screen.name == "apply.camera" and ui.screen.ids.preview.found, timeout=15,
                    what="the camera's picture")
            press(ui, ui.screen.ids.take)
            ui.wait(lambda: not ui.screen.busy and len(ui.screen.ids.thumbs.children) == 1, timeout=20,
                    what="the page")
            press(ui, ui.screen.ids.done)
            ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
            ui.frames(3)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.review", what="the review")
    ui.frames(3)
    if ui.screen.signing:
        sign(ui)


# --- 补交材料 (screens/supplement.py), from the progress card of an application in 补正 ---

def card_to_supplement(ui, card, reader) -> None:
    """Tap the card's 补交材料 and place the demo holder's ID card: on the supplement screen."""
    press(ui, card.send_button)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "supplement", timeout=20, what="the supplement screen after the card")


def photograph_first_missing(ui, camera, page: str) -> None:
    """On the supplement screen, once the card is checked: photograph `page` (a sim: camera
    document key) for the first material asked for, and come back."""
    ui.wait(lambda: ui.screen.status == "", timeout=15, what="the applicant check")
    press(ui, ui.screen.ids.lines.children[0].ids.photograph)
    ui.wait(lambda: ui.screen.name == "supplement.camera", what="the camera screen")
    camera.emulator.show(page)
    ui.wait(lambda: ui.screen.ids.preview.found, timeout=15, what="the page outline")
    press(ui, ui.screen.ids.take)
    ui.wait(lambda: not ui.screen.busy and len(ui.screen.ids.thumbs.children) == 1, timeout=20, what="the page")
    press(ui, ui.screen.ids.done)
    ui.wait(lambda: ui.screen.name == "supplement", what="back to the supplement screen")
