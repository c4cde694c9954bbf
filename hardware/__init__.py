"""Hardware abstraction layer: the device model, one driver package per device
kind (idcard, card, printer, scanner, camera) and a wire-level emulator of each."""

from __future__ import annotations

import importlib

from hardware.model import Device, DeviceError

KINDS = ("idcard", "card", "printer", "scanner", "camera")


def open_device(kind: str, url: str) -> Device:
    """The driver for `url`, picked by the device kind's package (`hardware.<kind>.from_url`).

    `sim:` starts that kind's emulator in-process and connects the real driver to it.
    """
    if kind not in KINDS:
        raise DeviceError(f"unknown device kind {kind!r}")
    try:
        package = importlib.import_module(f"hardware.{kind}")
    except ModuleNotFoundError as e:
        if e.name == f"hardware.{kind}":
            raise DeviceError(f"{kind}: not available yet (no driver package)") from None
        raise
    return package.from_url(url)
