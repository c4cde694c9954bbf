"""The printer driver against the emulator over TCP and a pty: jobs, every fault, recovery."""

import logging
import socket
import time

import pytest

from hardware.model import Health, Paper
from hardware.printer import (CoverOpen, PaperOut, PrinterError, PrinterNoAnswer, PrinterOffline,
                              PrinterUnavailable, Receipt, ReceiptError, from_url)
from hardware.printer.driver import ReceiptPrinter
from hardware.printer.emulator import RESTART_S
from hardware.printer.receipt import PrintOptions
from hardware.printer.testpage import TEST_BARCODE, TEST_QR, selftest_receipt


def _receipt():
    return Receipt().title("办件回执").line("申办流水号：", "SB202405180001").qr("SB202405180001").cut()


def test_prints_a_job_and_reports_ok(printer_device, printer_emulator):
    status = printer_device.print_receipt(selftest_receipt("测试终端"))
    assert status.health is Health.OK and status.paper is Paper.OK
    assert printer_emulator.wait_for_jobs(1)
    job = printer_emulator.jobs[0]
    assert "测试终端" in job.text and "标点测试：，。、；：？！" in job.text
    assert job.qr_codes == [TEST_QR]
    assert job.barcodes == [TEST_BARCODE]
    assert printer_device.counters["prints"] == 1 and printer_device.counters["errors"] == 0


@pytest.mark.parametrize("fault, error, health, paper", [
    ("paper-out", PaperOut, Health.ERROR, Paper.EMPTY),
    ("cover-open", CoverOpen, Health.ERROR, Paper.OK),
    ("offline", PrinterOffline, Health.OFFLINE, Paper.OK),
    ("no-answer", PrinterNoAnswer, Health.OFFLINE, Paper.UNKNOWN),
])
def test_fault_refuses_the_job(printer_device, printer_emulator, fault, error, health, paper):
    printer_emulator.set_fault(fault)
    started = time.monotonic()
    with pytest.raises(error) as caught:
        printer_device.print_receipt(_receipt())
    assert time.monotonic() - started < 5  # a silent printer costs one timeout, not a hang
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 160
    assert printer_device.status.health is health and printer_device.status.paper is paper
    assert printer_device.counters["errors"] == 1 and printer_device.counters["prints"] == 0
    time.sleep(0.2)
    assert printer_emulator.jobs == []  # nothing was sent
    # the fault cleared, the same device prints again
    printer_emulator.clear_faults()
    assert printer_device.print_receipt(_receipt()).health is Health.OK
    assert printer_emulator.wait_for_jobs(1)


def test_paper_near_end_prints_with_a_warning(printer_device, printer_emulator):
    events = []
    printer_device.subscribe(events.append)
    printer_emulator.set_fault("paper-low")
    status = printer_device.print_receipt(_receipt())
    assert status.health is Health.WARNING and status.paper is Paper.LOW
    assert "paper low" in status.reason
    assert printer_emulator.wait_for_jobs(1)
    assert any(e.kind == "status" and e.data.paper is Paper.LOW for e in events)


STATUS_QUESTIONS = 9  # DLE EOT 1, 2 and 4 before every job


def test_a_link_lost_in_the_middle_of_a_job_is_not_printed(printer_device, printer_emulator):
    data = selftest_receipt().encode(printer_device.options)
    assert len(data) == 678
    printer_emulator.reset_after(STATUS_QUESTIONS + 256)  # tcp: connection reset; pty: restart
    with pytest.raises((PrinterUnavailable, PrinterNoAnswer)) as caught:
        printer_device.print_bytes(data)
    assert ("during the receipt" in str(caught.value) or "did not confirm the receipt" in str(caught.value))
    assert printer_device.status.health is Health.OFFLINE
    assert printer_device.counters["errors"] == 1 and printer_device.counters["prints"] == 0
    assert printer_emulator.jobs == []
    time.sleep(RESTART_S if printer_emulator.pty_path else 0)  # the printer is back: it prints again
    assert printer_device.print_bytes(data).health is Health.OK
    assert len(printer_emulator.jobs) == 1


def test_paper_running_out_in_the_middle_of_a_job_is_not_printed(printer_device, printer_emulator):
    data = selftest_receipt().encode(printer_device.options)
    printer_emulator.paper_out_after(STATUS_QUESTIONS + 300)
    with pytest.raises(PaperOut, match="ran out of paper during the receipt"):
        printer_device.print_bytes(data)
    assert printer_device.status.health is Health.ERROR and printer_device.status.paper is Paper.EMPTY
    assert printer_device.counters["errors"] == 1 and printer_device.counters["prints"] == 0
    assert printer_emulator.wait_for_jobs(1) and "paper-out" in printer_emulator.jobs[0].faults
    printer_emulator.clear_faults()  # a new roll
    assert printer_device.print_bytes(data).health is Health.OK


