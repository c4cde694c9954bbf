"""ID card read time: card placed -> identity record, over the emulator at 115200 baud.

The emulator paces its answers at the line speed (10 bits a byte), so what is left
after taking away the wire time of the bytes is the driver's and the host's
overhead (target: under 30 ms). Two figures:
  polled  placed on the reader -> `identity` event from the polling thread
          (includes waiting for the next poll, up to --poll seconds)
  direct  read_card() with the card already there: find + select + read
Usage: .venv/bin/python bench/idcard_read.py [--reads 50] [--poll 0.02] [--transport pty|tcp]
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time

from hardware.idcard import frame
from hardware.idcard.driver import POLL_INTERVAL, IdCardReader
from hardware.idcard.emulator import IdCardEmulator

BAUD = 115200
# find, select, read 30 01: request and answer bytes
WIRE_BYTES = (10 + len(frame.answer(frame.FIND_OK, bytes(4)))
              + 10 + len(frame.answer(frame.OK, bytes(8)))
              + 10 + 1295)
WIRE_MS = WIRE_BYTES * 10 / BAUD * 1000


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--poll", type=float, default=POLL_INTERVAL, help="polling interval in seconds")
    parser.add_argument("--transport", choices=("pty", "tcp"), default="pty")
    args = parser.parse_args()

    emulator = IdCardEmulator(transport=args.transport, baudrate=BAUD, pace=True).start()
    reader = IdCardReader(emulator.url, emulator.link.driver_address, BAUD, poll_interval=args.poll)
    got, gone = threading.Event(), threading.Event()
    arrived: list[float] = []

    def on_event(event) -> None:
        if event.kind == "identity":
            arrived.append(event.at)
            event.data.wipe()
            got.set()
        elif event.kind == "card_removed":
            gone.set()

    reader.subscribe(on_event)
    polled, direct = [], []
    try:
        reader.enable()
        for _ in range(args.reads):
            got.clear()
            gone.clear()
            time.sleep(random.uniform(0, 3 * args.poll))  # place at a random point of the poll cycle
            placed = time.monotonic()
            emulator.place("mainland")
            if not got.wait(5):
                raise SystemExit(f"no identity within 5 s: {reader.status.reason}")
            polled.append((arrived[-1] - placed) * 1000)
            emulator.remove()
            gone.wait(5)
        reader.disable()
        for _ in range(args.reads):
            emulator.remove()
            emulator.place("mainland")
            start = time.monotonic()
            reader.read_card(timeout=2).wipe()
            direct.append((time.monotonic() - start) * 1000)
    finally:
        reader.close()
        emulator.stop()

    print(f"ID card read over the emulator ({args.transport}, {BAUD} baud, {args.reads} reads, "
          f"poll every {args.poll * 1000:.0f} ms)")
    print(f"wire time of find + select + read: {WIRE_BYTES} bytes = {WIRE_MS:.1f} ms")
    for name, values in (("polled", polled), ("direct", direct)):
        p50, p95 = percentiles(values)
        print(f"{name}: total p50 {p50:.1f} ms  p95 {p95:.1f} ms  |  overhead p50 {p50 - WIRE_MS:.1f} ms  "
              f"p95 {p95 - WIRE_MS:.1f} ms  (target < 30 ms)")


if __name__ == "__main__":
    main()
