"""The A4 printer driver through a real CUPS scheduler (a private cupsd, see PrivateCups).

A job counts as printed only when CUPS says it completed; the printer's own state
(printer-state, printer-state-reasons, marker levels) gives the health.
"""

import threading
import time

import cups
import pytest

from hardware import open_device
from hardware.a4 import A4DoorOpen, A4Error, A4Gone, A4PaperOut, A4QueueStopped
from hardware.a4.health import status_from
from hardware.a4.spooler import PrivateCups
from hardware.model import Health, Paper


def _pdf(text: str = "page") -> bytes:
    from reportlab.pdfgen import canvas
    import io
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def _jobs(server, which="all"):
    connection = cups.Connection(host="127.0.0.1", port=server.port)
    return {job: connection.getJobAttributes(job) for job in connection.getJobs(which_jobs=which)}


def test_a_job_comes_out_as_the_pdf_sent_and_health_is_ok(a4_cups, a4_printer):
    before = a4_cups.printed()
    assert a4_printer.check_health().health is Health.OK
    pdf = _pdf("certificate")
    job = a4_printer.print_pdf(pdf, "test page")
    out = [p for p in a4_cups.printed() if p not in before]
    assert len(out) == 1 and out[0].read_bytes() == pdf
    assert _jobs(a4_cups, "completed")[job]["job-state"] == 9
    assert a4_printer.counters["prints"] == 1
    assert a4_printer.status.paper is Paper.OK


@pytest.mark.parametrize("fault, error, paper", [("media-empty", A4PaperOut, Paper.EMPTY),
                                                 ("door-open", A4DoorOpen, None)])
def test_a_printer_fault_stops_the_job_cancels_it_and_says_why(a4_cups, a4_printer, fault, error, paper):
    before = a4_cups.printed()
    a4_cups.set_fault(fault)
    with pytest.raises(error) as raised:
        a4_printer.print_pdf(_pdf(), "faulty")
    assert raised.value.fault == {"media-empty": "paper", "door-open": "door"}[fault]
    assert a4_cups.printed() == before
    assert not _jobs(a4_cups, "not-completed")  # cancelled: it will not come out later for nobody
    status = a4_printer.check_health()
    assert status.health is Health.ERROR
    assert status.reason == {"media-empty": "out of paper", "door-open": "a door is open"}[fault]
    if paper:
        assert status.paper is paper
    # the next job is refused at once: the queue is stopped until staff fix the printer
    with pytest.raises(error):
        a4_printer.print_pdf(_pdf(), "refused")
    a4_cups.repair()
    a4_printer.print_pdf(_pdf(), "after the repair")
    assert len(a4_cups.printed()) == len(before) + 1
    assert a4_printer.check_health().health is Health.OK


def test_a_queue_stopped_or_refusing_jobs_takes_no_job(a4_cups, a4_printer):
    a4_cups.stop_queue()
    assert a4_printer.check_health().health is Health.ERROR
    with pytest.raises(A4QueueStopped, match="stopped"):
        a4_printer.print_pdf(_pdf(), "stopped")
    a4_cups.repair()
    cups.Connection(host="127.0.0.1", port=a4_cups.port).rejectJobs(a4_cups.queue)
    with pytest.raises(A4QueueStopped, match="refuses jobs"):
        a4_printer.print_pdf(_pdf(), "rejected")
    assert not _jobs(a4_cups, "not-completed")


def test_low_toner_prints_and_leaves_a_warning(a4_cups, a4_printer):
    a4_cups.set_fault("toner-low")
    a4_printer.print_pdf(_pdf(), "low toner")
    status = a4_printer.check_health()
    assert status.health is Health.WARNING and "toner low" in status.reason


def test_an_unknown_queue_is_absent(a4_cups):
    printer = open_device("a4", f"ipp://127.0.0.1:{a4_cups.port}/printers/no-such-queue")
    with pytest.raises(A4Error, match="no print queue 'no-such-queue'"):
        printer.open()
    assert printer.check_health().health is Health.ABSENT


def test_the_print_server_gone_mid_job():
    with PrivateCups() as server:
        printer = open_device("a4", f"{server.url}?timeout=30")
        printer.open()
        server.set_fault("hang")  # the printer takes the job and never finishes it
        outcome = {}

        def run():
            try:
                printer.print_pdf(_pdf(), "lost")
            except A4Error as e:
                outcome["error"] = e
        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 10
        while not any(j["job-state"] == 5 for j in _jobs(server, "not-completed").values()):
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.1)
        server.stop()  # the print server goes away with the job on it
        worker.join(30)
        assert isinstance(outcome.get("error"), A4Gone)
        assert "may not be out" in str(outcome["error"])
        assert printer.status.health is Health.OFFLINE
        assert printer.check_health().health is Health.OFFLINE
        assert server.printed() == []
        printer.close()


def test_cups_local_queue_url_and_bad_urls():
    from hardware.a4 import A4Printer
    printer = open_device("a4", "cups:Office_A4")
    assert isinstance(printer, A4Printer) and printer.queue == "Office_A4" and printer.host == ""
    ipp = open_device("a4", "ipp://print.example:8631/printers/Hall_A4")
    assert (ipp.host, ipp.port, ipp.queue) == ("print.example", 8631, "Hall_A4")
    for bad in ("cups:", "ipp://host/jobs/1", "lpd://host/q"):
        with pytest.raises(A4Error):
            open_device("a4", bad)


@pytest.mark.parametrize("attrs, health, words, paper", [
    ({"printer-state": 3, "printer-state-reasons": ["none"], "marker-levels": [80]}, Health.OK, "ready", Paper.OK),
    ({"printer-state": 5, "printer-state-reasons": ["media-empty-error", "paused"]}, Health.ERROR,
     "out of paper", Paper.EMPTY),
    ({"printer-state": 3, "printer-state-reasons": ["media-low-report"]}, Health.WARNING, "paper low", Paper.LOW),
    ({"printer-state": 3, "printer-state-reasons": ["toner-low-report"]}, Health.WARNING, "toner low", Paper.OK),
    ({"printer-state": 3, "printer-state-reasons": ["none"], "marker-levels": [4]}, Health.WARNING,
     "toner low (4%)", Paper.OK),
    ({"printer-state": 3, "printer-state-reasons": ["none"], "marker-levels": [-1]}, Health.OK, "ready", Paper.OK),
    ({"printer-state": 5, "printer-state-reasons": ["door-open-error"]}, Health.ERROR, "a door is open", Paper.UNKNOWN),
    ({"printer-state": 3, "printer-state-reasons": ["offline-report"]}, Health.OFFLINE, "the printer is offline",
     Paper.OK),
    ({"printer-state": 5, "printer-state-reasons": ["paused"]}, Health.ERROR, "the print queue is stopped",
     Paper.UNKNOWN),
    ({"printer-state": 3, "printer-state-reasons": ["com.vendor-strange"]}, Health.WARNING,
     "the printer reports com.vendor-strange", Paper.OK),
    ({"printer-state": 3, "printer-state-reasons": ["fuser-over-temp-error"]}, Health.ERROR,
     "the printer reports fuser-over-temp", Paper.OK),
    ({}, Health.WARNING, "the printer did not say its state", Paper.UNKNOWN),
    ({"printer-state": 3, "printer-is-accepting-jobs": False}, Health.ERROR, "the print queue refuses jobs", Paper.OK),
])
def test_health_from_the_printer_state(attrs, health, words, paper):
    status = status_from(attrs)
    assert (status.health, status.reason, status.paper) == (health, words, paper)
