"""Social security card read time through pyscard -> pcscd -> vsmartcard-vpcd -> the virtual card.

    .venv/bin/python bench/card_read.py [--rounds 30]

Prints p50/p95 of: a full read (ATR, SELECT SSSE, 2 file SELECTs, 7 READ RECORDs)
with the card already in the reader; a contactless UID read; and the time from
plugging the card into vpcd to the finished record (dominated by pcscd's card
polling, which is vpcd's business, not the driver's). Starts pcscd if none runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from hardware.card.sim import SimCardReader


def figures(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{name:<40} p50 {statistics.median(ms):8.1f} ms   p95 {p95:8.1f} ms   (n={len(ms)})")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    device = SimCardReader("sim:")
    device.enable()
    if device.unavailable:
        print(f"cannot run: {device.unavailable}")
        return 1
    card = device.virtual_card
    try:
        card.insert("zhang")
        device.read(10)                                   # warm up
        figures("social security read (card present)", [timed(lambda: device.read(10))
                                                        for _ in range(args.rounds)])
        card.insert("admin")
        device.read(10)
        figures("contactless UID read (card present)", [timed(lambda: device.read(10))
                                                         for _ in range(args.rounds)])
        plugged = []
        for _ in range(max(3, args.rounds // 6)):
            card.remove()
            while device.card_present:
                time.sleep(0.01)
            plugged.append(timed(lambda: (card.insert("zhang"), device.read(10))))
        figures("card plugged -> record (incl. pcscd poll)", plugged)
    finally:
        device.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
