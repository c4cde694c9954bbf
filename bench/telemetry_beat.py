"""What the terminal's telemetry costs: snapshot, heartbeat round trip, /metrics scrape, log masking.

    .venv/bin/python bench/telemetry_beat.py [--rounds 200]

Starts a `kiosk hall` on a free port with a temporary SQLite file (stopped by pid at the end),
heartbeats to it with kiosk.telemetry.Telemetry, scrapes the local /metrics endpoint, and
times one JSON log line through the privacy filter. Prints p50/p95 of each.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from testing.telemetry import TERMINAL, Hall

from hardware.model import Health, Paper, Status
from kiosk import logs
from kiosk.hall_client import HallClient
from kiosk.telemetry import ErrorRing, Telemetry, TransactionCounter


def figures(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{name:<36} p50 {statistics.median(ms):8.3f} ms   p95 {p95:8.3f} ms   (n={len(ms)})")


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hall = Hall(Path(tmp)).start()
        try:
            counter = TransactionCounter()
            for kind in ("apply", "guide_print", "hotline", "rating"):
                counter.count(kind, 3)
            devices = {"idcard": Status(Health.OK, "ready"), "card": Status(Health.OK, "ready"),
                       "printer": Status(Health.WARNING, "paper near end", Paper.LOW),
                       "scanner": Status(Health.OK, "ready")}
            telemetry = Telemetry(HallClient(hall.url, *TERMINAL, retries=0), devices=lambda: devices,
                                  transactions=counter, errors=ErrorRing(), screen=lambda: "home",
                                  state_dir=tmp)
            port = telemetry.serve_metrics(0)
            figures("snapshot (psutil + providers)", timed(telemetry.snapshot, args.rounds))
            figures("heartbeat round trip (local hall)", timed(telemetry.beat, args.rounds))
            scrape = requests.Session()
            figures("GET /metrics (127.0.0.1)", timed(
                lambda: scrape.get(f"http://127.0.0.1:{port}/metrics", timeout=5).raise_for_status(), args.rounds))
            telemetry.stop()
        finally:
            hall.stop()
    logger = logging.getLogger("bench.logs")
    logger.propagate = False
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logs.JsonFormatter())
    logger.addHandler(handler)
    figures("JSON log line, no filter", timed(lambda: logger.warning("printer %s: %s", "printer", "paper low"),
                                              args.rounds * 10))
    handler.addFilter(logs.PrivacyFilter())
    figures("JSON log line, privacy filter", timed(
        lambda: logger.warning("printer %s: %s", "printer", "paper low"), args.rounds * 10))
    return 0


if __name__ == "__main__":
    sys.exit(main())
