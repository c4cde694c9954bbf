"""Touch-to-next-screen time for each step of each resident flow.

The real app runs in this process, in a window on a private Xvfb, on emulated devices (ID
card reader on a pty, printer and scanner on their links) against `kiosk hall` (seed
catalogue, SQLite) in its own process. Each round is one resident's session through guides,
12345, apply (with the ID card), progress, booking, rating, outlets and notices. A step's
time runs from the finger's release to the first frame drawn once the next screen is shown
or, for a step that stays on its screen, once its answer is shown.

    .venv/bin/python bench/flow_steps.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from ui_support import (on_screen, settings_for, start_app, start_hall, stop, summary_ms,
                        temp_folder, time_until, timed_press)

PHONE = "13912345678"


def tile(ui, service: str):
    return next(t for t in ui.screen.ids.tiles.children if t.service == service)


def first_row(ui, container):
    return next(w for w in container.walk(restrict=True) if hasattr(w, "code") and w.code)


def one_round(ui, times: dict[str, list[float]], n: int) -> None:
    import time

    from testing.driver import find_button, type_into

    def step(label: str, seconds: float) -> None:
        times[label].append(seconds)

    def home() -> None:
        ui.app.go_home()
        ui.wait(lambda: ui.app.manager.current == "home" and not ui.app.manager.transition.is_active)

    ui.app.end_session("bench round")
    end = time.monotonic() + 3  # the next resident walks up; the clean-up between residents runs
    while time.monotonic() < end:
        ui.frames(1)
    step("attract -> home", timed_press(ui, ui.screen, on_screen(ui, "home")))

    step("home -> guides list", timed_press(ui, tile(ui, "guides"), lambda: ui.screen.name == "guides"
                                            and bool(ui.screen.ids.results.data)))
    step("guides: item -> guide page", timed_press(ui, first_row(ui, ui.screen.ids.results),
                                                   on_screen(ui, "guides.detail")))
    home()

    step("home -> 12345 types", timed_press(ui, tile(ui, "hotline"), on_screen(ui, "hotline")))
    step("12345: type -> form", timed_press(ui, find_button(ui, "投诉"), on_screen(ui, "hotline.form")))
    form = ui.screen
    type_into(ui, form.ids.content.ids.input, "小区门口路灯坏了三天，晚上很黑")
    type_into(ui, form.ids.location.ids.input, "城关镇东门社区")
    type_into(ui, form.ids.phone.ids.input, PHONE)
    step("12345: form -> review", timed_press(ui, form.ids.next, on_screen(ui, "hotline.review")))
    step("12345: submit -> ticket (hall)", timed_press(ui, ui.screen.ids.submit, on_screen(ui, "hotline.done")))
    home()

    reader = ui.app.services.devices.device("idcard")
    step("home -> apply", timed_press(ui, tile(ui, "apply"), on_screen(ui, "apply")))
    step("apply: start -> identify", timed_press(ui, ui.screen.ids.start, on_screen(ui, "identify")))
    placed = time.perf_counter()
    reader.emulator.place("mainland")
    step("identify: card placed -> masked identity", time_until(ui, placed, lambda: bool(ui.screen.who)))
    step("identify: continue -> item list", timed_press(ui, ui.screen.ids.go, lambda: ui.screen.name
                                                        == "apply.item" and bool(ui.screen.ids.list.data)))
    step("apply: item -> form", timed_press(ui, first_row(ui, ui.screen.ids.list), on_screen(ui, "apply.form")))
    from testing.applying import complete_to_review, field
    if not field(ui, "phone").value:
        type_into(ui, field(ui, "phone").ids.input, PHONE)
    began = time.perf_counter()
    complete_to_review(ui)  # its own fields, the materials (ID card, window or camera), the signature
    step("apply: form -> materials -> review (signed)", time.perf_counter() - began)
    step("apply: submit -> number (hall)", timed_press(ui, ui.screen.ids.submit, on_screen(ui, "apply.done")))
    number = ui.screen.number
    step("apply: rate -> rating", timed_press(ui, ui.screen.ids.rate, on_screen(ui, "rating")))
    rating = ui.screen
    timed_press(ui, find_button(ui, "非常满意"), lambda: True)
    step("rating: submit -> thanks (hall)", timed_press(ui, rating.ids.submit, on_screen(ui, "rating.done")))
    home()

    step("home -> progress", timed_press(ui, tile(ui, "progress"), on_screen(ui, "progress")))
    type_into(ui, ui.screen.ids.number.ids.input, number)
    step("progress: look up -> timeline (hall)", timed_press(ui, ui.screen.ids.look_up,
                                                             lambda: bool(ui.screen.ids.results.children)))
    home()

    step("home -> booking items", timed_press(ui, tile(ui, "booking"), lambda: ui.screen.name == "booking"
                                              and bool(ui.screen.ids.item_list.data)))
    first = ui.screen.ids.item_list.data[0]
    step("booking: item -> outlets", timed_press(ui, find_button(ui, first["label"]), on_screen(ui, "booking.outlet")))
    step("booking: outlet -> days", timed_press(ui, ui.screen.ids.outlets.children[-1], lambda: ui.screen.name
                                                == "booking.time" and bool(ui.screen.ids.days.children)))
    time_screen = ui.screen
    free_days = [b for b in reversed(time_screen.ids.days.children) if not b.disabled]
    day = free_days[n % len(free_days)]  # one booking a person, item and day: a new day each round
    step("booking: day -> slots (hall)", timed_press(ui, day, lambda: bool(time_screen.ids.slots.children)))
    slot = next(b for b in reversed(time_screen.ids.slots.children) if not b.disabled)
    step("booking: slot -> confirm", timed_press(ui, slot, on_screen(ui, "booking.confirm")))
    confirm = ui.screen
    if not confirm.ids.phone.value:
        type_into(ui, confirm.ids.phone.ids.input, PHONE)
    step("booking: book -> ticket (hall)", timed_press(ui, confirm.ids.book, on_screen(ui, "booking.done")))
    home()

    step("home -> outlets", timed_press(ui, tile(ui, "outlets"), lambda: ui.screen.name == "outlets"
                                        and ui.screen.loaded))
    row = ui.screen.ids.results.children[0].children[-1]
    step("outlets: row -> details", timed_press(ui, row, on_screen(ui, "outlets.detail")))
    home()
    step("home -> notices", timed_press(ui, tile(ui, "notices"), lambda: ui.screen.name == "notices"
                                        and bool(ui.screen.ids.results.children[0].children)))
    row = ui.screen.ids.results.children[0].children[-1]
    step("notices: row -> reader", timed_press(ui, row, on_screen(ui, "notices.detail")))
    reader.emulator.remove()
    ui.app.end_session("finished")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = temp_folder()
    hall, url = start_hall(folder)
    try:
        ui = start_app(settings_for(url), folder)
        import screens.identify
        screens.identify.CONTINUE_AFTER = 60.0  # the bench taps "continue" itself
        times: dict[str, list[float]] = defaultdict(list)
        one_round(ui, defaultdict(list), 0)  # warm-up: screens built, catalogue cached, dictionary loaded
        for n in range(1, args.rounds + 1):
            one_round(ui, times, n)
        print(f"touch -> next screen, {args.rounds} rounds (release to the first frame showing it):")
        for label, values in times.items():
            print(f"  {label:44s} {summary_ms(values)}")
        ui.app.stop()
    finally:
        stop(hall)


if __name__ == "__main__":
    main()
