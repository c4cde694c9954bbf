"""Idle handling: after ui.idle_timeout seconds without a touch or key, a warning
counts down ui.idle_warning seconds (at least 20, WCAG 2.2.1) with a "continue"
button; when it reaches zero the session is wiped and the attract screen shown."""

from __future__ import annotations

import time
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView

from screens.voice import voice_of

Builder.load_file(str(Path(__file__).with_name("idle.kv")))


class IdleWarning(ModalView):
    remaining = NumericProperty(0)


class IdleWatcher:
    def __init__(self, app) -> None:
        self.app = app
        self.last_activity = time.monotonic()
        self.warning: IdleWarning | None = None
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        Clock.schedule_interval(self._tick, 0.5)

    def _activity(self, *_args) -> bool:
        self.last_activity = time.monotonic()
        return False  # never consume the event

    @property
    def watching(self) -> bool:
        return self.app.manager.current != "attract"

    def _tick(self, _dt) -> None:
        ui = self.app.settings.ui
        if self.warning is not None:
            left = ui.idle_warning - (time.monotonic() - self.warning_started)
            self.warning.remaining = max(0, int(left + 0.999))
            if left <= 0:
                self._close_warning()
                self.app.end_session("idle")
            return
        if self.watching and time.monotonic() - self.last_activity >= ui.idle_timeout:
            self.show_warning()

    def show_warning(self) -> None:
        self.warning_started = time.monotonic()
        self.warning = IdleWarning(remaining=self.app.settings.ui.idle_warning)
        self.warning.bind(on_dismiss=lambda *_: self.keep_going())
        self.warning.open(animation=False)
        voice_of(self.app).say("session_ending")

    def keep_going(self) -> None:
        """The resident is still here: close the warning and restart the clock."""
        self._close_warning()
        self.last_activity = time.monotonic()

    def _close_warning(self) -> None:
        warning, self.warning = self.warning, None
        if warning is not None:
            warning.dismiss(animation=False)
