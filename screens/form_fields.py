"""One widget per field type of an item's form (kiosk/forms.py, docs/hall-api.md "Item forms"):
a text entry with the on-screen keyboard that fits the type, choice buttons, yes/no buttons.
Each shows its label and help in the resident's language, a star when required, and its
problem as a sentence naming the field. `value` is what the form holds (kiosk.forms.parse).
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import DictProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk import forms
from screens.flow import ChoiceButton
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("form_fields.kv")))

KEYBOARDS = {"number": ("digits", ["digits"]), "phone": ("digits", ["digits"]),
             "date": ("digits", ["digits"]), "id_number": ("idnumber", ["idnumber"])}
HINTS = {"date": "Date: 8 digits, year month day, e.g. 19900307", "phone": "Mobile or landline, e.g. 13800138000",
         "id_number": "18 characters, e.g. 430102199003075518"}


class FormField(BoxLayout):
    """The frame every type shares: label (+ * when required), help, the entry, the problem."""

    field = DictProperty({})
    problem = StringProperty("")  # the problem word (kiosk.forms), "" when none

    def title(self, lang: str) -> str:
        return forms.label(self.field, lang) + (" *" if self.field.get("required") else "")

    def help_text(self, lang: str) -> str:
        help_ = self.field.get("help") or {}
        text = help_.get("zh" if lang == "zh" else "en", "")
        hint = HINTS.get(self.field.get("type", ""))
        return "  ".join(t for t in (text, app().t(hint, lang) if hint else "") if t)

    def problem_text(self, lang: str, *_bindings) -> str:
        return forms.message(self.field, self.field.get("key", ""), self.problem, lang) if self.problem else ""

    @property
    def value(self):
        raise NotImplementedError

    def set_value(self, value) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value(None)
        self.problem = ""


class TextFormField(FormField):
    """text, long_text, address, phone, ID number, number and date: typed."""

    @property
    def keyboard(self) -> str:
        return KEYBOARDS.get(self.field["type"], ("pinyin",))[0]

    def watch(self, dock) -> None:
        layouts = KEYBOARDS.get(self.field["type"], ("pinyin", ["pinyin", "letters", "digits"]))[1]
        dock.watch(self.ids.input, self.keyboard, layouts)

    @property
    def value(self):
        return forms.parse(self.field, self.ids.input.text)

    def set_value(self, value) -> None:
        self.ids.input.focus = False if value is None else self.ids.input.focus
        self.ids.input.text = "" if value is None else str(value)


class ChoiceFormField(FormField):
    """choice and yes_no: one button per option, the chosen one ticked."""

    chosen = ObjectProperty(None, allownone=True)

    def on_kv_post(self, _base):
        self.build()

    def on_field(self, *_):
        if "buttons" in self.ids:
            self.build()

    def options(self) -> list[tuple[object, dict]]:
        if self.field.get("type") == "yes_no":
            return [(True, {"zh": "是", "en": "Yes"}), (False, {"zh": "否", "en": "No"})]
        return [(c["value"], c) for c in self.field.get("choices", [])]

    def build(self) -> None:
        box = self.ids.buttons
        box.clear_widgets()
        for value, names in self.options():
            button = OptionButton(value=value, names={"zh": names.get("zh", ""), "en": names.get("en", "")})
            button.bind(on_release=lambda b: self.set_value(b.value))
            box.add_widget(button)
        self.set_value(self.chosen)

    def on_chosen(self, *_):
        for button in self.ids.buttons.children:
            button.selected = self.chosen is not None and button.value == self.chosen

    @property
    def value(self):
        return self.chosen

    def set_value(self, value) -> None:
        self.chosen = value
        self.on_chosen()


class OptionButton(ChoiceButton):
    names = DictProperty({})


def make(field: dict) -> FormField:
    if field["type"] in ("choice", "yes_no"):
        return ChoiceFormField(field=field)
    return TextFormField(field=field)
