"""`kiosk devices`: open the configured devices and show each one's health.

Exit 0 when none is in error, offline or absent (a `none:` device counts as
absent), else 1.
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager

from kiosk.errors import KioskError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S",
                        help="seconds each device may take to open and answer (default 5)")


def format_line(d: dict) -> str:
    line = f"{d['kind']:<8} {d['health']:<8} {d['url']}"
    if d["reason"]:
        line += f"  {d['reason']}"
    if d["paper"]:
        line += f"  paper: {d['paper']}"
    line += "  counters: " + (" ".join(f"{k}={v}" for k, v in sorted(d["counters"].items())) or "none")
    return line


@contextmanager
def configured_devices(args: argparse.Namespace):
    """(settings, hub): --config loaded, --timeout checked, every configured device opening on its
    own thread; the hub is closed after. Shared with `kiosk selftest`."""
    from kiosk import config
    from kiosk.devices import DeviceHub

    if not 0 < args.timeout <= 120:
        raise KioskError("--timeout: must be a number of seconds from 0 to 120")
    settings = config.load(args.config)
    hub = DeviceHub.from_settings(settings).start(check=False)
    try:
        yield settings, hub
    finally:
        hub.close()


def run(args: argparse.Namespace) -> int:
    from kiosk.devices import PROBLEMS

    with configured_devices(args) as (settings, hub):
        # opening and the check run on each device's thread, one after the other
        hub.check_all(args.timeout)
        devices = hub.describe()
    ok = all(d["health"] not in {h.value for h in PROBLEMS} for d in devices.values())
    if args.json:
        print(json.dumps({"ok": ok, "config": settings.source, "devices": devices}, ensure_ascii=False))
    else:
        for d in devices.values():
            print(format_line(d))
    return 0 if ok else 1
