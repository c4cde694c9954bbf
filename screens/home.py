"""Home screen: one large tile per enabled service."""

from __future__ import annotations

from pathlib import Path

from kivy.core.window import Window
from kivy.lang import Builder

from screens.widgets import KioskScreen, ServiceTile, app

Builder.load_file(str(Path(__file__).with_name("home.kv")))

# service key -> (label, one-line hint); message ids are English, zh comes from the catalog
SERVICE_LABELS = {
    "guides": ("Service guides", "What to bring, where to go, how long it takes"),
    "progress": ("Application progress", "Check an application by number or ID card"),
    "apply": ("Apply online", "Submit an application here"),
    "certificates": ("Certificates", "Print a social insurance, household or property certificate"),
    "hotline": ("12345 request", "Ask, ask for help, complain, suggest, report"),
    "booking": ("Appointments", "Book a time at a service window"),
    "rating": ("Rate our service", "Tell us how we did"),
    "outlets": ("Service outlets", "Addresses, opening hours, directions"),
    "notices": ("Public notices", "Latest notices and disclosures"),
}


class HomeScreen(KioskScreen):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        grid = self.ids.tiles
        for index, service in enumerate(app().settings.ui.services):
            label, hint = SERVICE_LABELS[service]
            tile = ServiceTile(service=service, label=label, hint=hint, colour_index=index)
            tile.bind(on_release=lambda t: app().open_service(t.service))
            grid.add_widget(tile)
        Window.bind(size=self._fit_columns)
        self._fit_columns(Window, Window.size)

    def _fit_columns(self, _window, size) -> None:
        width, height = size
        self.ids.tiles.cols = 2 if width < height else 4


SCREENS = {"home": HomeScreen}
