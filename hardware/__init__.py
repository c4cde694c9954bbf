"""Hardware abstraction layer: the device model, one driver package per device kind
(idcard, card, printer, scanner) and a wire-level emulator of each."""

from __future__ import annotations

from hardware.model import Device, DeviceError
from hardware.urls import KINDS, DeviceUrl, configured, open_device

__all__ = ["KINDS", "Device", "DeviceError", "DeviceUrl", "configured", "open_device"]
