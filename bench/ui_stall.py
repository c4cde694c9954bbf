"""The longest UI-thread stall while the hall takes 2 s to answer and an ID card read takes 1 s.

The real app runs in this process (a window on a private Xvfb) against `kiosk hall` behind a proxy that holds
every answer back 2 s, with the ID card emulator's line paced so a card's record takes about
1 s on the wire. A frame clock records the time between frames; the gaps counted are those
while the app waits for the hall or the card (target: none over 50 ms). Reported apart: the
frames that build and show a new screen (UI work a touch asks for, bench/flow_steps.py
times it), and the attract screen's clean-up after each resident.

    .venv/bin/python bench/ui_stall.py [--rounds 3] [--hall-delay 2] [--card-seconds 1]
"""

from __future__ import annotations

import argparse
import sys
import time

from ui_support import (FrameClock, SlowProxy, percentile, settings_for, start_app, start_hall,
                        stop, temp_folder)

VERBOSE = "--verbose" in sys.argv  # print each long gap: (frame of the wait, ms)
RECORD_BYTES = 1359  # a SAM_V identity answer with its photo (hardware/idcard/frame.py)


class Waits:
    def __init__(self, ui, clock: FrameClock) -> None:
        self.ui, self.clock = ui, clock
        self.waiting: dict[str, list[float]] = {}
        self.seconds: dict[str, list[float]] = {}
        self.showing: list[float] = []  # frames building and fading in a new screen
        self.between: list[float] = []  # frames on the attract screen between residents

    def show(self, condition, timeout: float = 20.0) -> None:
        """Draw frames until a new screen is up (`condition()` and its transition has finished)."""
        first = len(self.clock.gaps)
        self.ui.wait(lambda: condition() and not self.ui.app.manager.transition.is_active, timeout=timeout)
        self.showing.extend(self.clock.gaps[first:])

    def next_resident(self, seconds: float = 3.0) -> None:
        """End the session and stay on the attract screen as long as it takes the next
        resident to walk up; the clean-up between residents runs meanwhile."""
        first = len(self.clock.gaps)
        self.ui.app.end_session("bench round")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.ui.frames(1)
        self.between.extend(self.clock.gaps[first:])

    def until(self, label: str, condition, timeout: float = 30.0) -> None:
        """Draw frames until `condition()`; the gaps before the answer count as waiting."""
        start, first = time.perf_counter(), len(self.clock.gaps)
        while not condition():
            if time.perf_counter() - start > timeout:
                raise AssertionError(f"{label}: no answer in {timeout} s on {self.ui.app.manager.current}")
            self.ui.frames(1)
        gaps = self.clock.gaps[first:-1]
        self.showing.append(self.clock.gaps[-1])  # the answer's own work: showing it
        if VERBOSE:
            print(label, [(i, round(g * 1000)) for i, g in enumerate(gaps) if g > 0.05], len(gaps))
        self.waiting.setdefault(label, []).extend(gaps)
        self.seconds.setdefault(label, []).append(time.perf_counter() - start)


def tap(ui, widget) -> None:
    from kivy.tests.common import UnitTestTouch
    ui.wait(lambda: not ui.app.manager.transition.is_active, what="screen transition")
    touch = UnitTestTouch(*widget.to_window(*widget.center))
    touch.touch_down()
    ui.frames(3)
    touch.touch_up()


