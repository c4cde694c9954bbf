"""Admin mode: the hidden gesture, sign-in (PIN pad or admin card) and the admin screens.

`AdminGesture(app)` (created once by the app) watches every touch without consuming
it: five taps in the top-left corner (100x100 dp) within three seconds open the PIN
pad. It also owns the admin session: signed in, the time of the last admin touch,
the timeout, and leaving (which ends the resident session too).

Restart and exit: systemd's unit has Restart=always, so "restart" stops the app and
exits with RESTART_EXIT; "exit to desktop" exits with DESKTOP_EXIT, which the unit
must list in RestartPreventExitStatus= so that it stays down. Kivy's run() has no
way to hand an exit code back, so both flush the logs and call os._exit after
app.stop() (which has already closed the devices in on_stop).
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import time
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from kiosk import admin as core
from kiosk import config
from kiosk.errors import ConfigError, KioskError
from kiosk.i18n import LANGUAGE_NAMES
from screens import keyboard  # noqa: F401  (registers OnScreenKeyboard for admin.kv)
from screens.home import SERVICE_LABELS
from screens.widgets import KioskScreen, app

Builder.load_file(str(Path(__file__).with_name("admin.kv")))
log = logging.getLogger("kiosk.admin.screens")

CORNER_DP = 100
TAPS = 5
TAP_WINDOW_S = 3.0
RESTART_EXIT = 75   # EX_TEMPFAIL: systemd restarts the app (Restart=always)
DESKTOP_EXIT = 78   # listed in the unit's RestartPreventExitStatus=: the app stays down
CARD_READ_S = 5.0
SCAN_WAIT_S = 15.0


def _leave_process(code: int) -> None:
    app().stop()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class AdminGesture:
    """The hidden gesture and the admin session of one app."""

    def __init__(self, app_) -> None:
        self.app = app_
        self.taps: collections.deque[float] = collections.deque(maxlen=TAPS)
        self.signed_in = False
        self.last_touch = 0.0
        self.clock = time.monotonic
        # injectable so that tests can press the buttons without ending the test process
        self.restart_app = lambda: _leave_process(RESTART_EXIT)
        self.exit_to_desktop = lambda: _leave_process(DESKTOP_EXIT)
        core.recent_logs()  # start keeping log records for the logs screen
        app_.bind(on_stop=self._flush_audit)  # restart and exit leave by os._exit
        Window.bind(on_touch_down=self._touch)
        Clock.schedule_interval(self._tick, 0.5)

    @staticmethod
    def _flush_audit(*_args) -> None:
        # returns None on purpose: a handler that returns True ends the dispatch, and the
        # app's own on_stop (which closes the devices and the outbox) would never run
        core.flush_audit_logs()

    # the gesture -----------------------------------------------------------------
    def in_corner(self, x: float, y: float) -> bool:
        return x <= dp(CORNER_DP) and y >= Window.height - dp(CORNER_DP)

    def _touch(self, _window, touch) -> bool:
        now = self.clock()
        if self.signed_in:
            self.last_touch = now  # any admin touch extends the admin session
            return False
        if not self.in_corner(touch.x, touch.y):
            self.taps.clear()
            return False
        self.taps.append(now)
        if len(self.taps) == TAPS and now - self.taps[0] <= TAP_WINDOW_S:
            self.taps.clear()
            Clock.schedule_once(lambda _dt: self.open_sign_in(), 0)  # after this touch is handled
        return False  # never consume a touch: the screen under the corner still gets it

    def open_sign_in(self) -> None:
        if self.app.manager.current != "admin.pin":
            self.app.show("admin.pin")

    # the session -------------------------------------------------------------------
    @property
    def audit(self) -> core.AuditLog:
        return core.AuditLog.for_settings(self.app.settings)

    def sign_in(self, via: str, **details) -> None:
        self.signed_in = True
        self.last_touch = self.clock()
        self.audit.record("login", via=via, **details)
        self.app.history.clear()
        self.app.show("admin", remember=False)

    def leave(self, reason: str = "left") -> None:
        """Leave admin mode: back to the attract screen, the resident session ended too."""
        if self.signed_in:
            self.signed_in = False
            self.audit.record("logout", reason=reason)
        self.app.end_session(f"admin mode: {reason}")

    def left_in(self) -> float:
        return self.app.settings.admin.session_timeout - (self.clock() - self.last_touch)

    def _tick(self, _dt) -> None:
        if not self.signed_in:
            return
        if self.left_in() <= 0:
            self.leave("timeout")
            return
        idle = getattr(self.app, "idle", None)
        if idle is not None:
            idle.last_activity = time.monotonic()  # the admin timeout rules here, not the resident's

    def restart(self) -> None:
        self.audit.record("restart")
        self.restart_app()

    def exit(self) -> None:
        self.audit.record("exit to desktop")
        self.exit_to_desktop()


def gesture():
    return app().admin


class AdminScreen(KioskScreen):
    """An admin screen: only shown while signed in (anything else returns to the attract screen)."""

    def on_pre_enter(self, *_):
        self.show_nav = False
        if not gesture().signed_in:
            Clock.schedule_once(lambda _dt: gesture().leave("not signed in"), 0)


# sign-in ----------------------------------------------------------------------------

class AdminPinScreen(KioskScreen):
    pin = StringProperty("")
    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        for key in "123456789":
            self._key(key, lambda d=key: self.digit(d))
        self._key("Clear", self.clear, "plain")
        self._key("0", lambda: self.digit("0"))
        self._key("OK", self.submit)

    def _key(self, label: str, action, role: str = "accent") -> None:
        button = Factory.AdminKey(msgid=label, role=role, font_size=app().theme.heading)
        button.bind(on_release=lambda *_: action())
        self.ids.pad.add_widget(button)

    def on_pre_enter(self, *_):
        self.show_nav = False
        self.pin, self.message = "", ""
        app().bind(on_device_event=self._device_event)
        app().background(core.PinStore.for_settings(app().settings).locked_for,
                         done=self._show_lock, failed=lambda _e: None)

    def on_leave(self, *_):
        app().unbind(on_device_event=self._device_event)
        self.pin = ""

    def on_wiped(self) -> None:
        self.pin, self.message = "", ""

    def _show_lock(self, seconds: float) -> None:
        if seconds > 0:
            self.message = self.locked_text(core.Attempt(False, 0, seconds))

    @staticmethod
    def locked_text(attempt) -> str:
        return app().t("Too many wrong PINs. PIN entry is locked for {minutes} more minutes.").format(
            minutes=attempt.minutes_left)

    def digit(self, d: str) -> None:
        if len(self.pin) < 12 and not self.busy:
            self.pin += d

    def clear(self) -> None:
        self.pin = ""

    def submit(self) -> None:
        if not self.pin or self.busy:
            return
        pin, self.pin, self.busy = self.pin, "", True
        store = core.PinStore.for_settings(app().settings)
        app().background(store.check, pin, done=self._checked, failed=self._failed)

    def _checked(self, attempt: core.Attempt) -> None:
        self.busy = False
        if attempt.ok:
            gesture().sign_in("pin")
            return
        if attempt.locked_for:
            gesture().audit.record("login failed", via="pin", locked_for=round(attempt.locked_for))
            self.message = self.locked_text(attempt)
        else:
            gesture().audit.record("login failed", via="pin", tries_left=attempt.tries_left)
            self.message = app().t("Wrong PIN. {tries} tries left.").format(tries=attempt.tries_left)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        if isinstance(error, core.NoPin):
            self.message = app().t("No admin PIN is set on this terminal. Use an admin card, or set a PIN with: kiosk admin set-pin")
        else:
            self.message = str(error) if isinstance(error, KioskError) else type(error).__name__

    # admin card ---------------------------------------------------------------------
    def _device_event(self, _app, event) -> None:
        if event.kind == "card_inserted" and event.device == "card" and not self.busy:
            self.busy = True
            self.message = app().t("Reading the card...")
            app().background(read_card_uid, app().services.devices, done=self._card_read,
                             failed=self._failed_card)

    def _card_read(self, uid: str) -> None:
        self.busy = False
        if uid and core.card_allowed(app().settings, uid):
            gesture().sign_in("card", card=uid)
            return
        gesture().audit.record("login failed", via="card", card=uid or "not contactless")
        self.message = app().t("This card is not an admin card.")

    def _failed_card(self, error: BaseException) -> None:
        self.busy = False
        self.message = app().t("The card could not be read. Hold it on the reader again.")
        log.warning("admin card read failed: %s", type(error).__name__)


def read_card_uid(devices) -> str:
    """The contactless UID of the card on the reader; "" for a card without one (a social
    security card is wiped at once: its data is not needed here)."""
    record = devices.call("card", lambda reader: reader.read(CARD_READ_S), CARD_READ_S + 5)
    uid = record.uid
    record.wipe()
    return uid


# admin home -------------------------------------------------------------------------

class AdminHomeScreen(AdminScreen):
    left = NumericProperty(0)

    def on_enter(self, *_):
        self._timer = Clock.schedule_interval(self._update, 0.5)
        self._update(0)

    def on_leave(self, *_):
        self._timer.cancel()

    def _update(self, _dt) -> None:
        self.left = max(0, int(gesture().left_in()))


# devices ------------------------------------------------------------------------------

def device_lines(hub) -> list[dict]:
    """One row per device for the screen: kind, health, reason, paper, counters."""
    rows = []
    for kind, d in hub.describe().items():
        counters = ", ".join(f"{k} {v}" for k, v in sorted(d["counters"].items())) or "-"
        rows.append({"kind": kind, "health": d["health"], "reason": d["reason"] or "-",
                     "paper": d["paper"] or "", "counters": counters, "url": d["url"]})
    return rows


def self_test(hub, settings, what: str) -> tuple[str, str]:
    """Run one self-test (print, idcard, card) with `kiosk selftest`'s checks: (result, reason)."""
    from kiosk.commands.selftest import EXTRA_CHECKS

    kind = {"print": "printer", "print a4": "a4"}.get(what, what)
    if not hub.configured(kind):
        return "warning", f"{kind}: not configured"
    if kind not in ("printer", "a4") and not hub.url(kind).startswith("sim:"):
        return read_real(hub, settings, kind)
    check = EXTRA_CHECKS[kind](hub, settings)
    return check.result, check.reason


