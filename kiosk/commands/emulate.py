"""`kiosk emulate KIND ...`: run one device's wire-level emulator in the foreground.

Each device package owns its emulator's options: `hardware.<kind>.emulator`
provides `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib

from hardware import KINDS


def _emulator(kind: str):
    try:
        return importlib.import_module(f"hardware.{kind}.emulator")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("hardware."):
            return None
        raise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    for kind in KINDS:
        module = _emulator(kind)
        p = kinds.add_parser(kind, help=f"emulate the {kind} device" + ("" if module else " (not available yet)"))
        if module:
            module.add_arguments(p)
            p.set_defaults(emulate=module.run)
        else:
            p.set_defaults(emulate=None)


def run(args: argparse.Namespace) -> int:
    from kiosk.errors import NotAvailableYet
    if args.emulate is None:
        raise NotAvailableYet(f"the {args.kind} emulator is not available yet")
    return args.emulate(args)