def one_round(ui, waits: Waits) -> None:
    from testing.driver import find_button, type_into

    def tile(service):
        ui.app.go_home()
        waits.show(lambda: ui.app.manager.current == "home")
        return next(t for t in ui.screen.ids.tiles.children if t.service == service)

    waits.next_resident()
    tap(ui, tile("notices"))
    waits.show(lambda: ui.screen.name == "notices")
    waits.until("notices from the hall", lambda: ui.screen.name == "notices" and ui.screen.loaded)

    tap(ui, tile("apply"))
    waits.show(lambda: ui.screen.name == "apply")
    tap(ui, ui.screen.ids.start)
    waits.show(lambda: ui.screen.name == "identify")
    ui.app.services.devices.device("idcard").emulator.place("mainland")
    waits.until("ID card read", lambda: bool(ui.screen.who))
    tap(ui, ui.screen.ids.go)
    waits.show(lambda: ui.screen.name == "apply.item" and bool(ui.screen.ids.list.data))
    row = next(w for w in ui.screen.ids.list.walk(restrict=True) if getattr(w, "code", ""))
    tap(ui, row)
    waits.show(lambda: ui.screen.name == "apply.form")
    from testing.applying import complete_to_review
    complete_to_review(ui)  # its own fields, the materials, the signature
    waits.show(lambda: ui.screen.name == "apply.review")
    tap(ui, ui.screen.ids.submit)
    waits.until("application to the hall", lambda: ui.screen.name == "apply.done")
    number = ui.screen.number

    tap(ui, tile("progress"))
    waits.show(lambda: ui.screen.name == "progress")
    type_into(ui, ui.screen.ids.number.ids.input, number)
    tap(ui, ui.screen.ids.look_up)
    waits.until("progress from the hall", lambda: bool(ui.screen.ids.results.children))

    tap(ui, tile("hotline"))
    waits.show(lambda: ui.screen.name == "hotline")
    tap(ui, find_button(ui, "咨询"))
    waits.show(lambda: ui.screen.name == "hotline.form")
    form = ui.screen
    type_into(ui, form.ids.content.ids.input, "请问新生儿落户需要什么材料")
    type_into(ui, form.ids.phone.ids.input, "13912345678")
    tap(ui, form.ids.next)
    waits.show(lambda: ui.screen.name == "hotline.review")
    tap(ui, ui.screen.ids.submit)
    waits.until("12345 request to the hall", lambda: ui.screen.name == "hotline.done")
    ui.app.services.devices.device("idcard").emulator.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hall-delay", type=float, default=2.0)
    parser.add_argument("--card-seconds", type=float, default=1.0)
    parser.add_argument("--verbose", action="store_true", help="print each gap over 50 ms")
    args = parser.parse_args()
    folder = temp_folder()
    hall, url = start_hall(folder)
    try:
        proxy = SlowProxy(url, args.hall_delay)
        ui = start_app(settings_for(proxy.url, hall_timeout=args.hall_delay + 5), folder)
        import screens.identify
        screens.identify.CONTINUE_AFTER = 60.0  # the bench taps "continue" itself
        ui.app.services.devices.device("idcard").emulator.link.baudrate = round(RECORD_BYTES * 10 / args.card_seconds)
        clock = FrameClock().start()
        one_round(ui, Waits(ui, clock))  # warm-up: screens, catalogue and dictionary loaded
        waits = Waits(ui, clock)
        for _ in range(args.rounds):
            one_round(ui, waits)
        every = clock.stop()
        print(f"UI thread while waiting: hall answers after {args.hall_delay:.1f} s, an ID card read takes "
              f"~{args.card_seconds:.1f} s ({args.rounds} rounds)")
        worst = 0.0
        for label, gaps in waits.waiting.items():
            took = sorted(waits.seconds[label])
            worst = max(worst, max(gaps))
            print(f"  {label:28s} waited {took[len(took) // 2]:5.2f} s; frames {len(gaps):5d}, "
                  f"longest {max(gaps) * 1000:6.1f} ms, p99 {percentile(gaps, 99) * 1000:5.1f} ms, "
                  f"over 50 ms: {sum(g > 0.05 for g in gaps)}")
        print(f"longest stall while waiting on I/O: {worst * 1000:.1f} ms (target: under 50 ms)")
        for label, gaps in (("showing a new screen", waits.showing), ("attract, between residents", waits.between),
                            ("all frames of the run", every)):
            print(f"{label}: longest frame {max(gaps) * 1000:.1f} ms, p99 {percentile(gaps, 99) * 1000:.1f} ms, "
                  f"over 50 ms: {sum(g > 0.05 for g in gaps)} of {len(gaps)}")
        ui.app.stop()
    finally:
        stop(hall)


if __name__ == "__main__":
    main()
