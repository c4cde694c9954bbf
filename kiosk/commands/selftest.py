"""`kiosk selftest`: every configured device and the hall link, one line per check.

Devices: each one's health check; the printer prints its test receipt and the A4
printer its test page (through CUPS, ok once the job completed); an ID
reader or card reader on a `sim:` URL reads the emulator's demo card through the
real driver, and a `sim:` camera captures the emulator's page (a real reader or
camera gets the health check only: nobody is there to present a card or a page).
The hall: its health, then one signed request. Exit 1
when any check FAILs; warnings (paper low, an unconfigured device, the embedded
hall not running) do not fail. Personal data is never printed: a read shows only
the masked ID number.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

OK, WARNING, FAIL = "ok", "warning", "FAIL"
READ_TIMEOUT = 5.0     # seconds the demo card read may take
PRINT_TIMEOUT = 20.0   # the test receipt, with its QR code, on a slow serial printer
CAPTURE_TIMEOUT = 15.0  # opening the camera, a frame, the page processing
A4_PRINT_TIMEOUT = 150.0  # the A4 test page: a cold laser printer takes a while (the driver's limit is 120 s)


@dataclass
class Check:
    subject: str   # idcard, card, printer, scanner, camera, a4 or hall
    what: str      # health, read, print, capture, signed request
    result: str    # ok, warning or FAIL
    reason: str

    def line(self) -> str:
        return f"{self.result:<7} {self.subject:<8} {self.what}: {self.reason}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S",
                        help="seconds each device may take to open and answer its health check (default 5)")


def run(args: argparse.Namespace) -> int:
    from kiosk.commands.devices import configured_devices

    with configured_devices(args) as (settings, hub):
        checks = device_checks(hub, settings, args.timeout)
    checks += hall_checks(settings)
    ok = all(c.result != FAIL for c in checks)
    if args.json:
        print(json.dumps({"ok": ok, "checks": [asdict(c) for c in checks]}, ensure_ascii=False))
    else:
        for c in checks:
            print(c.line())
    return 0 if ok else 1


# devices -------------------------------------------------------------------------

def device_checks(hub, settings, timeout: float) -> list[Check]:
    from hardware.model import Health
    from kiosk.devices import PROBLEMS

    statuses = hub.check_all(timeout)
    checks = []
    for kind, status in statuses.items():
        url = hub.url(kind)
        if not hub.configured(kind):
            checks.append(Check(kind, "health", WARNING, "not configured (none:), not tested"))
            continue
        result = OK if status.health is Health.OK else FAIL if status.health in PROBLEMS else WARNING
        reason = status.reason or status.health.value
        if status.paper is not None:
            reason += f" (paper {status.paper.value})"
        checks.append(Check(kind, "health", result, f"{reason} [{url}]"))
        if result == FAIL:
            continue  # the device is not usable: a print or read would only repeat why
        extra = EXTRA_CHECKS.get(kind)
        if extra is not None and (kind in ("printer", "a4") or url.startswith("sim:")):
            checks.append(extra(hub, settings))
    return checks


def _printer(hub, settings) -> Check:
    from hardware.model import DeviceError, Health
    from hardware.printer.testpage import selftest_receipt
    try:
        status = hub.call("printer", lambda p: p.print_receipt(selftest_receipt(settings.terminal.name)),
                          PRINT_TIMEOUT)
    except DeviceError as e:
        return Check("printer", "print", FAIL, str(e))
    if status.health is Health.OK:
        return Check("printer", "print", OK, "test receipt printed")
    return Check("printer", "print", WARNING, f"test receipt printed; {status.reason}")


def _a4(hub, settings) -> Check:
    """A test page through the A4 printer's queue: ok only once CUPS says the job completed."""
    from hardware.model import DeviceError
    from kiosk.documents.testpage import self_test_page_pdf
    from kiosk.errors import FontError
    from kiosk.fonts import find_cjk_font
    try:
        fonts = find_cjk_font(settings.ui.font)
    except FontError as e:
        return Check("a4", "print", FAIL, str(e))
    pdf = self_test_page_pdf(settings.terminal.name, fonts.regular, fonts.bold)
    try:
        job = hub.call("a4", lambda p: p.print_pdf(pdf, "A4 test page"), A4_PRINT_TIMEOUT)
    except DeviceError as e:
        return Check("a4", "print", FAIL, str(e))
    return Check("a4", "print", OK, f"test page printed (CUPS job {job} completed)")


