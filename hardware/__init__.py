"""Hardware abstraction layer: the device model, one driver package per device kind
(idcard, card, printer,
scanner, camera) and a wire-level emulator of each.

Nothing here imports kiosk/: what a driver or emulator needs from the terminal (the
fonts of a printer preview, a card file) is passed in by the caller.
"""

from __future__ import annotations

import os
from pathlib import Path

from hardware.model import Device, DeviceError
from hardware.urls import KINDS, DeviceUrl, configured, open_device

__all__ = ["KINDS", "DEMO_SEED", "Device", "DeviceError", "DeviceUrl", "configured", "open_device"]

# The fictional demo cards the emulators load unless given others: assets/seed, or
# $KIOSK_ASSETS/seed (the folder kiosk.paths.SEED names too).
DEMO_SEED = Path(os.environ.get("KIOSK_ASSETS", Path(__file__).resolve().parent.parent / "assets")) / "seed"