def read_real(hub, settings, kind: str) -> tuple[str, str]:
    """A real reader: wait for the admin's card; show only the masked number."""
    from hardware.model import DeviceError
    from kiosk.privacy import mask_id_number

    head, tail = settings.privacy.id_show_head, settings.privacy.id_show_tail
    try:
        if kind == "idcard":
            identity = hub.call(kind, lambda r: r.read_card(timeout=SCAN_WAIT_S), SCAN_WAIT_S + 5)
            shown = mask_id_number(identity.id_number, head, tail)
            identity.wipe()
        else:
            record = hub.call(kind, lambda r: r.read(SCAN_WAIT_S), SCAN_WAIT_S + 5)
            shown = record.uid or mask_id_number(record.ssn, head, tail)
            record.wipe()
    except DeviceError as e:
        return "FAIL", str(e)
    return "ok", f"read {shown}"


TEST_LABELS = {"print": "Print a test page", "print a4": "Print an A4 test page", "idcard": "Read an ID card",
               "card": "Read a smart card",
               "scan": "Scan a code", "health check": "Check devices again"}


class AdminDevicesScreen(AdminScreen):
    rows = ListProperty([])
    result = StringProperty("")
    busy = BooleanProperty(False)

    def on_enter(self, *_):
        self.refresh()
        self._timer = Clock.schedule_interval(lambda _dt: self.refresh(), 2)
        app().bind(on_device_event=self._device_event)

    def on_leave(self, *_):
        self._timer.cancel()
        app().unbind(on_device_event=self._device_event)
        self._scan_timeout(cancel=True)

    def refresh(self) -> None:
        services = app().services
        if services is not None:
            self.rows = device_lines(services.devices)

    def check_all(self) -> None:
        self._run("health check", lambda hub, _s: (hub.check_all(), ("ok", "checked"))[1])

    def test(self, what: str) -> None:
        self._run(what, lambda hub, settings: self_test(hub, settings, what))

    def _run(self, what: str, job) -> None:
        if self.busy or app().services is None:
            return
        self.busy, self.result = True, app().t("Testing...")
        hub, settings = app().services.devices, app().settings
        app().background(job, hub, settings, done=lambda r: self._done(what, r),
                         failed=lambda e: self._done(what, ("FAIL", type(e).__name__)))

    def _done(self, what: str, outcome: tuple[str, str]) -> None:
        result, reason = outcome
        self.busy = False
        self.result = f"{app().t(TEST_LABELS[what])}: {result} - {reason}"
        gesture().audit.record("self-test", test=what, result=result)
        self.refresh()

    # scan: wait for a "scanned" event (the emulator is told to send one on a sim: scanner)
    def scan(self) -> None:
        services = app().services
        if self.busy or services is None:
            return
        self.busy, self.result = True, app().t("Scan a code now...")
        self._waiting = Clock.schedule_once(lambda _dt: self._scan_timeout(), SCAN_WAIT_S)
        hub = services.devices
        if hub.url("scanner").startswith("sim:"):
            app().background(hub.call, "scanner", lambda s: s.emulator.send("ADMIN-SELFTEST"), 5,
                             failed=lambda e: self._scanned(None, str(e)))

    def _device_event(self, _app, event) -> None:
        if event.kind == "scanned" and self.busy and getattr(self, "_waiting", None):
            self._scanned(str(event.data))

    def _scanned(self, code: str | None, problem: str = "") -> None:
        self._scan_timeout(cancel=True)
        shown = ("ok", f"scanned {len(code)} characters: {code[:24]}") if code else ("FAIL", problem)
        self._done("scan", shown)

    def _scan_timeout(self, cancel: bool = False) -> None:
        waiting, self._waiting = getattr(self, "_waiting", None), None
        if waiting is None:
            return
        waiting.cancel()
        if not cancel:
            self._done("scan", ("FAIL", f"nothing scanned within {SCAN_WAIT_S:g} s"))


