"""政务公开: the latest public notices and a reader (from the hall through kiosk.public_info,
newest first; the bundled copy in assets/seed when the hall cannot be reached, said so on screen)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from screens.outlets import EntryListScreen, EntryScreen

Builder.load_file(str(Path(__file__).with_name("notices.kv")))

LIMIT = 50


class NoticesScreen(EntryListScreen):
    detail = "notices.detail"

    @staticmethod
    def fetch(services):
        return services.public_info.notices(LIMIT)

    def row(self, notice: dict) -> dict:
        return {"key": str(notice.get("id", "")), "title": notice.get("title", ""),
                "meta": f"{notice.get('published', '')} · {notice.get('department', '')}",
                "target": self.name}


class NoticeReaderScreen(EntryScreen):
    def on_entry(self, *_):
        if "scroll" in self.ids:
            self.ids.scroll.scroll_y = 1


def screenshot_setup(kiosk_app, arg: str):
    from screens.outlets import list_screenshot_setup
    return list_screenshot_setup(kiosk_app, "notices", arg)


SCREENS = {"notices": NoticesScreen, "notices.detail": NoticeReaderScreen}
