"""网点导航 and 政务公开 for the screens: service outlets and public notices from the hall, or
the copy bundled in assets/seed when the hall cannot answer (the screens say it is a copy).

Blocking (the hall, the disk): the screens call these through app.background.
"""

from __future__ import annotations

import json
import logging
from typing import Generic, NamedTuple, TypeVar

from kiosk import hall_api, paths
from kiosk.hall_client import HallClient, HallError, HallUnreadable

log = logging.getLogger("kiosk.public_info")

T = TypeVar("T")


class Listing(NamedTuple, Generic[T]):
    records: list[T]
    offline: bool  # True: the bundled copy, the hall did not answer


def _seed(name: str) -> list[dict]:
    return json.loads((paths.SEED / name).read_text(encoding="utf-8"))


def newest_first(notices: list[dict], limit: int) -> list[dict]:
    return sorted(notices, key=lambda n: n.get("published", ""), reverse=True)[:limit]


def notice_titles(limit: int = 5) -> list[str]:
    """The latest notice titles from the bundled copy (no hall: the attract screen shows them
    before any service is up; they are published in Chinese)."""
    try:
        notices = _seed("notices.json")
    except (OSError, ValueError):
        return []
    return [n["title"] for n in newest_first(notices, limit) if n.get("title")]


class PublicInfo:
    def __init__(self, client: HallClient):
        self.client = client

    def outlets(self) -> Listing[hall_api.Outlet]:
        return self._hall_or_seed("outlets", lambda: hall_api.outlets(self.client), "outlets.json")

    def notices(self, limit: int = 50) -> Listing[hall_api.Notice]:
        """Newest first, at most `limit` (1..100)."""
        records, offline = self._hall_or_seed("notices", lambda: hall_api.notices(self.client, limit),
                                              "notices.json")
        return Listing(newest_first(records, limit), offline)

    @staticmethod
    def _hall_or_seed(what: str, ask, seed_file: str) -> Listing:
        try:
            return Listing(ask(), False)
        except HallUnreadable:
            log.warning("%s: the hall sent something the terminal cannot read; using the copy", what)
        except HallError as e:
            log.info("%s: %s; using the offline copy", what, e.__class__.__name__)
        return Listing(_seed(seed_file), True)
