"""Fleet figures on this machine: heartbeats/s the hall ingests, and the console's render time.

Registers --terminals terminals in a fresh SQLite file (temp directory), starts `kiosk hall`
on a free port, and sends signed heartbeats from --procs client processes (each with
--conns keep-alive connections) over loopback, bounded by --count and --seconds. Every
terminal heartbeats at least once, so the console then lists them all; the console page
(first page of 200, with counts over all terminals) and /metrics are timed after.
The clients run on the same CPUs as the hall, and so does anything else running: the load
average before the run and the hall's own CPU time per heartbeat are printed with the rate.

    .venv/bin/python bench/heartbeats.py [--terminals 10000] [--count 30000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
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
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
OPERATOR = ("bench", "bench-password")


def secret_of(terminal_id: str) -> str:
    return "secret-" + terminal_id


def register(db: Path, count: int) -> list[str]:
    from sqlalchemy import insert

    from hall import db as hall_db
    from hall import fleet  # noqa: F401  (the fleet tables)

    database = hall_db.Database(str(db))
    ids = [f"T{n:05d}" for n in range(count)]
    with database.engine.begin() as conn:
        conn.execute(insert(hall_db.Terminal), [{"id": i, "name": f"终端 {i}", "secret": secret_of(i)} for i in ids])
    database.dispose()
    return ids


def body_for(n: int) -> bytes:
    paper = "low" if n % 20 == 0 else "ok"
    printer = "offline" if n % 50 == 7 else "ok"
    return json.dumps({
        "app_version": "1.4.2", "uptime_s": 3600 + n, "cpu_percent": 12.5, "memory_mb": 210.0,
        "disk_free_mb": 20000.0, "outbox_depth": n % 3, "outbox_oldest_s": None,
        "transactions_today": {"apply": n % 7, "guide_print": n % 11},
        "devices": {"idcard": {"health": "ok"}, "card": {"health": "ok"}, "scanner": {"health": "ok"},
                    "printer": {"health": printer, "reason": "" if printer == "ok" else "no answer", "paper": paper}},
        "last_errors": [], "screen": "home"}).encode()


def client(port: int, ids: list[str], count: int, seconds: float, conns: int, out) -> None:
    """One client process: `conns` threads, each a keep-alive connection, taking terminals in turn."""
    bodies = {}
    lock, done, ms, errors = threading.Lock(), [0], [], [0]
    deadline = time.monotonic() + seconds

    def worker(offset: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = offset
        while time.monotonic() < deadline:
            with lock:
                if done[0] >= count:
                    return
                done[0] += 1
            terminal_id = ids[i % len(ids)]
            i += conns
            body = bodies.setdefault(terminal_id, body_for(int(terminal_id[1:])))
            timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
            message = f"POST\n/api/v1/heartbeat\n{hashlib.sha256(body).hexdigest()}\n{timestamp}\n{nonce}".encode()
            headers = {"Content-Type": "application/json", "X-Terminal-Id": terminal_id, "X-Timestamp": timestamp,
                       "X-Nonce": nonce, "X-Signature": hmac.new(secret_of(terminal_id).encode(), message,
                                                                 hashlib.sha256).hexdigest()}
            start = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/heartbeat", body, headers)
                answer = conn.getresponse()
                answer.read()
                ok = answer.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            with lock:
                ms.append((time.perf_counter() - start) * 1000)
                errors[0] += not ok

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((ms, errors[0]))


def drive(port: int, ids: list[str], count: int, seconds: float, procs: int, conns: int) -> tuple[float, list, int]:
    out = multiprocessing.Queue()
    shares = [ids[k::procs] for k in range(procs)]
    workers = [multiprocessing.Process(target=client, args=(port, shares[k], count // procs, seconds, conns, out))
               for k in range(procs)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    wall = time.perf_counter() - start
    for w in workers:
        w.join()
    return wall, [m for ms, _ in results for m in ms], sum(e for _, e in results)


def timed_get(http: requests.Session, url: str, times: int) -> tuple[float, float, int]:
    ms, size = [], 0
    for _ in range(times):
        start = time.perf_counter()
        answer = http.get(url, timeout=60)
        ms.append((time.perf_counter() - start) * 1000)
        answer.raise_for_status()
        size = len(answer.content)
    return statistics.median(ms), max(ms), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=30_000, help="heartbeats to send at most (default 30000)")
    parser.add_argument("--seconds", type=float, default=30, help="time cap for sending (default 30)")
    parser.add_argument("--procs", type=int, default=3, help="client processes (default 3)")
    parser.add_argument("--conns", type=int, default=8, help="connections per client process (default 8)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "hall.db"
        ids = register(db, args.terminals)
        log = open(Path(tmp) / "hall.log", "wb")
        hall = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "hall", "--port", "0", "--db", str(db),
                                 "--seed", str(ROOT / "tests" / "hall" / "seed"), "--operator", ":".join(OPERATOR)],
                                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            match, deadline = None, time.monotonic() + 60
            while not match and hall.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
                match = re.search(r"serving http://[\d.]+:(\d+)/", (Path(tmp) / "hall.log").read_text(errors="replace"))
            if not match:
                sys.exit("kiosk hall did not start:\n" + (Path(tmp) / "hall.log").read_text())
            port = int(match[1])
            print(f"{args.terminals} terminals, {os.cpu_count()} CPUs (shared with the clients), SQLite WAL "
                  f"synchronous=FULL; {args.procs} client processes x {args.conns} connections; "
                  f"load average {os.getloadavg()[0]:.1f} before the run")
            hall_cpu = psutil.Process(hall.pid)
            before = hall_cpu.cpu_times()
            wall, ms, errors = drive(port, ids, args.count, args.seconds, args.procs, args.conns)
            after = hall_cpu.cpu_times()
            ms.sort()
            ok = len(ms) - errors
            print(f"heartbeats: {ok} ok, {errors} errors in {wall:.1f} s = "
                  f"{ok / wall:.0f} heartbeats/s   p50 {statistics.median(ms):.1f} ms   "
                  f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms   (10,000 terminals every 30 s need 333/s)")
            used = after.user + after.system - before.user - before.system
            print(f"hall CPU: {used:.1f} s = {used / max(ok, 1) * 1e6:.0f} us per heartbeat "
                  f"({used / wall:.2f} of {os.cpu_count()} CPUs)")

            http = requests.Session()
            page = http.get(f"http://127.0.0.1:{port}/console/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
            http.post(f"http://127.0.0.1:{port}/console/login",
                      data={"name": OPERATOR[0], "password": OPERATOR[1], "csrf": csrf})
            listed = http.get(f"http://127.0.0.1:{port}/console/").text
            counts = re.search(r"全部 All \((\d+)\)", listed)[1]
            for label, path in (("console /console/ (page of 200)", "/console/"),
                                ("console /console/?state=red", "/console/?state=red"),
                                ("console terminal page", f"/console/terminals/{ids[7]}"),
                                ("/metrics", "/metrics")):
                median, worst, size = timed_get(http, f"http://127.0.0.1:{port}{path}", 10)
                print(f"{label:<34} p50 {median:6.1f} ms   max {worst:6.1f} ms   {size // 1024} KB"
                      + (f"   ({counts} terminals counted)" if path == "/console/" else ""))
        finally:
            os.kill(hall.pid, signal.SIGTERM)
            hall.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    main()