# settings ------------------------------------------------------------------------------

TEXT_FIELDS = ("hall.url", "terminal.id", "terminal.secret", "devices.idcard", "devices.card",
               "devices.printer", "devices.a4", "devices.scanner", "ui.idle_timeout")
FIELD_LABELS = {
    "hall.url": "Online hall address", "terminal.id": "Terminal ID",
    "terminal.secret": "Terminal secret (blank: unchanged)", "devices.idcard": "ID card reader",
    "devices.card": "Smart card reader", "devices.printer": "Receipt printer", "devices.a4": "A4 printer",
    "devices.scanner": "Scanner", "ui.idle_timeout": "Idle timeout (seconds)",
}


def _current(settings, key: str):
    section, name = key.split(".")
    return getattr(getattr(settings, section), name)


def edits_from_form(settings, texts: dict[str, str], services: list[str], languages: list[str],
                    elderly: bool) -> dict:
    """What the form changes, typed as the settings file would carry it (validation is config's)."""
    edits: dict = {}
    for key, text in texts.items():
        text = text.strip()
        if key == "terminal.secret" and not text:
            continue  # blank: keep the secret (it is never shown)
        if key == "ui.idle_timeout":
            text = int(text) if text.isascii() and text.isdigit() else text
        if text != _current(settings, key):
            edits[key] = text
    wanted = {"ui.services": [s for s in config.SERVICES if s in services],
              "ui.languages": [lang for lang in config.LANGUAGES if lang in languages],
              "ui.elderly_default": elderly}
    edits.update({k: v for k, v in wanted.items() if v != _current(settings, k)})
    if "ui.languages" in edits and edits["ui.languages"] and settings.ui.language not in edits["ui.languages"]:
        edits["ui.language"] = edits["ui.languages"][0]  # the default language must be offered
    return edits


