"""办件进度 for the screens: an application by its 申办流水号, a 12345 request by its RQ ticket
number, a resident's applications by ID number, and a local reference ("LOCAL-...", printed when the hall was down) in this
terminal's outbox.

Blocking (the hall, the store): the screens call these through app.background. HallError
when the hall cannot answer; a number or ticket the hall does not know is an empty list.
"""

from __future__ import annotations

from typing import TypedDict

from kiosk import hall_api
from kiosk.catalog import Catalog
from kiosk.hall_client import HallClient, HallError
from kiosk.outbox import Outbox


class LocalState(TypedDict):
    ref: str
    state: str      # queued | sent | rejected
    attempts: int
    number: str     # the hall's 申办流水号 once sent, else ""
    item_name: str


class LocalLookup(TypedDict, total=False):
    local: LocalState
    applications: list[hall_api.Progress]  # once sent, when the hall answers


class Progress:
    def __init__(self, client: HallClient, outbox: Outbox, catalog: Catalog):
        self.client, self.outbox, self.catalog = client, outbox, catalog

    def by_number(self, number: str) -> list[hall_api.Progress]:
        found = hall_api.application(self.client, number)
        return [] if found is None else [found]

    def by_ticket(self, ticket: str) -> list[hall_api.HotlineRequest]:
        found = hall_api.hotline_request(self.client, ticket)
        return [] if found is None else [found]

    def by_identity(self, id_number: str) -> list[hall_api.Progress]:
        return hall_api.applications_of(self.client, id_number)

    def by_local_reference(self, ref: str) -> LocalLookup:
        """{} when this terminal queued no application under `ref`; else its local state and,
        once sent and the hall answers, its application too."""
        row = self.outbox.lookup(ref)
        if row is None or row.kind != "application":
            return {}
        answer = row.answer or {}
        item_code = (row.payload or {}).get("item_code") or answer.get("item_code", "")
        item = self.catalog.item(item_code) if item_code else None
        local: LocalState = {"ref": ref, "state": row.state, "attempts": row.attempts,
                             "number": answer.get("number", ""),
                             "item_name": (item or {}).get("name", "") or answer.get("item_name", "")}
        found: LocalLookup = {"local": local}
        if local["number"]:
            try:
                found["applications"] = self.by_number(local["number"])
            except HallError:
                pass  # the local state still says it was sent, with its number
        return found
