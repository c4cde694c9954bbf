"""预约 for the screens: which items can be booked where, the free days and time slots, and
the check just before booking (the booking itself goes through the outbox, kind "appointment").

Blocking (the hall): the screens call these through app.background. HallError when the
hall cannot answer; HallRejected when it refuses (the outlet takes no appointments: 404,
it does not handle the item: 422). Nothing here falls back to a copy: a time shown
must be one the hall can still give.
"""

from __future__ import annotations

from kiosk import hall_api
from kiosk.catalog import Catalog
from kiosk.hall_client import HallClient


def bookable(outlets: list[hall_api.Outlet]) -> dict[str, list[hall_api.Outlet]]:
    """item code -> outlets that take appointments for it."""
    by_item: dict[str, list[hall_api.Outlet]] = {}
    for outlet in outlets:
        if outlet.get("appointments"):
            for code in outlet.get("items", []):
                by_item.setdefault(code, []).append(outlet)
    return by_item


class Appointments:
    def __init__(self, client: HallClient, catalog: Catalog):
        self.client, self.catalog = client, catalog

    def bookable_items(self) -> tuple[dict[str, list[hall_api.Outlet]], list[dict]]:
        """(item code -> outlets taking appointments for it, those items from the catalogue by code)."""
        by_item = bookable(hall_api.outlets(self.client))
        if self.catalog.version is None:  # the first refresh may still be on its way
            self.catalog.try_refresh()
        items = [item for item in (self.catalog.item(code) for code in by_item) if item]
        return by_item, sorted(items, key=lambda i: i["code"])

    def days(self, item_code: str, outlet_id: str) -> list[hall_api.Day]:
        return hall_api.appointment_days(self.client, item_code, outlet_id)

    def slots(self, outlet_id: str, day: str) -> list[hall_api.Slot]:
        return hall_api.appointment_slots(self.client, outlet_id, day)

    def slot_full(self, outlet_id: str, day: str, slot_id: int) -> bool:
        """Asked again just before booking: True when the slot is listed and has no place left.
        Raises HallError when the hall cannot answer (then nothing is booked)."""
        slot = next((s for s in self.slots(outlet_id, day) if s["slot_id"] == slot_id), None)
        return slot is not None and slot["booked"] >= slot["capacity"]