class AdminSettingsScreen(AdminScreen):
    services = ListProperty([])
    languages = ListProperty([])
    elderly_default = BooleanProperty(False)
    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        for service in config.SERVICES:
            self._toggle(self.ids.services, "services", service, SERVICE_LABELS[service][0])
        for lang in config.LANGUAGES:
            self._toggle(self.ids.languages, "languages", lang, LANGUAGE_NAMES[lang])
        self.keyboard = keyboard.OnScreenKeyboard(layout="letters", layouts=["letters", "digits"])
        self.ids.keyboard_slot.add_widget(self.keyboard)

    def _toggle(self, grid, which: str, value: str, label: str) -> None:
        button = Factory.AdminToggle(label=label)
        button.bind(on_release=lambda *_: self.toggle(which, value))
        self.bind(**{which: lambda _s, chosen, b=button: setattr(b, "selected", value in chosen)})
        grid.add_widget(button)

    def type_symbol(self, symbol: str) -> None:
        target = self.keyboard.target
        if target is not None:
            target.insert_text(symbol)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        self.load_form()

    def load_form(self) -> None:
        s = app().settings
        for key in TEXT_FIELDS:
            self.ids[key.replace(".", "_")].text = "" if key == "terminal.secret" else str(_current(s, key))
        self.services, self.languages = list(s.ui.services), list(s.ui.languages)
        self.elderly_default, self.message = s.ui.elderly_default, ""

    def on_wiped(self) -> None:
        if "terminal_secret" in self.ids:
            self.ids.terminal_secret.text = ""

    def toggle(self, which: str, value: str) -> None:
        chosen = list(getattr(self, which))
        chosen.remove(value) if value in chosen else chosen.append(value)
        setattr(self, which, chosen)

    def save(self) -> None:
        if self.busy:
            return
        current = app().settings
        texts = {key: self.ids[key.replace(".", "_")].text for key in TEXT_FIELDS}
        edits = edits_from_form(current, texts, self.services, self.languages, self.elderly_default)
        if not edits:
            self.message = app().t("Nothing changed.")
            return
        try:
            new = core.with_edits(current, edits)
        except ConfigError as e:
            self.refuse(e, edits)
            return
        self.busy = True
        self.message = app().t("Saving...")
        app().background(save_edits, current, edits, done=lambda saved: self._saved(current, new, saved),
                         failed=lambda e: self.refuse(e, edits))

    def refuse(self, error: BaseException, edits: dict) -> None:
        self.busy = False
        text = str(error).removeprefix("settings: ")
        self.message = app().t("Not saved: {reason}").format(reason=text)
        gesture().audit.record("settings refused", keys=sorted(edits))

    def _saved(self, old, new, saved_to: str | None) -> None:
        self.busy = False
        gesture().audit.record("settings changed", keys=core.changed_keys(old, new),
                               file=saved_to or "not saved (no settings file)")
        app().apply_settings(new)
        self.message = (app().t("Saved and applied.") if saved_to else
                        app().t("Applied. Not saved: this terminal started without a settings file."))
        self.ids.terminal_secret.text = ""


