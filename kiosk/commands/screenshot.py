"""`kiosk screenshot SCREEN --out PNG`: render one screen offscreen after its first frame."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from kiosk import config
from kiosk.errors import ConfigError, KioskError

# what can be rendered: name -> (screen to start on, what to do once it is up)
TARGETS = {
    "attract": ("attract", None),
    "home": ("home", None),
    "idle-warning": ("home", "idle"),
    # "module:arg": screens.<module>.screenshot_setup(app, arg) prepares the screen and
    # returns a function that says when it is ready to be captured
    "guides": ("guides", "guides:"),
    "guides-search": ("guides", "guides:search:sfz"),
    "guides-detail": ("guides.detail", "guides:detail:GF00101001"),
    "outlets": ("outlets", "outlets:"),
    "outlets-detail": ("outlets", "outlets:qs-zwfw"),
    "notices": ("notices", "notices:"),
    "notices-detail": ("notices", "notices:first"),
    "admin-pin": ("attract", "admin:admin.pin"),
    "admin": ("attract", "admin:admin"),
    "admin-devices": ("attract", "admin:admin.devices"),
    "admin-settings": ("attract", "admin:admin.settings"),
    "admin-outbox": ("attract", "admin:admin.outbox"),
    "admin-logs": ("attract", "admin:admin.logs"),
    "identify": ("identify", "identify:"),
    "identify-done": ("identify", "identify:done"),
    "identify-manual": ("home", "identify:manual"),
    "progress": ("progress", "progress:"),
    "progress-timeline": ("progress", "progress:timeline:yellow"),
    "progress-overdue": ("progress", "progress:timeline:red"),
    "progress-request": ("progress", "progress:request"),
    "progress-correction": ("progress", "progress:correction"),
    "supplement": ("home", "supplement:"),
    "supplement-done": ("home", "supplement:done"),
    "supplement-queued": ("home", "supplement:queued"),
    "apply": ("apply", "apply:"),
    "apply-item": ("home", "apply:item"),
    "apply-form": ("home", "apply:form"),
    "apply-form-problems": ("home", "apply:form-problems"),
    "apply-materials": ("home", "apply:materials"),
    "apply-camera": ("home", "apply:camera"),
    "apply-thumbs": ("home", "apply:thumbs"),
    "apply-review": ("home", "apply:review"),
    "apply-signed": ("home", "apply:signed"),
    "apply-done": ("home", "apply:done"),
    "apply-offline": ("home", "apply:offline"),
    "hotline": ("home", "hotline:"),
    "hotline-form": ("home", "hotline:form"),
    "hotline-review": ("home", "hotline:review"),
    "hotline-done": ("home", "hotline:done"),
    "hotline-offline": ("home", "hotline:offline"),
    "booking": ("home", "booking:"),
    "booking-time": ("home", "booking:time"),
    "booking-confirm": ("home", "booking:confirm"),
    "booking-done": ("home", "booking:done"),
    "rating": ("home", "rating:"),
    "rating-low": ("home", "rating:low"),
    "rating-pick": ("home", "rating:pick"),
    "rating-prove": ("home", "rating:prove"),
    "rating-done": ("home", "rating:done"),
    "certificates": ("home", "certificates:"),
    "certificates-preview": ("home", "certificates:preview"),
    "certificates-done": ("home", "certificates:done"),
    "certificates-fault": ("home", "certificates:fault"),
}
READY_TIMEOUT_S = 20
SETTLE_FRAMES = 3  # frames after the first, so textures have landed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("screen", nargs="?", help="screen name (see --list)")
    parser.add_argument("--out", metavar="PNG", help="where to write the PNG")
    parser.add_argument("--lang", choices=config.LANGUAGES)
    parser.add_argument("--elderly", action="store_true", help="elderly mode (长辈版)")
    parser.add_argument("--size", metavar="WxH", default="1080x1920")
    parser.add_argument("--list", action="store_true", help="name the screens and exit")


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(TARGETS))
        return 0
    if not args.screen or not args.out:
        raise KioskError("give a SCREEN and --out PNG (kiosk screenshot --list names the screens)")
    if args.screen not in TARGETS:
        raise KioskError(f"unknown screen {args.screen!r}; one of: {', '.join(TARGETS)}")
    if config.parse_size(args.size) is None:
        raise ConfigError(f'--size: must be WIDTHxHEIGHT, e.g. "1080x1920" (got "{args.size}")')
    settings = config.load(args.config)
    ui = dataclasses.replace(settings.ui, window_size=args.size, elderly_default=args.elderly,
                             language=args.lang or settings.ui.language)
    # a picture of a screen needs no emulators
    no_devices = dataclasses.replace(settings.devices, idcard="none:", card="none:", printer="none:",
                                     scanner="none:", camera="none:", a4="none:")
    settings = settings.replace(ui=ui, devices=no_devices)
    start, action = TARGETS[args.screen]
    result: dict = {}

    def first_frame(app):
        from kivy.clock import Clock

        ready = None
        if action == "idle":
            app.idle.show_warning()
        elif action:
            import importlib
            module, _, arg = action.partition(":")
            ready = importlib.import_module(f"screens.{module}").screenshot_setup(app, arg)
        frames = iter(range(SETTLE_FRAMES))
        deadline = time.monotonic() + READY_TIMEOUT_S

        def settle(_dt):
            if ready is not None and not ready() and time.monotonic() < deadline:
                Clock.schedule_once(settle, 0.1)
                return
            if next(frames, None) is not None:
                Clock.schedule_once(settle, 0.05)
                return
            from screens.capture import window_image
            try:
                window_image().save(args.out)
                result["ok"] = True
            except OSError as e:
                result["error"] = f"cannot write {args.out}: {e.strerror}"
            app.stop()

        Clock.schedule_once(settle, 0.2)

    from screens.launch import launch
    launch(settings, lockdown=False, offscreen=True, start_screen=start, on_first_frame=first_frame)
    if "error" in result:
        raise KioskError(result["error"])
    print(args.out, file=sys.stdout)
    return 0
