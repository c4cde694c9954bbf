"""Helpers for the GUI tests: a real hall, settings that point the app at it,
readability and pixel checks, and decoding a QR code shown on screen (zbar)."""

from __future__ import annotations

import dataclasses
import functools
import subprocess

from fontTools.ttLib import TTFont

from kiosk.config import Settings
from screens.theme import rgba
from testing.driver import find_button, open_tile, press, reveal, type_into, type_on_keyboard  # noqa: F401 (driving a flow)
from testing.processes import free_port
from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET, HallProcess  # noqa: F401 (the flows' hall)


def hall_settings(url: str, **devices: str) -> Settings:
    """Default settings with the hall at `url` (this test hall's terminal credentials), and no
    social security card reader unless one is asked for: vpcd has one virtual slot, which the
    card tests (on their own test worker) need."""
    base = Settings()
    return base.replace(
        hall=dataclasses.replace(base.hall, url=url, timeout=2.0),
        terminal=dataclasses.replace(base.terminal, id=TERMINAL_ID, secret=TERMINAL_SECRET),
        devices=dataclasses.replace(base.devices, **{"card": "none:", **devices}))


def dead_hall_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@functools.lru_cache
def _cmap(path: str) -> set[int]:
    return set(TTFont(path, lazy=True)["cmap"].getBestCmap())


def assert_readable(ui, root=None) -> None:
    """No tofu (every character is in the font) and no clipped text."""
    cmap = _cmap(str(ui.app.fonts.regular))
    for label in ui.labels(root):
        missing = [ch for ch in label.text if not ch.isspace() and ord(ch) not in cmap]
        assert not missing, f"tofu in {label.text!r}: {missing}"
        tw, th = label.texture_size
        assert tw <= label.width + 1 and th <= label.height + 1, \
            f"clipped: {label.text!r} needs {tw}x{th}, has {label.width:.0f}x{label.height:.0f}"


def assert_elderly_sizes(ui, root=None) -> None:
    dp = ui.app.theme.scale
    for label in ui.labels(root):
        assert label.font_size >= 30 * dp - 0.01, f"{label.text!r} is {label.font_size / dp} dp"


def pixel(image, widget, dx=0.0, dy=0.0):
    """The colour at a point of a widget (dx, dy as fractions of its size from its corner)."""
    x, y = widget.to_window(widget.x + widget.width * dx, widget.y + widget.height * dy)
    return image.getpixel((int(x), image.height - 1 - int(y)))


def close_to(rgb, hex_colour, tolerance=6):
    expected = [round(c * 255) for c in rgba(hex_colour)[:3]]
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, expected))


def widget_image(image, widget):
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return image.crop((int(x0), int(image.height - y1), int(x1), int(image.height - y0)))


def decode_qr(image, tmp_path) -> list[str]:
    """What zbar reads in a (cropped) screenshot: the QR codes' data."""
    path = tmp_path / "qr.png"
    image.save(path)
    done = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True,
                          timeout=30)
    return done.stdout.split()


ONLY_PRINTER = {"printer": "sim:", "idcard": "none:", "card": "none:", "scanner": "none:", "camera": "none:"}


def attach_printer(ui, timeout: float = 20.0):
    """The app's sim: printer once the DeviceHub has opened it; its emulator is `.emulator`.
    Use with settings whose devices are ONLY_PRINTER (no card reader to start: quicker)."""
    hub = ui.app.services.devices
    ui.wait(lambda: hub.device("printer") is not None, timeout=timeout, what="the printer to open")
    return hub.device("printer")


def detach_printer(ui, printer) -> None:
    printer.emulator.clear_faults()


def hall_client(hall):
    from kiosk.hall_client import HallClient
    return HallClient(hall.url, TERMINAL_ID, TERMINAL_SECRET, timeout=5.0)


# -- identity and devices (added for the identify / progress / apply tests) ------------------
def device(ui, kind: str, timeout: float = 15.0):
    """The app's open `kind` device (from the DeviceHub), once it is open."""
    def ready():
        hub = ui.app.services.devices if ui.app.services is not None else None
        found = hub.device(kind) if hub is not None else None
        # health ok: the driver talks to the device (a scan sent before that is lost in the pty)
        return found is not None and found.lifecycle.value == "enabled" and found.status.health.value == "ok"
    try:
        ui.wait(ready, timeout=timeout, what=f"the {kind} device")
    except AssertionError:
        hub = ui.app.services.devices
        raise AssertionError(f"the {kind} device is not ready: {hub.describe().get(kind)}") from None
    return ui.app.services.devices.device(kind)


def every_text(ui) -> str:
    """Every label and text field in every screen and on the window, joined (privacy checks)."""
    from kivy.core.window import Window
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput
    roots = list(ui.app.manager.screens) + list(Window.children)
    found = []
    for root in roots:
        for w in root.walk(restrict=True):
            if isinstance(w, (Label, TextInput)):
                found.append(w.text)
            found.append(getattr(w, "hint_text", "") or "")
    return "\n".join(t for t in found if isinstance(t, str))