def save_edits(current, edits: dict) -> str | None:
    """Apply `edits` to the settings file the app started with (on a worker); its path or None.

    The file is read again, not rebuilt from the running settings: `kiosk demo` runs with
    overrides (sim: devices, the embedded hall) that do not belong in the file."""
    path = core.settings_path(current)
    if path is None:
        return None
    on_disk = config.load(str(path))
    core.save_settings(path, core.with_edits(on_disk, edits))
    return str(path)


# outbox and logs -------------------------------------------------------------------------

def outbox_figures(outbox) -> tuple[int, float | None]:
    return outbox.depth(), outbox.oldest_age()


class AdminOutboxScreen(AdminScreen):
    depth = NumericProperty(-1)
    oldest = StringProperty("")
    result = StringProperty("")
    busy = BooleanProperty(False)

    def on_enter(self, *_):
        self.result = ""
        self.refresh()
        self._timer = Clock.schedule_interval(lambda _dt: self.refresh(), 2)

    def on_leave(self, *_):
        self._timer.cancel()

    def refresh(self) -> None:
        if app().services is not None:
            app().background(outbox_figures, app().services.outbox, done=self._show,
                             failed=lambda e: setattr(self, "result", type(e).__name__))

    def _show(self, figures) -> None:
        self.depth, age = figures
        self.oldest = "-" if age is None else format_age(age)

    def send_now(self) -> None:
        if self.busy or app().services is None:
            return
        self.busy, self.result = True, app().t("Sending...")
        app().background(app().services.outbox.send_now, done=self._sent,
                         failed=lambda e: self._sent(None, e))

    def _sent(self, report, error=None) -> None:
        self.busy = False
        if report is None:
            self.result = type(error).__name__
            gesture().audit.record("send outbox now", error=type(error).__name__)
        else:
            self.result = app().t("Sent {sent}, refused {rejected}, still waiting {deferred}.").format(
                sent=report.sent, rejected=report.rejected, deferred=report.deferred)
            gesture().audit.record("send outbox now", sent=report.sent, rejected=report.rejected,
                                   deferred=report.deferred)
        self.refresh()


def format_age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class AdminLogsScreen(AdminScreen):
    def on_enter(self, *_):
        self.refresh()

    def refresh(self) -> None:
        lines = core.recent_logs().lines()[::-1]  # newest first
        self.ids.lines.data = [{"text": line} for line in lines] or [{"text": app().t("No log records yet.")}]


# kiosk screenshot ----------------------------------------------------------------------------

def screenshot_setup(app_, arg: str):
    """`kiosk screenshot admin-*`: sign in without a PIN (a picture only) and open the screen."""
    target = arg or "admin"
    if target == "admin.pin":
        app_.show("admin.pin")
        return None
    app_.admin.signed_in = True
    app_.admin.last_touch = app_.admin.clock()
    app_.show(target)
    if target == "admin.outbox":
        return lambda: app_.screen(target).depth >= 0
    return None


SCREENS = {"admin": AdminHomeScreen, "admin.pin": AdminPinScreen, "admin.devices": AdminDevicesScreen,
           "admin.settings": AdminSettingsScreen, "admin.outbox": AdminOutboxScreen,
           "admin.logs": AdminLogsScreen}
