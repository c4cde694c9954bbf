"""The on-screen keyboard: digits, letters, pinyin with a candidate bar, ID numbers.

Embed an `OnScreenKeyboard` and give it a `target`: a TextInput, or anything with
`insert_text(text)` and `do_backspace()` (and a `text` attribute for the clear key).
A hardware keyboard keeps typing into the TextInput directly: touching these keys
does not take the focus away from it.

The pinyin dictionary is shared by every keyboard and loaded once, on a worker
thread (`preload`); until it is ready the pinyin layout says so, and the letters
typed meanwhile get their candidates when it arrives.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import FocusBehavior
from kivy.core.text import Label as CoreLabel
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk import ime
from screens.widgets import KioskButton

log = logging.getLogger("kiosk.keyboard")

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# A row is a list of keys: a character, or (action, relative width); ("gap", w) is an empty
# space. Every letter key is one tenth of the row, the rows offset as on a real keyboard.
LAYOUTS = {
    "digits": [list("123"), list("456"), list("789"), [("to:back", 1), "0", ("delete", 1)],
               [("clear", 1), ("done", 2)]],
    "idnumber": [list("123"), list("456"), list("789"), ["X", "0", ("delete", 1)],
                 [("clear", 1), ("done", 2)]],
    "letters": [list(LETTER_ROWS[0]), [("gap", 0.5), *LETTER_ROWS[1], ("gap", 0.5)],
                [("shift", 1.5), *LETTER_ROWS[2], ("delete", 1.5)],
                [("to:digits", 1.5), ("to:pinyin", 1.5), ("space", 3), ("clear", 1.5), ("done", 2)]],
    "pinyin": [list(LETTER_ROWS[0]), [("gap", 0.5), *LETTER_ROWS[1], ("gap", 0.5)],
               [("gap", 1.5), *LETTER_ROWS[2], ("delete", 1.5)],
               [("to:digits", 1.5), ("to:letters", 1.5), ("space", 3), ("clear", 1.5), ("done", 2)]],
}
ACTION_LABELS = {"delete": "Delete", "space": "Space", "clear": "Clear", "done": "Done",
                 "shift": "Caps", "to:pinyin": "Pinyin"}
PLAIN_LABELS = {"to:letters": "ABC", "to:digits": "123"}  # the same in every language
TEXT_LAYOUTS = ("pinyin", "letters")  # where 123's way back leads
CANDIDATES_PER_PAGE = 10


class DictionaryLoader(EventDispatcher):
    """The one pinyin dictionary of the process; `state` and `dictionary` change on the UI thread."""

    state = OptionProperty("idle", options=["idle", "loading", "ready", "failed"])
    dictionary = ObjectProperty(None, allownone=True)

    def start(self, cache_dir: Path) -> None:
        if self.state in ("loading", "ready"):
            return
        self.state = "loading"
        threading.Thread(target=self._load, args=(Path(cache_dir),), name="kiosk-ime-load",
                         daemon=True).start()

    def _load(self, cache_dir: Path) -> None:
        try:
            dictionary = ime.load_or_build(cache_dir, log=log)
        except Exception as exc:  # noqa: BLE001 - the keyboard stays usable without Chinese
            log.error("pinyin dictionary unavailable: %s", exc)
            Clock.schedule_once(lambda _dt: setattr(self, "state", "failed"), 0)
            return
        Clock.schedule_once(lambda _dt: self._ready(dictionary), 0)

    def _ready(self, dictionary) -> None:
        self.dictionary = dictionary
        self.state = "ready"


DICTIONARY = DictionaryLoader()


def preload(app=None) -> None:
    """Start loading the pinyin dictionary (call at app start; later calls do nothing)."""
    app = app or App.get_running_app()
    DICTIONARY.start(app.settings.state_dir())


class KeyButton(KioskButton):
    key = ObjectProperty(None)  # a character, or an action name such as "delete"


class CandidateButton(KioskButton):
    index = ObjectProperty(0)


class OnScreenKeyboard(BoxLayout):
    target = ObjectProperty(None, allownone=True)
    layout = OptionProperty("pinyin", options=list(LAYOUTS))
    layouts = ListProperty(["pinyin", "letters", "digits"])  # what the switch keys may reach
    # layouts whose size the keyboard keeps (a dock's other fields): the form above, and its
    # main button, stay put when the layout changes
    reserve = ListProperty([])
    back = StringProperty("")  # the text layout the digits' way-back key returns to
    shift = BooleanProperty(False)
    preedit = StringProperty("")  # the pinyin letters being typed
    status = StringProperty("")  # message id shown in the candidate bar instead of the letters
    has_prev = BooleanProperty(False)
    has_next = BooleanProperty(False)

    __events__ = ("on_done",)

    def __init__(self, **kwargs) -> None:
        self.input = ime.PinyinInput(page_size=CANDIDATES_PER_PAGE)
        super().__init__(**kwargs)
        # ids are weak references and the candidate bar leaves the tree outside pinyin
        self._bar = self.ids.bar.__self__
        App.get_running_app().bind(lang=self._relabel, theme=self._fit_candidates)
        DICTIONARY.bind(state=self._dictionary_state)
        self._build_keys()

    # building ---------------------------------------------------------------
    def on_layout(self, *_):
        if self.layout in TEXT_LAYOUTS:
            self.back = self.layout
        self._commit_letters()
        self.shift = False
        self._build_keys()

    def on_shift(self, *_):
        self._relabel()

    def _build_keys(self) -> None:
        if "keypad" not in self.ids:
            return
        if self.layout == "pinyin" and DICTIONARY.state == "idle":
            preload()
        sized = {self.layout, *self.layouts, *self.reserve}
        bar = self._bar
        if "pinyin" in sized and bar.parent is None:
            self.add_widget(bar, index=len(self.children))
        elif "pinyin" not in sized and bar.parent is not None:
            self.remove_widget(bar)
        # outside pinyin the bar keeps its room, empty and untouchable
        bar.opacity, bar.disabled = (1, False) if self.layout == "pinyin" else (0, True)
        self.ids.keypad.clear_widgets()
        rows = LAYOUTS[self.layout]
        for _ in range(max(len(LAYOUTS[name]) for name in sized) - len(rows)):
            self.ids.keypad.add_widget(Factory.KeyRow())
        for row in rows:
            line = Factory.KeyRow()
            for spec in row:
                key, weight = (spec, 1) if isinstance(spec, str) else spec
                if key == "gap":
                    line.add_widget(Widget(size_hint_x=weight))
                    continue
                if key.startswith("to:") and self._destination(key) not in self.layouts:
                    continue
                button = KeyButton(key=key, size_hint_x=weight,
                                   role="plain" if len(key) == 1 else "accent")
                button.bind(on_release=self._key_pressed)
                line.add_widget(button)
            self.ids.keypad.add_widget(line)
        self._relabel()
        self._dictionary_state()

    def on_reserve(self, *_):
        self._build_keys()

    def _destination(self, key: str) -> str:
        """The layout a switch key leads to: 123's way back is the text layout it came from."""
        if key != "to:back":
            return key[3:]
        if self.back in self.layouts:
            return self.back
        return next((name for name in TEXT_LAYOUTS if name in self.layouts), "")

    def key_buttons(self) -> list[KeyButton]:
        return [b for row in self.ids.keypad.children for b in row.children if isinstance(b, KeyButton)]

    def key(self, key: str) -> KeyButton:
        """The button of a character or action (for screens and tests)."""
        return next(b for b in self.key_buttons() if b.key == key)

    def _relabel(self, *_):
        app = App.get_running_app()
        for button in self.key_buttons():
            key = button.key
            if key in ACTION_LABELS:
                button.text = app.t(ACTION_LABELS[key])
            elif key in PLAIN_LABELS:
                button.text = PLAIN_LABELS[key]
            elif key == "to:back":
                back = self._destination(key)
                button.text = app.t(ACTION_LABELS["to:pinyin"]) if back == "pinyin" else PLAIN_LABELS["to:letters"]
            else:
                button.text = key.upper() if self.shift and self.layout == "letters" else key
            if key == "shift":
                button.role = "accent" if self.shift else "plain"
        self._refresh()

    # the candidate bar ---------------------------------------------------------
    def _dictionary_state(self, *_):
        self.input.dictionary = DICTIONARY.dictionary
        self.status = {"idle": "Loading Chinese input...", "loading": "Loading Chinese input...",
                       "failed": "Chinese input is not available"}.get(DICTIONARY.state, "")
        self._refresh()

    def _fit_candidates(self, *_):
        """Page the candidates by what fits between ◀ and ▶ at the current size and theme."""
        app = App.get_running_app()
        theme = app.theme
        arrows = 2 * (theme.target + theme.pad / 2)
        self.input.page_width = max(theme.target, self.width - 2 * theme.pad / 2 - arrows)
        measure = CoreLabel(font_name="KioskFont", font_size=theme.heading)

        def width(text: str) -> float:
            # a CandidateButton: its text, padding on both sides and its texture's margin
            # (see keyboard.kv), never less than a target; then the bar's spacing
            return max(theme.target, measure.get_extents(text)[0] + 2 * theme.pad) + theme.pad / 2
        self.input.measure = width
        self._refresh()

    def on_width(self, *_):
        self._fit_candidates()

    def _refresh(self) -> None:
        if not hasattr(self, "_bar"):
            return
        bar = self.ids.candidates
        self.preedit = self.input.letters
        bar.clear_widgets()
        for index, candidate in enumerate(self.input.page_items()):
            button = CandidateButton(text=candidate.text, index=index)
            button.bind(on_release=self._candidate_pressed)
            bar.add_widget(button)
        self.has_prev, self.has_next = self.input.has_prev, self.input.has_next

    def candidate_buttons(self) -> list[CandidateButton]:
        return list(reversed(self.ids.candidates.children))

    # typing --------------------------------------------------------------------
    def _key_pressed(self, button: KeyButton) -> None:
        key = button.key
        if key.startswith("to:"):
            self.layout = self._destination(key)
        elif key == "shift":
            self.shift = not self.shift
        elif key == "delete":
            if not (self.layout == "pinyin" and self.input.backspace()):
                self._call("do_backspace")
        elif key == "space":
            if self.layout == "pinyin" and self.input.letters:
                if self.input.page_items():
                    self._insert(self.input.choose(0))
                else:
                    self._commit_letters()
            else:
                self._insert(" ")
        elif key == "clear":
            self.input.clear()
            if self.target is not None:
                self.target.text = ""
        elif key == "done":
            self._commit_letters()
            self.dispatch("on_done")
        elif self.layout == "pinyin":
            try:
                self.input.feed(key)
            except ime.ImeError:
                pass  # too many letters pending: the key is ignored, nothing typed is lost
        else:
            self._insert(button.text)
        self._refresh()

    def _candidate_pressed(self, button: CandidateButton) -> None:
        self._insert(self.input.choose(button.index))
        self._refresh()

    def page(self, step: int) -> None:
        self.input.next_page() if step > 0 else self.input.prev_page()
        self._refresh()

    def _commit_letters(self) -> None:
        """Letters typed but not turned into Chinese go in as they are: nothing typed is lost."""
        if self.input.letters:
            self._insert(self.input.take_letters())

    def _insert(self, text: str) -> None:
        self._call("insert_text", text)

    def _call(self, method: str, *args) -> None:
        if self.target is not None:
            getattr(self.target, method)(*args)

    def on_done(self, *_):
        """Default: the target loses focus; screens bind on_done to move on."""
        if isinstance(self.target, FocusBehavior):
            self.target.focus = False

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            # Keep the target focused (cursor, hardware keyboard) while keys are touched.
            FocusBehavior.ignored_touch.append(touch)
        return super().on_touch_down(touch)


Builder.load_file(str(Path(__file__).with_name("keyboard.kv")))