def _idcard(hub, settings) -> Check:
    def read(reader) -> str:
        emulator = _sim_part(reader, "emulator", "emulator to place a card on")
        emulator.place(next(iter(emulator.cards)))
        try:
            identity = reader.read_card(timeout=READ_TIMEOUT)
        finally:
            emulator.remove()
        return _masked_and_wiped(identity, identity.id_number, settings)
    return _demo_read(hub, "idcard", read, "ID number")


def _card(hub, settings) -> Check:
    def read(reader) -> str:
        card = _sim_part(reader, "virtual_card", "virtual card to insert")
        card.insert(next(name for name, p in card.profiles.items() if p.kind == "social_security"))
        try:
            record = reader.read(READ_TIMEOUT)
        finally:
            card.remove()
        return _masked_and_wiped(record, record.ssn, settings)
    return _demo_read(hub, "card", read, "social security number")


def _sim_part(reader, name: str, what: str):
    from hardware.model import DeviceError
    part = getattr(reader, name, None)
    if part is None:
        raise DeviceError(f"the sim: reader has no {what}")
    return part


def _masked_and_wiped(record, number: str, settings) -> str:
    from kiosk.privacy import mask_id_number
    masked = mask_id_number(number, settings.privacy.id_show_head, settings.privacy.id_show_tail)
    record.wipe()
    return masked


def _demo_read(hub, kind: str, read, number_name: str) -> Check:
    """Read the sim: emulator's demo card through the real driver; shows the masked number only."""
    from hardware.model import DeviceError
    try:
        masked = hub.call(kind, read, READ_TIMEOUT + 5)
    except DeviceError as e:
        return Check(kind, "read", FAIL, f"reading the emulator's demo card: {e}")
    return Check(kind, "read", OK, f"read the emulator's demo card, {number_name} {masked}")


def _camera(hub, settings) -> Check:
    from hardware.model import DeviceError
    try:
        summary = hub.call("camera", lambda camera: camera.self_test(), CAPTURE_TIMEOUT)
    except DeviceError as e:
        return Check("camera", "capture", FAIL, f"capturing the emulator's page: {e}")
    return Check("camera", "capture", OK, summary)


EXTRA_CHECKS = {"printer": _printer, "idcard": _idcard, "card": _card, "camera": _camera, "a4": _a4}


# the hall ------------------------------------------------------------------------

def hall_checks(settings) -> list[Check]:
    from kiosk import hall_api
    from kiosk.errors import ConfigError
    from kiosk.hall_client import HallClient, HallError, HallUnreachable

    try:
        client = HallClient.from_settings(settings, retries=0)
    except ConfigError as e:
        return [Check("hall", "health", FAIL, str(e))]
    with client:
        try:
            health = hall_api.health(client)
        except HallUnreachable as e:
            if settings.hall.url == "embedded":
                return [Check("hall", "health", WARNING, f"not running at {client.base_url} "
                              "(embedded: kiosk demo starts it)")]
            return [Check("hall", "health", FAIL, f"{e} [{client.base_url}]")]
        except HallError as e:
            return [Check("hall", "health", FAIL, f"{e} [{client.base_url}]")]
        checks = [Check("hall", "health", OK, f"answers, version {health.get('version', '?')} "
                        f"[{client.base_url}]")]
        try:
            total = hall_api.catalog_page(client, limit=1).get("total", "?")
        except HallError as e:
            checks.append(Check("hall", "signed request", FAIL,
                                f"{e} (check terminal.id and terminal.secret)"))
        else:
            checks.append(Check("hall", "signed request", OK,
                                f"accepted for terminal {settings.terminal.id} (catalog: {total} items)"))
    return checks
