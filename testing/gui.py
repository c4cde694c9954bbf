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
                found.append(getattr(w, "raw", "") or "")  # a KinsokuLabel's unbroken text
            found.append(getattr(w, "hint_text", "") or "")
    return "\n".join(t for t in found if isinstance(t, str))


# -- accessibility measured on a real frame (长辈版: PRODUCT.md's 适老化 rules) -------------------
@dataclasses.dataclass
class Measured:
    """The worst figures of one screen, each with what it was measured on."""
    text_dp: tuple[float, str] = (float("inf"), "")
    target_dp: tuple[float, str] = (float("inf"), "")
    text_contrast: tuple[float, str] = (float("inf"), "")
    edge_contrast: tuple[float, str] = (float("inf"), "")

    def keep(self, name: str, value: float, what: str) -> None:
        if value < getattr(self, name)[0]:
            setattr(self, name, (value, what))

    def line(self, screen: str) -> str:
        return (f"{screen}: text {self.text_dp[0]:.0f} dp ({self.text_dp[1]!r}), "
                f"targets {self.target_dp[0]:.0f} dp ({self.target_dp[1]!r}), "
                f"text contrast {self.text_contrast[0]:.1f}:1 ({self.text_contrast[1]!r}), "
                f"edges {self.edge_contrast[0]:.1f}:1 ({self.edge_contrast[1]!r})")


def _luminance(rgb) -> float:
    channels = [c / 255 for c in rgb[:3]]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def pixel_contrast(a, b) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _window_rect(widget):
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return x0, y0, x1, y1


def _in_view(widget, image) -> bool:
    """Wholly on the frame and not scrolled out of (or under the edge of) its ScrollView."""
    from kivy.uix.scrollview import ScrollView
    x0, y0, x1, y1 = _window_rect(widget)
    if x0 < 0 or y0 < 0 or x1 > image.width or y1 > image.height or x1 - x0 < 4 or y1 - y0 < 4:
        return False
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if parent.opacity == 0:  # kept for its room, not shown (the keyboard's bar outside pinyin)
            return False
        if isinstance(parent, ScrollView):
            vx0, vy0, vx1, vy1 = _window_rect(parent)
            if x0 < vx0 or y0 < vy0 or x1 > vx1 or y1 > vy1:
                return False
        parent = parent.parent
    return True


def _ink_contrast(image, widget) -> float:
    """The label's text against its background, from the frame's pixels: the background is the
    commonest colour of its box, the text the colour (of a few pixels at least, not one
    anti-aliased edge) that differs from it most."""
    colours = widget_image(image, widget).convert("RGB").getcolors(1 << 20) or []
    if len(colours) < 2:
        return 1.0
    colours.sort(reverse=True)
    background = colours[0][1]
    solid = [rgb for count, rgb in colours[1:] if count >= 4] or [colours[1][1]]
    return max(pixel_contrast(rgb, background) for rgb in solid)


def _edge_contrast(image, widget) -> float:
    """A touch target's edge (its border or its fill) against what is just outside it, on the
    frame: the strongest difference across its left edge at mid-height."""
    x0, y0, x1, y1 = _window_rect(widget)
    y = int(image.height - 1 - (y0 + y1) / 2)
    outside = image.getpixel((max(0, int(x0) - 3), y))
    across = [image.getpixel((int(x0) + dx, y)) for dx in range(0, 6)]
    return max(pixel_contrast(rgb, outside) for rgb in across)


def measure_accessibility(ui, image=None) -> Measured:
    """What a resident gets on the current screen, from the widgets drawn on a real frame:
    the smallest text (dp), the smallest touch target (dp, its shorter side), the lowest text
    contrast and the lowest contrast of a target's edge against its surroundings."""
    from kivy.core.window import Window
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.textinput import TextInput
    image = (image or ui.screenshot()).convert("RGB")
    dp = ui.app.theme.scale
    found = Measured()
    # a view over the screen (the idle warning) is what can be read and touched, not what it dims
    over = [w for w in Window.children if w is not ui.app.root]
    roots = over or [ui.screen]
    labels = [label for root in roots for label in ui.labels(root)]
    widgets = [w for root in roots for w in ui.widgets(root)]
    for label in labels:
        if not _in_view(label, image) or not label.text.strip():
            continue
        found.keep("text_dp", label.font_size / dp, label.text)
        found.keep("text_contrast", _ink_contrast(image, label), label.text)
    for widget in widgets:
        if not isinstance(widget, (ButtonBehavior, TextInput)) or widget.opacity == 0 \
                or widget.disabled or not _in_view(widget, image):
            continue
        name = getattr(widget, "text", "") or getattr(widget, "hint_text", "") or type(widget).__name__
        found.keep("target_dp", min(widget.width, widget.height) / dp, name)
        found.keep("edge_contrast", _edge_contrast(image, widget), name)
    return found


def assert_accessible(ui, screen: str, image=None) -> Measured:
    """The 长辈版 rules on the current screen, measured (and printed for the issue note)."""
    found = measure_accessibility(ui, image)
    print(found.line(screen))
    assert found.text_dp[0] >= 30, f"{screen}: text {found.text_dp}"
    assert found.target_dp[0] >= 60, f"{screen}: target {found.target_dp}"
    assert found.text_contrast[0] >= 4.5, f"{screen}: text contrast {found.text_contrast}"
    assert found.edge_contrast[0] >= 3.0, f"{screen}: edge contrast {found.edge_contrast}"
    return found
