"""What the screens call: one object holding the terminal's services.

Screens never touch drivers or HTTP; they call these through the app's background
worker: the catalogue, the outbox, the devices, and the services that ask the hall
(`progress`, `appointments`, `public_info`; the hall's endpoints are kiosk/hall_api.py,
and `hall`, the client, is theirs). Construction is cheap (no network, no device I/O);
`start()` begins the work that talks to the outside (the outbox sender, the first
catalogue refresh, the heartbeats to the hall) and must run off the UI thread.

Telemetry (kiosk/telemetry.py) is on for the terminal itself (`kiosk run`, `kiosk demo`;
off for `kiosk screenshot`): it heartbeats to the hall every
`telemetry.heartbeat_interval` s (or as the hall asks), and serves the Prometheus figures
on 127.0.0.1:`telemetry.metrics_port` unless that is 0. Today's transactions are counted in one place: when a
resident's submission is queued in the outbox (hotline requests, applications,
ratings, bookings), by kind.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from kiosk.appointments import Appointments
from kiosk.catalog import Catalog
from kiosk.certificates import Certificates
from kiosk.config import Settings
from kiosk.devices import DeviceHub
from kiosk.hall_client import HallClient, HallError
from kiosk.outbox import Outbox
from kiosk.progress import Progress
from kiosk.public_info import PublicInfo
from kiosk.store import Store
from kiosk.telemetry import Telemetry, TransactionCounter, configured_statuses, installed_error_ring

log = logging.getLogger("kiosk.services")

# A catalogue refresh that found the hall down is tried again after 1, 2, 4 ... s, at most this
# often: a terminal often starts before its hall (or the embedded one) answers.
CATALOG_RETRY = (1.0, 60.0)

# The first heartbeat waits this long for the devices to finish opening, so that the
# console shows their health rather than "opening".
DEVICES_OPEN_WAIT = 10.0


class Services:
    def __init__(self, settings: Settings, on_device_event: Callable[[Any], None] | None = None, *,
                 screen: Callable[[], str] = str, session_active: Callable[[], bool] = lambda: False,
                 transactions: TransactionCounter | None = None, telemetry: bool = True,
                 on_catalog: Callable[[], None] | None = None) -> None:
        """`screen` and `session_active` are the app's (called on the telemetry thread);
        `on_catalog` is called (on a worker) each time a catalogue refresh has landed;
        `transactions` is the app's counter, kept across rebuilds of the services;
        `telemetry` False (`kiosk screenshot`) leaves the heartbeats and metrics out."""
        self.settings = settings
        self.on_device_event = on_device_event  # called on a device's thread
        self.store = Store.for_settings(settings)
        self.hall = HallClient.from_settings(settings)
        self.catalog = Catalog(self.store, self.hall)
        self.transactions = transactions if transactions is not None else TransactionCounter()
        self.outbox = Outbox(self.store, self.hall, on_queued=self.transactions.count)
        self.progress = Progress(self.hall, self.outbox, self.catalog)
        self.appointments = Appointments(self.hall, self.catalog)
        self.public_info = PublicInfo(self.hall)
        self.devices = DeviceHub.from_settings(settings, on_event=self._device_event, enable=True)
        self.certificates = Certificates(self.hall, self.devices)
        self.telemetry: Telemetry | None = None
        if telemetry:
            self.telemetry = Telemetry.from_settings(
                settings, devices=configured_statuses(self.devices), outbox=self.outbox,
                transactions=self.transactions, errors=installed_error_ring(), screen=screen,
                session_active=session_active)
        self.on_catalog = on_catalog
        self._lock = threading.Lock()  # start's steps against a stop that comes meanwhile
        self._stopped = False
        self._stopping = threading.Event()  # ends the catalogue retries

    def _device_event(self, event) -> None:
        if self.on_device_event is not None:
            self.on_device_event(event)

    def start(self) -> None:
        """Open the devices, start the outbox sender, refresh the catalogue, then start the
        heartbeats; blocking, so call it off the UI thread. A `stop` that comes meanwhile
        (settings applied twice in a row) waits for the first part, and ends the rest."""
        began = time.monotonic()
        with self._lock:  # the part that uses the store, the devices and the hall client
            if self._stopped:
                return
            self.devices.start()
            self.outbox.start()
            problem = self.catalog.try_refresh()
        if isinstance(problem, HallError):
            log.warning("catalogue not refreshed, using the local copy: %s; trying again", problem)
            threading.Thread(target=self._retry_catalog, name="catalog-retry", daemon=True).start()
        else:
            self._catalog_landed()
        if self.telemetry is None:
            return
        while not self._stopped and time.monotonic() - began < DEVICES_OPEN_WAIT:
            if self.devices.wait_open(0.25):
                break
        with self._lock:
            if not self._stopped:
                self.telemetry.start(self.settings.telemetry.metrics_port)

    def _retry_catalog(self) -> None:
        delay, most = CATALOG_RETRY
        while not self._stopping.wait(delay):
            with self._lock:
                if self._stopped:
                    return
                problem = self.catalog.try_refresh()
            if problem is None:
                log.info("catalogue refreshed after the hall came up")
                self._catalog_landed()
                return
            delay = min(delay * 2, most)

    def _catalog_landed(self) -> None:
        if self.on_catalog is not None:
            try:
                self.on_catalog()
            except Exception:
                log.exception("telling the screens of the new catalogue failed")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._stopping.set()
        # First: a command result it is reporting goes out while what it reports on still exists.
        if self.telemetry is not None:
            self.telemetry.stop()
        self.devices.close()
        self.outbox.stop()
        self.hall.close()
        self.store.close()
