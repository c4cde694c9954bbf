"""Outbox throughput: durable submits per second, and items per second sent to a local hall.

    .venv/bin/python bench/outbox_throughput.py [--items 300] [--with-materials 20] [--hall URL]

Without --hall it starts `kiosk hall` on a free port with a temporary SQLite file
(terminal bench-001 registered) and stops it by pid afterwards; it keeps materials where
its environment says (HALL_MATERIALS_DIR set: on disk, else in its database). Submissions
are 12345 requests and applications, alternating; then applications with materials: 3 pages
of ~250 KB (JPEG) and a signature (PNG) each, written and fsynced by the submit, uploaded
and posted by the send.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent

from kiosk.hall_client import HallClient
from kiosk.outbox import Outbox
from kiosk.store import Store
from testing.materials import page_jpeg, signature_png, tagged

TERMINAL = ("bench-001", "bench-secret-01")
ID_NUMBER = "11010519491231002X"  # fictional, valid check character
assert ID_NUMBER[17] == "10X98765432"[sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(ID_NUMBER[:17])) % 11]


def default_seed() -> Path:
    seed = ROOT / "assets" / "seed"
    return seed if (seed / "catalog.json").exists() else ROOT / "tests" / "hall" / "seed"


def start_hall(folder: Path, seed: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "hall", "--host", "127.0.0.1", "--port", str(port),
                             "--db", f"sqlite:///{folder / 'hall.sqlite3'}", "--seed", str(seed), "--terminal", ":".join(TERMINAL)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(url + "/api/v1/health", timeout=1).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    raise SystemExit("kiosk hall did not start")


def payloads(n: int, item_code: str):
    for i in range(n):
        if i % 2:
            yield "request", {"type": "建议", "content": f"建议增加自助终端的长辈版字号 {i}",
                              "location": "县政务服务中心", "phone": "13800138000"}
        else:
            yield "application", {"item_code": item_code, "channel": "kiosk", "form": {"seq": i},
                                  "applicant": {"name": "测试居民", "id_number": ID_NUMBER, "phone": "13800138000"}}


def with_materials(outbox: Outbox, item_code: str, n: int) -> None:
    pages, signature = [page_jpeg(i) for i in range(3)], signature_png()
    applications = []
    for k in range(n):
        files = {f"m1-{i + 1}": tagged(page, f"bench {k} {i}") for i, page in enumerate(pages)}
        files["signature"] = tagged(signature, f"bench {k}")
        applications.append(({"item_code": item_code, "channel": "kiosk", "form": {"seq": k},
                              "applicant": {"name": "测试居民", "id_number": ID_NUMBER, "phone": "13800138000"},
                              "materials": [{"key": "m1", "how": "camera", "pages": [{"file": f"m1-{i}"}
                                                                                     for i in (1, 2, 3)]}],
                              "signature": {"file": "signature"}}, files))
    megabytes = sum(len(data) for _, files in applications for data in files.values()) / 1e6
    started = time.perf_counter()
    for payload, files in applications:
        outbox.submit("application", payload, files)
    submit = time.perf_counter() - started
    started = time.perf_counter()
    sent = 0
    while outbox.depth():
        report = outbox.send_now()
        sent += report.sent
        if report.deferred or report.rejected:
            raise SystemExit(f"unexpected: {report} ({outbox.store.outbox_rows()[-1].last_error})")
    send = time.perf_counter() - started
    print(f"application submit with materials (3 pages of {len(pages[0]) // 1000} KB, a signature; files "
          f"fsynced): {n} in {submit:.2f} s = {n / submit:6.1f} applications/s ({1000 * submit / n:.0f} ms each)")
    print(f"application send with materials (4 uploads and the post): {sent} in {send:.2f} s = "
          f"{sent / send:6.1f} applications/s ({1000 * send / sent:.0f} ms each, {megabytes / send:.1f} MB/s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--with-materials", type=int, default=20, metavar="N",
                        help="applications with 3 pages and a signature each (0: none)")
    parser.add_argument("--hall", help="an already running hall (terminal bench-001 must be registered)")
    parser.add_argument("--seed", type=Path, default=default_seed(), help="seed data for the started hall")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        proc, url = (None, args.hall) if args.hall else start_hall(folder, args.seed)
        try:
            store = Store(folder / "terminal.sqlite3")
            client = HallClient(url, *TERMINAL, retries=0)
            item = next(i["code"] for i in client.get("/api/v1/catalog/export").data["items"] if i.get("online"))
            outbox = Outbox(store, client)
            started = time.perf_counter()
            for kind, body in payloads(args.items, item):
                outbox.submit(kind, body)
            submit = time.perf_counter() - started
            started = time.perf_counter()
            sent = 0
            while outbox.depth():
                report = outbox.send_now()
                sent += report.sent
                if report.deferred or report.rejected:
                    raise SystemExit(f"unexpected: {report}")
            send = time.perf_counter() - started
            print(f"submit (durable, synchronous=FULL): {args.items} items in {submit:.2f} s = "
                  f"{args.items / submit:7.0f} items/s ({1000 * submit / args.items:.2f} ms each)")
            print(f"send to local hall {url}: {sent} items in {send:.2f} s = {sent / send:7.1f} items/s "
                  f"({1000 * send / sent:.1f} ms each)")
            if args.with_materials:
                with_materials(outbox, item, args.with_materials)
            client.close()
            store.close()
        finally:
            if proc is not None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
