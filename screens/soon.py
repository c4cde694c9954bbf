"""The page a service tile opens while its flow is not built yet."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.home import SERVICE_LABELS
from screens.widgets import KioskScreen

Builder.load_file(str(Path(__file__).with_name("soon.kv")))


class ComingSoonScreen(KioskScreen):
    service = StringProperty("guides")

    def on_service(self, *_):
        self.title = SERVICE_LABELS[self.service][0]


SCREENS = {"soon": ComingSoonScreen}
