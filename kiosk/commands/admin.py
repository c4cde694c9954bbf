"""`kiosk admin set-pin`: set the admin PIN (asked twice without echo, or two lines on --stdin)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    pin = sub.add_parser("set-pin", help="set the admin PIN (4 to 12 digits)")
    pin.add_argument("--stdin", action="store_true",
                     help="read the PIN twice from standard input, one per line (no prompt)")


def _read_twice(from_stdin: bool) -> tuple[str, str]:
    if from_stdin:
        lines = sys.stdin.read().splitlines()
        return (lines + ["", ""])[0].strip(), (lines + ["", ""])[1].strip()
    import getpass
    return getpass.getpass("New admin PIN: "), getpass.getpass("Same PIN again: ")


def run(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.admin import AuditLog, BadPin, PinStore

    settings = config.load(args.config)
    first, second = _read_twice(args.stdin)
    if first != second:
        raise BadPin("the two PINs differ; nothing was changed")
    store = PinStore.for_settings(settings)
    store.set_pin(first)
    AuditLog.for_settings(settings).record("pin set", via="command line")
    print(f"admin PIN set ({store.pin_file})")
    return 0