@pytest.mark.parametrize("qr", ["native", "image"])
def test_a_slow_printer_is_printed_once_it_has_taken_the_whole_job(printer_device, printer_emulator, qr):
    printer_device.options = PrintOptions(qr=qr)
    data = selftest_receipt().encode(printer_device.options)  # 678 bytes, or 8 KB with a raster QR
    printer_emulator.throughput(4096)
    started = time.monotonic()
    status = printer_device.print_bytes(data)
    took = time.monotonic() - started
    assert status.health is Health.OK
    assert took >= 0.9 * len(data) / 4096  # not when the bytes were handed to the socket ...
    assert len(printer_emulator.jobs) == 1  # ... but once the printer had all of them
    if qr == "image":
        assert took > printer_device.timeout  # the wait grows with the job; slow is not a failure


def test_check_health_reads_each_state(printer_device, printer_emulator):
    assert printer_device.check_health().health is Health.OK
    printer_emulator.set_fault("cover-open")
    assert printer_device.check_health().reason == "cover open"
    printer_emulator.set_fault("paper-out")
    assert printer_device.check_health().paper is Paper.EMPTY


def test_bad_receipt_is_refused_before_the_printer_is_touched(printer_device, printer_emulator):
    with pytest.raises(ReceiptError):
        printer_device.print_receipt(Receipt().text("a\x1bb").cut())
    assert printer_device.counters["prints"] == 0 and printer_emulator.jobs == []


def test_nothing_personal_reaches_the_log(printer_device, printer_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    printer_device.print_receipt(Receipt().line("姓名：", "张三丰").line("身份证：", "11010519491231002X").cut())
    assert printer_emulator.wait_for_jobs(1)
    assert "张三丰" in printer_emulator.jobs[0].text  # it was printed ...
    assert "张三丰" not in caplog.text and "11010519491231002X" not in caplog.text  # ... not logged


def test_sim_url_runs_the_emulator_in_process():
    device = from_url("sim:?width=58")
    try:
        assert device.emulator is not None and device.options.width == 58
        device.print_receipt(_receipt())
        assert device.emulator.wait_for_jobs(1)
        assert device.counters["prints"] == 1
    finally:
        device.close()
    with pytest.raises(PrinterUnavailable):  # closing the device stopped its emulator
        ReceiptPrinter(device.emulator.url, timeout=0.3).print_receipt(_receipt())


def test_emulator_gone_mid_session_is_a_plain_error():
    device = from_url("sim:")
    emulator = device.emulator
    device.print_receipt(_receipt())
    emulator.stop()
    with pytest.raises(PrinterError) as caught:
        device.print_receipt(_receipt())
    assert isinstance(caught.value, (PrinterUnavailable, PrinterNoAnswer))
    assert device.status.health is Health.OFFLINE
    device.close()


def test_garbage_status_answer_is_refused():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    import threading

    def answer_garbage():
        conn, _ = server.accept()
        conn.recv(16)
        conn.sendall(b"\xff")
        time.sleep(0.5)
        conn.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    device = ReceiptPrinter(f"tcp://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(PrinterError, match="unexpected status answer"):
        device.print_receipt(_receipt())
    device.close()
    server.close()


def test_device_file_prints_with_unknown_status(tmp_path):
    path = tmp_path / "lp0"
    device = ReceiptPrinter(f"file://{path}")
    status = device.print_receipt(_receipt())
    device.close()
    assert status.health is Health.WARNING and status.paper is Paper.UNKNOWN
    from hardware.printer.stream import StreamParser
    job, = StreamParser().feed(path.read_bytes())
    assert job.lines[0].text == "办件回执"


@pytest.mark.parametrize("url, message", [
    ("tcp://127.0.0.1:1", "cannot reach the printer"),
    ("serial:///dev/does-not-exist", "cannot reach the printer"),
    ("usb://0x0416:0x5011", "cannot reach the printer"),
    ("usb://nonsense", "usb://0xVVVV:0xPPPP"),
    ("lpt://x", "unsupported printer URL 'lpt://x': use usb://0xVVVV:0xPPPP, "),
    ("tcp://127.0.0.1:9100?colour=red", "unknown printer setting"),
    ("tcp://127.0.0.1:9100?encoding=latin1", "printer encoding must be one of"),
    ("tcp://127.0.0.1:9100?width=70", "paper width must be 58 or 80"),
    ("tcp://127.0.0.1:9100?chinese=maybe", "chinese must be on or off"),
    ("none:", "no printer is configured"),
])
def test_bad_urls_and_absent_printers_are_typed_errors(url, message):
    with pytest.raises(PrinterError, match=message):
        device = from_url(url)
        device.print_receipt(_receipt())
