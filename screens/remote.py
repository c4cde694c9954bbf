"""Commands from the fleet console, carried out on this terminal.

kiosk.telemetry fetches the commands with each heartbeat and runs every handler on a
thread of its own; `register(telemetry, app)` (called by the app each time it builds
its services) gives it the handlers below. What has to touch Kivy (the window's
pixels, a modal, new settings, leaving the app) is handed to the main thread with
`Clock.schedule_once` while the handler's thread waits on an Event with a timeout;
the file reads, the PNG encoding and the printing stay off the main thread.

- reload_settings: read the settings file again (off the UI thread), then
  `app.apply_settings` on the UI thread; unchanged settings are left alone.
- restart: leave the process the way the admin screen's restart does (systemd starts
  the app again); Telemetry reports the command after the restart.
- print_test: the admin self-test's test page, through the device hub's printer.
- screenshot: the window as PNG bytes; refused while a resident may be on screen.
- message(text, seconds): a modal that closes itself after `seconds`.
Each one is written to the admin audit log (kind only: never a message's text).
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any, Callable

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.modalview import ModalView

from kiosk import admin as core
from kiosk import config
from kiosk.errors import ConfigError, KioskError

Builder.load_file(str(Path(__file__).with_name("remote.kv")))

UI_TIMEOUT = 10.0        # a main thread that does not answer in this time is reported, not waited for
RESTART_DELAY = 0.5      # the restart leaves after the handler has returned to the telemetry worker
PNG_MAX = 2 * 1024 * 1024 - 64 * 1024  # the hall takes up to 2 MB; some room for the request
MESSAGE_SECONDS = (5, 3600)
MESSAGE_MAX = 200
# Screens that show only public information: a screenshot of them carries no personal data.
PUBLIC_SCREENS = ("attract", "home", "guides", "outlets", "notices")


class RemoteError(KioskError):
    """A command that could not be carried out; its message is the detail the console shows."""


class RemoteMessage(ModalView):
    """An operator's message on screen; closes itself after `seconds`."""

    text = StringProperty("")
    seconds = NumericProperty(60)


def on_ui_thread(work: Callable[[], Any], timeout: float = UI_TIMEOUT) -> Any:
    """Run `work()` on Kivy's main thread and wait for its result (from any other thread)."""
    done, outcome = threading.Event(), {}

    def run(_dt) -> None:
        try:
            outcome["result"] = work()
        except BaseException as e:  # handed to the waiting thread
            outcome["error"] = e
        finally:
            done.set()

    Clock.schedule_once(run, 0)
    if not done.wait(timeout):
        raise RemoteError(f"the screen did not answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def resident_present(app) -> bool:
    """True while a resident's data may be on screen: anything kept in the session, or a
    screen other than the public ones (an admin at the terminal counts too)."""
    if app.session.data:
        return True
    manager = app.manager
    current = manager.current if manager is not None else ""
    return current.split(".")[0] not in PUBLIC_SCREENS


def register(telemetry, app) -> None:
    """Give `telemetry` (kiosk.telemetry.Telemetry) this app's handlers for every command."""
    audited = lambda kind, handler: _audited(app, kind, handler)  # noqa: E731
    telemetry.register("reload_settings", audited("reload_settings", lambda: reload_settings(app)))
    telemetry.register("restart", audited("restart", lambda: restart(app)))
    telemetry.register("print_test", audited("print_test", lambda: print_test(app)))
    telemetry.register("screenshot", audited("screenshot", lambda: screenshot(app)))
    telemetry.register("message", audited("message", lambda text, seconds: message(app, text, seconds)))


def _audited(app, kind: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        core.AuditLog.for_settings(app.settings).record("hall command", kind=kind)
        return handler(*args, **kwargs)
    return run


# the handlers (each runs on a telemetry handler thread) ------------------------------------

def reload_settings(app) -> str:
    current = app.settings
    path = core.settings_path(current)
    if path is None:
        raise RemoteError("this terminal started without a settings file: nothing to reload")
    try:
        new = app.adjust_settings(config.load(str(path)))
    except ConfigError as e:
        raise RemoteError(f"not reloaded: {_without_secret(str(e))}") from None
    if new == current:
        return f"{path.name} unchanged"
    changed = core.changed_keys(current, new)
    on_ui_thread(lambda: app.apply_settings(new))
    return f"reloaded {path.name}: " + (", ".join(changed) or "applied")


def _without_secret(text: str) -> str:
    """A refused terminal.secret's message without the value (the console is no place for it)."""
    if "terminal.secret" in text:
        return re.sub(r"\s*\(got .*\)$", "", text)
    return text


def restart(app) -> str:
    # Not waited for: leaving stops the services, and with them the telemetry thread that waits
    # for this handler. Telemetry has kept the command's id and reports it after the restart.
    Clock.schedule_once(lambda _dt: app.admin.restart_app(), RESTART_DELAY)
    return "restarting"


def print_test(app) -> str:
    from screens.admin import self_test

    services = app.services
    if services is None:
        raise RemoteError("the terminal is still starting")
    hub = services.devices
    if not hub.configured("printer"):
        raise RemoteError("this terminal has no printer")
    result, reason = self_test(hub, app.settings, "print")
    if result not in ("ok", "warning"):
        raise RemoteError(reason)
    return reason


def screenshot(app) -> bytes:
    def grab():
        # Checked again here, on the main thread: the resident may have touched the screen since.
        if resident_present(app):
            raise RemoteError("resident session active")
        from screens.capture import window_image
        return window_image()

    return png_bytes(on_ui_thread(grab))


def png_bytes(image) -> bytes:
    """The image as PNG, halved until the hall takes it."""
    while True:
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False, compress_level=6)
        if out.tell() <= PNG_MAX or image.width < 200:
            return out.getvalue()
        image = image.resize((image.width // 2, image.height // 2))


def message(app, text: str, seconds: int) -> str:
    text = " ".join(str(text).split())[:MESSAGE_MAX]
    if not text:
        raise RemoteError("the message has no text")
    seconds = min(MESSAGE_SECONDS[1], max(MESSAGE_SECONDS[0], int(seconds)))
    on_ui_thread(lambda: show_message(app, text, seconds))
    return f"shown for {seconds} s"


# on the main thread -------------------------------------------------------------------

def show_message(app, text: str, seconds: int) -> RemoteMessage:
    """Open the message (replacing one still shown) and close it after `seconds`."""
    old = getattr(app, "remote_message", None)
    if old is not None:
        old.dismiss(animation=False)
    view = RemoteMessage(text=text, seconds=seconds)
    closing = Clock.schedule_once(lambda _dt: view.dismiss(animation=False), seconds)

    def closed(*_):
        closing.cancel()
        if getattr(app, "remote_message", None) is view:
            app.remote_message = None

    view.bind(on_dismiss=closed)
    app.remote_message = view
    view.open(animation=False)
    return view
