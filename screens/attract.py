"""Attract screen: shown when nobody is using the terminal."""

from __future__ import annotations

import json
import time
from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty

from kiosk import paths
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


def notice_titles(limit: int = 5) -> list[str]:
    """The latest public notice titles from the local copy (they are published in Chinese)."""
    try:
        notices = json.loads((paths.SEED / "notices.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    notices.sort(key=lambda n: n.get("published", ""), reverse=True)
    return [n["title"] for n in notices[:limit] if n.get("title")]


class AttractScreen(FlowScreen):
    line_index = NumericProperty(0)
    clock_text = StringProperty("")

    def __init__(self, **kwargs):
        self.notices = notice_titles()
        super().__init__(**kwargs)
        self._update_clock(0)
        Clock.schedule_interval(self._rotate, ROTATE_SECONDS)
        Clock.schedule_interval(self._update_clock, 15)

    def rotating_line(self, index: int, _lang: str) -> str:
        lines = [app().t(tip) for tip in TIPS] + self.notices
        return lines[index % len(lines)]

    def _rotate(self, _dt) -> None:
        if self.manager is not None and self.manager.current == self.name:  # hidden: no label to redraw
            self.line_index += 1

    def _update_clock(self, _dt) -> None:
        self.clock_text = time.strftime("%Y-%m-%d  %H:%M")

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
