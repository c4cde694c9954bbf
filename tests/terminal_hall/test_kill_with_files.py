"""SIGKILL a terminal at random points while it queues and sends applications with pages and a
signature: after restarts every application is on the hall once with all its files, and nothing
is left behind on the terminal.

Each run of the stand-in terminal (files_terminal.py) starts its outbox, queues one more
application while the outbox sends, and is killed at a random moment: while writing files,
between the files and the row, mid-upload, between uploads and the post, after the hall took
the post and before the terminal recorded it, while deleting the files. An application whose
submit was cut short ("submitting K" without "queued K") is in doubt: the resident was not told
it was queued, so it may be on the hall once or not at all, never twice; it is not submitted again.
"""

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store import Store
from testing.materials import application_files, page_jpeg, sha256, signature_png
from testing.processes import kiosk_env
from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET, HallProcess, id_number, online_item_code

SCRIPT = Path(__file__).with_name("files_terminal.py")
KILLS = 100
KILL_WITHIN = 0.4  # seconds after the terminal is ready: its submit and a few uploads fit in
BUDGET = 200       # seconds for the kill-and-restart loop: a ceiling against a hang (a loaded
                  # machine, or another test worker beside it, makes each round slower)


def start(state, hall, pages, *extra):
    return subprocess.Popen([sys.executable, str(SCRIPT), str(state), hall.url, TERMINAL_ID, TERMINAL_SECRET,
                             str(pages), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kiosk_env())


def read_until_ready(proc, timeout=30):
    """The lines before "ready" (what the outbox's start said)."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == "ready":
            return lines
        if not line:
            break
        lines.append(line.strip())
    raise AssertionError(f"the terminal never got ready: {proc.stderr.read()[-800:]}")


def finish(proc):
    lines = proc.stdout.read().splitlines()
    errors = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return lines, errors


def hall_applications(hall):
    """{number: [(field, sha256, size)]} of the terminal's applications, from the hall's own file."""
    with sqlite3.connect(hall.db_url.removeprefix("sqlite:///")) as db:
        rows = db.execute("SELECT a.number, f.field, f.sha256, f.size FROM applications a "
                          "LEFT JOIN application_files f ON f.application_id = a.id "
                          "WHERE a.terminal_id = ? ORDER BY a.id, f.id", (TERMINAL_ID,)).fetchall()
    found: dict[str, list] = {}
    for number, *file in rows:
        found.setdefault(number, []).extend([tuple(file)] if file[0] else [])
    return found


def test_sigkill_while_sending_files_loses_doubles_and_leaves_nothing(tmp_path):
    rnd = random.Random(os.getpid())
    materials = tmp_path / "materials"
    hall = HallProcess(tmp_path / "hall.sqlite3", log_path=tmp_path / "hall.log",
                       env={"HALL_MATERIALS_DIR": str(materials)}).start()
    try:
        pages = tmp_path / "pages"
        pages.mkdir()
        bases, signature = [page_jpeg(i) for i in (1, 2, 3)], signature_png()
        for i, data in enumerate(bases, 1):
            (pages / f"page-{i}.jpg").write_bytes(data)
        (pages / "signature.png").write_bytes(signature)
        from kiosk.hall_client import HallClient
        with HallClient(hall.url, TERMINAL_ID, TERMINAL_SECRET) as client:
            item = online_item_code(client)
        id_no = id_number("11010519900307" + f"{rnd.randrange(1000):03d}")
        state = tmp_path / "terminal.sqlite3"
        common = ("--item", item, "--id", id_no)

        started = time.monotonic()
        queued, in_doubt = {}, set()
        kills = cut_submits = replayed = recovered = 0
        k = 0
        while kills < KILLS and time.monotonic() - started < BUDGET:
            proc = start(state, hall, pages, *common, "--from", str(k), "--count", "1")
            before = read_until_ready(proc)
            time.sleep(rnd.uniform(0, KILL_WITHIN))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait(30)
            lines, errors = finish(proc)
            lines = before + lines
            assert proc.returncode in (0, -signal.SIGKILL), errors[-800:]
            pending = None
            for line in lines:
                word, *rest = line.split()
                if word == "submitting":
                    pending = int(rest[0])
                elif word == "queued":
                    queued[int(rest[0])], pending = rest[1], None
                replayed += word == "replayed"
                recovered += int(rest[0]) if word == "recovered" else 0
            if pending is not None:
                in_doubt.add(pending)
                cut_submits += 1
            k += 1
        loop = time.monotonic() - started
        proc = start(state, hall, pages, *common)  # no more submissions: drain the queue
        before = read_until_ready(proc)
        assert proc.wait(60) == 0, finish(proc)[1][-800:]
        lines = before + finish(proc)[0]
        replayed += lines.count("replayed")
        recovered += sum(int(line.split()[1]) for line in lines if line.startswith("recovered"))
        elapsed = time.monotonic() - started

        store = Store(state)
        rows = store.outbox_rows()
        store.close()
        in_hall = hall_applications(hall)
        uploads_again = len(re.findall(r'"PUT /api/v1/uploads/\w+ HTTP/1.1" 200', hall.log_path.read_text()))
    finally:
        hall.stop()

    expected = {}
    for number in range(k):
        files, signed = application_files(bases, signature, number)
        expected[number] = {*((f"materials.m1.pages.{i}", sha256(p), len(p)) for i, p in enumerate(files)),
                            ("signature", sha256(signed), len(signed))}
    by_files = {frozenset(files): number for number, files in expected.items()}
    arrived = {}
    for hall_number, files in in_hall.items():
        number = by_files.get(frozenset(files))
        assert number is not None, f"{hall_number} on the hall with files of no application: {files}"
        assert number not in arrived, f"application {number} on the hall twice"
        arrived[number] = hall_number
        for _, digest, size in files:
            kept = (materials / digest).read_bytes()
            assert len(kept) == size and sha256(kept) == digest
    pages_sent = sum(len(in_hall[n]) - 1 for n in arrived.values())
    print(f"\nkill test with files: {kills} SIGKILLs ({cut_submits} during a submit) in {loop:.1f} s; "
          f"{len(queued)} applications queued, {len(in_doubt)} cut short ({len(arrived) - len(queued)} of them "
          f"queued after all), {len(arrived)} on the hall with {pages_sent} pages and a signature each; "
          f"{replayed} posts answered from the hall's record, {uploads_again} uploads the hall had already, "
          f"{recovered} folders removed at start; {elapsed:.1f} s in all")

    assert kills >= KILLS, f"only {kills} kills in {BUDGET} s"
    assert set(queued) <= set(arrived) <= set(queued) | in_doubt  # every queued one, no other
    assert set(queued.values()) <= {r.ref for r in rows}
    assert len(rows) == len(arrived) and all(r.state == "sent" and r.payload is None for r in rows)
    assert sorted(r.answer["number"] for r in rows) == sorted(arrived.values())
    assert not (tmp_path / "outbox").exists() or list((tmp_path / "outbox").iterdir()) == []
