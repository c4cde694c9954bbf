"""A Label that breaks Chinese lines by the rules (hardware.linebreak): no line starts with
）。，、 and the like and none ends with （「《. Kivy breaks CJK text wherever the width runs
out; this label puts the line breaks in itself, measured in its own font, so Kivy's wrapping
has nothing left to break. Give it `text` as usual (kv or Python); `raw` keeps it unbroken."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.properties import StringProperty
from kivy.uix.label import Label

from hardware.linebreak import break_lines


class KinsokuLabel(Label):
    raw = StringProperty("")  # the text as given; `text` is it with the line breaks put in

    def __init__(self, **kwargs):
        self._breaking = False
        self._rebreak = Clock.create_trigger(self._break, -1)
        super().__init__(**kwargs)
        self.fbind("width", self._rebreak)
        self.fbind("text_size", self._rebreak)
        self.fbind("font_size", self._rebreak)
        self.fbind("font_name", self._rebreak)
        self.fbind("bold", self._rebreak)
        self.fbind("padding", self._rebreak)

    def on_text(self, _label, text: str) -> None:
        if self._breaking:
            return
        self.raw = text
        self._break()

    def _break(self, *_):
        width = (self.text_size[0] or 0) - self.padding[0] - self.padding[2] - 1
        if not self.raw or width <= 0:
            return
        measure = CoreLabel(font_name=self.font_name, font_size=self.font_size, bold=self.bold)

        def fits(line: str) -> bool:
            return measure.get_extents(line)[0] <= width
        lines = [line for paragraph in self.raw.split("\n") for line in break_lines(paragraph, fits)]
        self._breaking = True
        try:
            self.text = "\n".join(lines)
        finally:
            self._breaking = False
