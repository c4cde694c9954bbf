"""Start the Kivy app: find the font, set Kivy's Config, run. The CLI's entry into the GUI.

`kiosk run` and `kiosk demo` launch with telemetry: the CLI has already pointed the logs
at stdout (JSON lines for journald, masked: kiosk/logs.py), and the telemetry's ErrorRing
goes on the root logger here, before the app logs anything, so that warnings and errors
reach the next heartbeat. `kiosk screenshot` launches without (no heartbeats, no commands)."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from typing import Callable

from kiosk.config import Settings
from kiosk.fonts import find_cjk_font

log = logging.getLogger("kiosk.launch")


def first_frame_report(app) -> dict:
    """Seconds from process start to the first frame, and memory; for bench/ and systemd."""
    import psutil

    process = psutil.Process()
    return {"first_frame_s": round(time.time() - process.create_time(), 3),
            "rss_mb": round(process.memory_info().rss / 2**20, 1),
            "screen": app.manager.current,
            "fullscreen": str(app.lockdown and "auto"), "lang": app.lang}


def _report_ready(app) -> None:
    from kivy.clock import Clock

    from kiosk import systemd

    systemd.notify("READY=1")
    interval = systemd.watchdog_interval()
    if interval:
        # Sent from the UI thread's clock: a frozen UI stops the pings and systemd restarts us.
        Clock.schedule_interval(lambda _dt: systemd.notify("WATCHDOG=1"), interval)
    path = os.environ.get("KIOSK_READY_FILE")
    if path:
        with open(path + ".tmp", "w") as f:
            json.dump(first_frame_report(app), f)
        os.replace(path + ".tmp", path)


def launch(settings: Settings, *, lockdown: bool, offscreen: bool = False,
           start_screen: str = "attract",
           on_first_frame: Callable | None = None, telemetry: bool = False,
           adjust_settings: Callable[[Settings], Settings] | None = None) -> int:
    if telemetry:
        from kiosk.telemetry import installed_error_ring
        installed_error_ring()
    fonts = find_cjk_font(settings.ui.font, [settings.state_dir() / "fonts"])
    from screens import boot

    boot.prepare(size=settings.window_size(), fullscreen=lockdown,
                 show_cursor=settings.ui.show_cursor or not lockdown,
                 offscreen=offscreen, state_dir=settings.state_dir())
    from screens.app import KioskApp

    def first_frame(app):
        _report_ready(app)
        if on_first_frame:
            on_first_frame(app)

    app = KioskApp(settings, fonts, lockdown=lockdown, start_screen=start_screen,
                   on_first_frame=first_frame, telemetry=telemetry, adjust_settings=adjust_settings,
                   ime_cache=not offscreen)
    _stop_on_sigterm(app)
    app.run()
    return 0


def _stop_on_sigterm(app) -> None:
    """`systemctl stop` sends SIGTERM. SDL would turn it into a window close, which lockdown
    refuses; instead the app stops cleanly (devices closed, outbox committed) and exits 0.
    (Python's handler replaces the one SDL installed when the window was made.)"""
    from kivy.clock import Clock

    def stop(_signum, _frame) -> None:
        log.info("SIGTERM: stopping")
        Clock.schedule_once(lambda _dt: app.stop(), 0)

    signal.signal(signal.SIGTERM, stop)
