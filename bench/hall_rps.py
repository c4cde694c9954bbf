"""Hall requests per second on this machine: catalogue reads and submissions, over loopback.

Starts `kiosk hall` on a free port with a fresh SQLite file in a temp directory, drives
it from a few client threads with real signed requests, prints figures, and stops it.
Bounded: at most --count requests and --seconds per scenario.

    .venv/bin/python bench/hall_rps.py [--count 2000] [--seconds 20] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
from hall.auth import sign

TERMINAL, SECRET = "demo-001", "demo-secret"


class Signed(requests.auth.AuthBase):
    def __call__(self, request):
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(18)
        request.headers.update({"X-Terminal-Id": TERMINAL, "X-Timestamp": timestamp, "X-Nonce": nonce,
                                "X-Signature": sign(SECRET, request.method, request.path_url, body, timestamp,
                                                    nonce)})
        return request


def start_hall(tmp: Path, seed: Path) -> tuple[subprocess.Popen, str]:
    log = open(tmp / "hall.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "hall", "--port", "0", "--db",
                                str(tmp / "hall.db"), "--seed", str(seed)], stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        match = re.search(r"serving (http://[\d.]+:\d+)", (tmp / "hall.log").read_text(errors="replace"))
        if match:
            return process, match[1]
        time.sleep(0.05)
    process.kill()
    sys.exit(f"hall did not start: {(tmp / 'hall.log').read_text()}")


def drive(name: str, call, count: int, seconds: float, threads: int) -> None:
    local = threading.local()
    latencies, errors, lock = [], 0, threading.Lock()
    stop_at = time.monotonic() + seconds

    def one(i: int):
        nonlocal errors
        if time.monotonic() > stop_at:
            return
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.auth = Signed()
        started = time.perf_counter()
        response = call(local.session, i)
        took = time.perf_counter() - started
        with lock:
            latencies.append(took)
            errors += response.status_code >= 400

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    print(f"{name:<34} {len(ms):>6} req {len(ms) / wall:>8.1f} req/s   p50 {statistics.median(ms):6.1f} ms   "
          f"p95 {ms[int(len(ms) * 0.95) - 1]:6.1f} ms   errors {errors}")


def person(i: int) -> dict:
    first17 = f"52010219900101{i % 1000:03d}"
    weights = [2 ** (17 - k) % 11 for k in range(17)]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]
    return {"name": "测试者", "id_number": first17 + check, "phone": f"139{i:08d}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="requests per scenario (default 2000)")
    parser.add_argument("--seconds", type=float, default=20, help="time cap per scenario (default 20)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--seed", type=Path, help="seed directory (default assets/seed, else the test fixture)")
    args = parser.parse_args()
    seed = args.seed or (ROOT / "assets" / "seed")
    if not (seed / "catalog.json").exists():
        seed = ROOT / "tests" / "hall" / "seed"
    with tempfile.TemporaryDirectory() as tmp:
        process, base = start_hall(Path(tmp), seed)
        try:
            items = json.loads((seed / "catalog.json").read_text(encoding="utf-8"))["items"]
            online = [i["code"] for i in items if i["online"]]
            print(f"hall at {base}, seed {seed.relative_to(ROOT)} ({len(items)} items), {args.threads} client "
                  f"threads, {os.cpu_count()} CPUs, SQLite WAL synchronous=FULL")
            api = base + "/api/v1"
            drive("GET /catalog?q=... (search, page)", lambda s, i: s.get(f"{api}/catalog?q={'sfz' if i % 2 else ''}"),
                  args.count, args.seconds, args.threads)
            drive("GET /catalog/{code}", lambda s, i: s.get(f"{api}/catalog/{items[i % len(items)]['code']}"),
                  args.count, args.seconds, args.threads)
            drive("GET /catalog/export (ETag 304)", lambda s, i: s.get(
                f"{api}/catalog/export", headers={"If-None-Match": s.get(f"{api}/catalog/export").headers["ETag"]}
                if i == 0 else {"If-None-Match": "*"}), args.count, args.seconds, args.threads)
            drive("POST /requests (12345)", lambda s, i: s.post(
                f"{api}/requests", json={"type": "咨询", "content": "压力测试的咨询内容", "phone": f"139{i:08d}"},
                headers={"Idempotency-Key": uuid.uuid4().hex}), args.count // 2, args.seconds, args.threads)
            drive("POST /applications", lambda s, i: s.post(
                f"{api}/applications", json={"item_code": online[i % len(online)], "applicant": person(i),
                                             "form": {"说明": "基准测试"}},
                headers={"Idempotency-Key": uuid.uuid4().hex}), args.count // 2, args.seconds, args.threads)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
