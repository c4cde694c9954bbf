"""What the screens call: one object holding the terminal's services.

Screens never touch drivers or HTTP; they call these through the app's background
worker. Construction is cheap (no network, no device I/O); `start()` begins the
work that talks to the outside (the outbox sender, the first catalogue refresh)
and must run off the UI thread.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from kiosk.catalog import Catalog
from kiosk.config import Settings
from kiosk.devices import DeviceHub
from kiosk.hall_client import HallClient, HallError
from kiosk.outbox import Outbox
from kiosk.store import Store

log = logging.getLogger("kiosk.services")


class Services:
    def __init__(self, settings: Settings, on_device_event: Callable[[Any], None] | None = None) -> None:
        self.settings = settings
        self.on_device_event = on_device_event  # called on a device's thread
        self.store = Store.for_settings(settings)
        self.hall = HallClient.from_settings(settings)
        self.catalog = Catalog(self.store, self.hall)
        self.outbox = Outbox(self.store, self.hall)
        self.devices = DeviceHub.from_settings(settings, on_event=self._device_event, enable=True)

    def _device_event(self, event) -> None:
        if self.on_device_event is not None:
            self.on_device_event(event)

    def start(self) -> None:
        """Open the devices, start the outbox sender and refresh the catalogue; blocking, so call
        it off the UI thread."""
        self.devices.start()
        self.outbox.start()
        problem = self.catalog.try_refresh()
        if isinstance(problem, HallError):
            log.warning("catalogue not refreshed, using the local copy: %s", problem)

    def stop(self) -> None:
        self.devices.close()
        self.outbox.stop()
        self.hall.close()
        self.store.close()
