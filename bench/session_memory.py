"""Memory after many residents' sessions: does the app keep anything from a finished session?

The real app runs in this process (a window on a private Xvfb) on emulated devices against `kiosk hall`. One
simulated session: touch to start, search the guides and open a guide, identify with the ID
card, look up progress by identity (a hall call), file a 12345 request (a hall call, a printed
ticket), then take the card away or let it end by "finish". The process's RSS is read after
session 10 and after the last (default 500), each time after a garbage collection.
Target: growth under 10%.

    .venv/bin/python bench/session_memory.py [--sessions 500]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

import psutil

from ui_support import settings_for, start_app, start_hall, stop, temp_folder


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def one_session(ui, n: int) -> None:
    from testing.driver import find_button, type_into

    app = ui.app
    reader = app.services.devices.device("idcard")

    def tap(widget) -> None:
        ui.tap(widget)

    def tile(service):
        app.go_home()
        ui.wait(lambda: app.manager.current == "home" and not app.manager.transition.is_active)
        return next(t for t in ui.screen.ids.tiles.children if t.service == service)

    tap(ui.screen)  # the attract screen
    ui.wait(lambda: app.manager.current == "home")
    tap(tile("guides"))
    ui.wait(lambda: ui.screen.name == "guides" and bool(ui.screen.ids.results.data), timeout=20)
    ui.screen.ids.search.text = "sfz"
    ui.wait(lambda: ui.screen.ids.results.data and len(ui.screen.ids.results.data) < 143, timeout=10)
    ui.frames(3)
    row = next(w for w in ui.screen.ids.results.walk(restrict=True) if getattr(w, "code", ""))
    tap(row)
    ui.wait(lambda: ui.screen.name == "guides.detail", timeout=10)

    tap(tile("progress"))
    ui.wait(lambda: ui.screen.name == "progress")
    tap(ui.screen.ids.mine)
    ui.wait(lambda: ui.screen.name == "identify" and not app.manager.transition.is_active)
    reader.emulator.place("mainland" if n % 2 else "elderly")
    ui.wait(lambda: ui.screen.name == "progress", timeout=20, what="identified, back to progress")
    ui.wait(lambda: not ui.screen.busy and (bool(ui.screen.ids.results.children) or bool(ui.screen.problem)),
            timeout=20, what="the answer")

    tap(tile("hotline"))
    ui.wait(lambda: ui.screen.name == "hotline")
    tap(find_button(ui, "咨询"))
    ui.wait(lambda: ui.screen.name == "hotline.form")
    form = ui.screen
    type_into(ui, form.ids.content.ids.input, f"请问新生儿落户需要什么材料（第 {n} 位）")
    type_into(ui, form.ids.phone.ids.input, "13912345678")
    tap(form.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review", timeout=10)
    tap(ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=20)
    if n % 2:
        reader.emulator.remove()  # the resident walks off with the card
        app.end_session("finished")
    else:
        app.end_session("finished")
        reader.emulator.remove()
    ui.frames(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    args = parser.parse_args()
    folder = temp_folder()
    hall, url = start_hall(folder)
    try:
        ui = start_app(settings_for(url), folder)
        import screens.identify
        screens.identify.CONTINUE_AFTER = 0.2
        started = time.monotonic()
        at_10 = 0.0
        for n in range(1, args.sessions + 1):
            try:
                one_session(ui, n)
            except AssertionError as e:
                sys.exit(f"session {n} on {ui.screen.name}: {e}; the screen says: {ui.texts()}")
            if n == 10:
                at_10 = rss_mb()
                print(f"after {n:4d} sessions: RSS {at_10:6.1f} MB", flush=True)
            elif n % 100 == 0:
                print(f"after {n:4d} sessions: RSS {rss_mb():6.1f} MB", flush=True)
        last = rss_mb()
        print(f"after {args.sessions:4d} sessions: RSS {last:6.1f} MB; growth since session 10: "
              f"{(last - at_10) / at_10 * 100:+.1f}% (target: under 10%); "
              f"{(time.monotonic() - started) / args.sessions:.2f} s a session")
        ui.app.stop()
    finally:
        stop(hall)


if __name__ == "__main__":
    main()
