"""Time to build a receipt (layout -> ESC/POS bytes) and to render its PNG preview.

Target: building under 50 ms (p95). Run: .venv/bin/python bench/receipt_build.py [--runs N]
"""

from __future__ import annotations

import argparse
import time

from hardware.printer.preview import render
from hardware.printer.receipt import PrintOptions
from hardware.printer.stream import StreamParser
from hardware.printer.testpage import selftest_receipt
from kiosk.fonts import find_cjk_font


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def p(times: list[float], q: float) -> float:
    return times[min(len(times) - 1, int(q * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    fonts = find_cjk_font()
    for width in (58, 80):
        for qr in ("native", "image"):
            options = PrintOptions(width=width, qr=qr)
            receipt = selftest_receipt()
            receipt.encode(options)  # warm caches (profile, imports)
            build = timed(lambda: receipt.encode(options), args.runs)
            data = receipt.encode(options)
            job, = StreamParser().feed(data)
            render(job, options.paper.dots, fonts)  # warm the font cache
            preview = timed(lambda: render(job, options.paper.dots, fonts), max(10, args.runs // 10))
            parse = timed(lambda: StreamParser().feed(data), args.runs)
            print(f"{width} mm, QR {qr:6}: {len(data):5d} bytes | build p50 {p(build, .5):6.2f} ms "
                  f"p95 {p(build, .95):6.2f} ms (target < 50) | parse p50 {p(parse, .5):5.2f} ms | "
                  f"preview p50 {p(preview, .5):6.1f} ms p95 {p(preview, .95):6.1f} ms")


if __name__ == "__main__":
    main()
