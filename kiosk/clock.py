"""The terminal's clock: every time a resident sees is in the terminal's zone
(`terminal.timezone`, China Standard Time by default), whatever zone the system is set to.

The hall sends instants with their offset (ISO 8601); a naive one is taken as UTC.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
_CST = timezone(timedelta(hours=8), "CST")  # China has one zone and no summer time


@lru_cache(maxsize=8)
def zone(name: str) -> tzinfo:
    """The zone called `name` (IANA, "Asia/Shanghai"); China Standard Time without a zone
    database on the system."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_ZONE:
            return _CST
        raise


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local(instant: datetime | str | float, zone_name: str = DEFAULT_ZONE) -> datetime:
    """An instant (datetime, ISO 8601 text or Unix seconds) in the terminal's zone."""
    if isinstance(instant, (int, float)):
        instant = datetime.fromtimestamp(instant, timezone.utc)
    elif isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(zone(zone_name))


def stamp(instant: datetime | str | float | None = None, zone_name: str = DEFAULT_ZONE,
          fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`instant` (now when None) as the terminal shows it; "" for text that is no instant."""
    try:
        return local(time.time() if instant is None else instant, zone_name).strftime(fmt)
    except ValueError:
        return ""
