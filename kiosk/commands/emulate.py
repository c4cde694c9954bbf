"""`kiosk emulate KIND ...`: run one device's wire-level emulator in the foreground.

Each device package owns its emulator's options: `hardware.<kind>.emulator`
provides `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib

from hardware import KINDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    for kind in KINDS:
        module = importlib.import_module(f"hardware.{kind}.emulator")
        p = kinds.add_parser(kind, help=f"emulate the {kind} device")
        module.add_arguments(p)
        p.set_defaults(emulate=module.run)


def run(args: argparse.Namespace) -> int:
    return args.emulate(args)
