"""Attract screen: shown when nobody is using the terminal."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.clock import stamp
from kiosk.public_info import notice_titles
from screens.flow import FlowScreen
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("attract.kv")))

TIPS = [
    "Place your ID card on the reader, or touch the screen, to start",
    "Tap 长辈版 at the top for large text and voice prompts",
    "Every service on this terminal is free of charge",
    "Your personal information is erased when you finish",
]
ROTATE_SECONDS = 6


class AttractScreen(FlowScreen):
    line_index = NumericProperty(0)
    clock_text = StringProperty("")
    notices = ListProperty([])  # the latest notice titles, read off the UI thread

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._notices_in = False
        self._ask_notices()
        self._update_clock(0)
        Clock.schedule_interval(self._rotate, ROTATE_SECONDS)
        Clock.schedule_interval(self._update_clock, 15)

    def _ask_notices(self) -> None:
        # app.background drops a result when the session that asked has ended meanwhile; this
        # screen outlives every session, so on_pre_enter asks again until the titles are in.
        app().background(notice_titles, done=self._got_notices)

    def _got_notices(self, titles: list[str]) -> None:
        self.notices, self._notices_in = titles, True

    def rotating_line(self, index: int, _lang: str, notices: list[str]) -> str:
        lines = [app().t(tip) for tip in TIPS] + list(notices)
        return lines[index % len(lines)]

    def _rotate(self, _dt) -> None:
        if self.manager is not None and self.manager.current == self.name:  # hidden: no label to redraw
            self.line_index += 1

    def _update_clock(self, _dt) -> None:
        self.clock_text = stamp(None, app().settings.terminal.timezone, "%Y-%m-%d  %H:%M")

    def on_pre_enter(self, *_):
        if not self._notices_in:
            self._ask_notices()

    def on_device(self, event) -> None:
        """An ID card placed on the reader starts the session with the resident known."""
        if event.kind != "identity" or event.device != "idcard" or app().manager.current != self.name:
            return  # (a transition cut short may leave the binding in place a moment longer)
        from screens.identify import identity_from_id_card
        identity = identity_from_id_card(event.data)
        if identity is not None:
            app().session.data["identity"] = identity
        app().show("home")

    def on_touch_down(self, touch):
        if self.ids.bar.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        if self.collide_point(*touch.pos):
            app().show("home")
            return True
        return False


SCREENS = {"attract": AttractScreen}
