"""网点导航: service outlets with address, hours, phone and the items they handle, and a QR
code that opens the place in a map on the resident's phone.

Outlets come from the hall (kiosk.public_info); when it cannot be reached the bundled copy
in assets/seed is shown and the screen says it is an offline copy.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from kivy.lang import Builder
from kivy.properties import (BooleanProperty, DictProperty, ListProperty, NumericProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from screens import qr  # noqa: F401  (registers QRCodeImage for the kv rules)
from screens.widgets import KioskScreen, app

log = logging.getLogger("kiosk.outlets")

Builder.load_file(str(Path(__file__).with_name("outlets.kv")))


def map_url(outlet: dict) -> str:
    """A map link a phone's camera opens (Amap's URI API takes longitude first)."""
    return (f"https://uri.amap.com/marker?position={outlet.get('lon')},{outlet.get('lat')}"
            f"&name={quote(outlet.get('name', ''))}")


def item_names(catalog, codes: list[str]) -> list[str]:
    """'name (code)' of each handled item; the code alone when the catalogue lacks it."""
    out = []
    for code in codes:
        try:
            item = catalog.item(code)
        except Exception:  # no catalogue copy yet: the codes are still worth showing
            item = None
        out.append(f"{item['name']} ({code})" if item else code)
    return out


class EntryRow(ButtonBehavior, BoxLayout):
    """A list line (outlet or notice); tapping it opens `target` with this row's key."""

    key = StringProperty("")
    title = StringProperty("")
    meta = StringProperty("")
    target = StringProperty("")

    def on_release(self):
        app().screen(self.target).open_entry(self.key)


class EntryListScreen(KioskScreen):
    """A list from the hall (or its offline copy) with one detail screen."""

    offline = BooleanProperty(False)
    loaded = BooleanProperty(False)
    entries = ListProperty([])
    detail = ""

    def on_enter(self, *_):
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        if app().services is None:
            from kivy.clock import Clock
            Clock.schedule_once(lambda _dt: self.reload(), 0.2)
            return
        app().background(self.fetch, app().services, done=self._show, failed=self._failed)

    @staticmethod
    def fetch(services):
        """(records, offline) from a kiosk.public_info service; runs on a worker."""
        raise NotImplementedError

    def _show(self, result) -> None:
        self.entries, self.offline = result
        self.ids.results.data = [self.row(e) for e in self.entries]
        self.loaded = True

    def _failed(self, error: BaseException) -> None:
        log.error("%s: cannot show the list (%s)", self.name, error.__class__.__name__)
        self.entries, self.loaded = [], True
        self.ids.results.data = []

    def row(self, entry: dict) -> dict:
        raise NotImplementedError

    def open_entry(self, key: str) -> None:
        entry = next((e for e in self.entries if str(e.get("id")) == key), None)
        if entry is not None:
            app().screen(self.detail).entry = entry
            app().show(self.detail)


class OutletsScreen(EntryListScreen):
    detail = "outlets.detail"

    @staticmethod
    def fetch(services):
        return services.public_info.outlets()

    def row(self, outlet: dict) -> dict:
        return {"key": str(outlet.get("id", "")), "title": outlet.get("name", ""),
                "meta": f"{outlet.get('address', '')}\n{outlet.get('phone', '')}",
                "target": self.name}


class EntryScreen(KioskScreen):
    """A page showing one record; kv reads its fields with entry_text("field", root.entry)
    (passing root.entry makes kv re-read them when the record changes)."""

    entry = DictProperty({})

    @staticmethod
    def entry_text(field: str, entry: dict) -> str:
        value = entry.get(field, "")
        return value if isinstance(value, str) else ("1" if value else "")


class OutletDetailScreen(EntryScreen):
    items = ListProperty([])
    item_count = NumericProperty(0)
    map_url = StringProperty("")

    def on_entry(self, *_):
        codes = list(self.entry.get("items", []))
        self.items, self.item_count = codes, len(codes)
        self.map_url = map_url(self.entry) if self.entry else ""
        entry_id = self.entry.get("id")
        if codes and app().services is not None:
            app().background(item_names, app().services.catalog, codes,
                             done=lambda names: self._items(entry_id, names))

    def _items(self, entry_id, names: list[str]) -> None:
        if entry_id == self.entry.get("id"):
            self.items = names


def list_screenshot_setup(kiosk_app, list_name: str, key: str):
    """`kiosk screenshot` set-up: the list, or with a key that entry's page, once loaded."""
    screen = kiosk_app.screen(list_name)
    opened = []

    def ready() -> bool:
        if not screen.loaded:
            return False
        if key and not opened:
            opened.append(True)
            screen.open_entry(key if key != "first" else str(screen.entries[0].get("id")))
            return False
        return not kiosk_app.manager.transition.is_active

    return ready


def screenshot_setup(kiosk_app, arg: str):
    return list_screenshot_setup(kiosk_app, "outlets", arg)


SCREENS = {"outlets": OutletsScreen, "outlets.detail": OutletDetailScreen}
