"""Receipts: content, masking and wrapping, printed through a real printer emulator over TCP;
the QR code on the PNG preview is decoded with zbar; printer faults become plain outcomes."""

import json
import logging
import subprocess

import pytest

from hardware.printer import from_url
from hardware.printer.receipt import PAPERS, PrintOptions, text_width
from hardware.printer.stream import StreamParser
from kiosk import paths, receipts

ITEM = next(i for i in json.loads((paths.SEED / "catalog.json").read_text("utf-8"))["items"]
            if i["code"] == "GF00101001")
NAME, ID_NO = "欧阳明远", "430102199003071236"  # fictional
BOOKING = {"booking_number": "YY20261123123456", "ticket": "Y093002", "item_code": "GF00101001",
           "item_name": "居民身份证首次申领", "date": "2026-11-23", "start": "09:30", "end": "10:00",
           "outlet": {"id": "qs-zwfw", "name": "青山县政务服务中心", "address": "青山县城关镇迎宾大道168号"},
           "status": "active"}


@pytest.fixture
def printer():
    """The real driver, connected over TCP to a printer emulator (sim:); closed after."""
    device = from_url("sim:?width=80")
    yield device
    device.close()


def zbar(png: bytes, tmp_path) -> list[str]:
    path = tmp_path / "job.png"
    path.write_bytes(png)
    done = subprocess.run(["zbarimg", "-q", str(path)], capture_output=True, text=True, timeout=30)
    return sorted(done.stdout.split())  # "QR-Code:<data>", "CODE-128:<data>"


def preview(printer, job) -> bytes:
    """The emulated printer's PNG of `job`, drawn in the terminal's fonts."""
    from kiosk.fonts import find_cjk_font
    return printer.emulator.png(job, find_cjk_font())


def printed(printer, receipt):
    emulator = printer.emulator
    before = len(emulator.jobs)
    outcome = receipts.print_receipt(printer, receipt)
    assert outcome == receipts.PrintOutcome(True), outcome
    assert emulator.wait_for_jobs(before + 1)
    return emulator.jobs[before]


def test_guide_summary_has_the_key_fields_and_a_qr_that_decodes(printer, tmp_path):
    job = printed(printer, receipts.guide_summary(ITEM, "zh"))
    text = job.text
    for expected in ("办事指南摘要", "居民身份证首次申领", "GF00101001", "15 个工作日", "60 个工作日",
                     "居民户口簿 (原件 x1)", "监督投诉电话", "12345", "0748-8221132"):
        assert expected in text.replace("\n", ""), expected
    assert job.qr_codes == [receipts.guide_url("GF00101001")]
    assert zbar(preview(printer, job), tmp_path) == ["QR-Code:https://zwfw.example.gov.cn/item/GF00101001"]


def test_guide_summary_in_english_translates_labels_not_content():
    lines = "\n".join(receipts.receipt_text(receipts.guide_summary(ITEM, "en")))
    assert "Service guide summary" in lines and "15 working days" in lines
    assert "居民身份证首次申领" in lines and "办事指南摘要" not in lines


def test_same_day_items_say_done_on_the_spot():
    item = {**ITEM, "promised_limit_days": 0, "legal_limit_days": None}
    lines = "".join(receipts.receipt_text(receipts.guide_summary(item, "zh")))
    assert "当场办结" in lines and "未设定" in lines


@pytest.mark.parametrize("width", [58, 80])
def test_every_line_fits_the_paper(width):
    options = PrintOptions(width=width)
    for receipt in (receipts.guide_summary(ITEM, "zh"), receipts.booking_ticket(BOOKING, "en"),
                    receipts.application_receipt("SB20261123654321", ITEM["name"] * 3, "欧*远",
                                                 "4301**********1236", False, "https://x/p", "zh")):
        job, = StreamParser().feed(receipts._fit(receipt, options).encode(options))
        assert max(line.cells for line in job.lines) <= PAPERS[width].columns
        assert all(text_width(t) <= PAPERS[width].columns for t in receipt.lines(options))


def test_application_receipt_masks_even_unmasked_input(printer, caplog):
    caplog.set_level(logging.DEBUG)
    job = printed(printer, receipts.application_receipt(
        "SB20261123654321", ITEM["name"], NAME, ID_NO, False,
        receipts.progress_url("SB20261123654321"), "zh"))
    text = job.text
    assert "4301**********1236" in text and "欧**远" in text
    assert ID_NO not in job.raw.decode("gb18030", "replace") and NAME not in text
    assert job.barcodes == ["SB20261123654321"]
    assert job.qr_codes == ["https://zwfw.example.gov.cn/progress/SB20261123654321"]
    assert NAME not in caplog.text and ID_NO not in caplog.text


def test_offline_application_receipt_says_it_will_be_sent(printer):
    job = printed(printer, receipts.application_receipt(
        "L-7F3K9Q", ITEM["name"], "欧*远", "4301**********1236", True, None, "zh"))
    text = job.text.replace("\n", "")
    assert "本机受理编号" in text and "L-7F3K9Q" in text and "将自动提交" in text
    assert "申办流水号" not in text and job.qr_codes == []


def test_booking_and_request_tickets(printer, tmp_path):
    job = printed(printer, receipts.booking_ticket(BOOKING, "zh"))
    assert "Y093002" in job.text and "2026-11-23" in job.text and "09:30-10:00" in job.text
    assert zbar(preview(printer, job), tmp_path) == [
        "CODE-128:YY20261123123456", "QR-Code:" + receipts.booking_url("YY20261123123456")]
    answer = {"ticket": "RQ20261123000042", "type": "投诉", "due_date": "2026-12-14"}
    job = printed(printer, receipts.request_ticket(answer, "投诉", "en"))
    assert "RQ20261123000042" in job.text and "Complaint" in job.text and "2026-12-14" in job.text
    job = printed(printer, receipts.request_ticket("RQ20261123000043", "建议", "zh"))
    assert "建议" in job.text and "答复期限" not in job.text


@pytest.mark.parametrize("width", [58, 80])
def test_application_receipt_barcode_fits_and_decodes_on_both_papers(width, tmp_path):
    # code set B would make SB20261123654321 422 dots wide: wider than 58 mm paper (384)
    printer = from_url(f"sim:?width={width}")
    try:
        receipt = receipts.application_receipt("SB20261123654321", "x", "欧*远", "4301**********1236",
                                               False, "https://zwfw.example.gov.cn/p", "zh")
        assert receipts.print_receipt(printer, receipt).printed
        assert printer.emulator.wait_for_jobs(1)
        job = printer.emulator.jobs[0]
        assert job.barcodes == ["SB20261123654321"]
        png = preview(printer, job)
        (tmp_path / f"application-{width}.png").write_bytes(png)
        assert zbar(png, tmp_path) == ["CODE-128:SB20261123654321", "QR-Code:https://zwfw.example.gov.cn/p"]
    finally:
        printer.close()


def test_a_barcode_too_long_for_58mm_paper_is_dropped_but_the_qr_stays():
    printer = from_url("sim:?width=58")
    try:
        receipt = receipts.request_ticket("RQ-NORTH-DISTRICT-2026-11-23", "咨询", "zh")
        assert receipts.print_receipt(printer, receipt).printed
        assert printer.emulator.wait_for_jobs(1)
        job = printer.emulator.jobs[0]
        assert job.barcodes == [] and job.qr_codes == [receipts.request_url("RQ-NORTH-DISTRICT-2026-11-23")]
    finally:
        printer.close()


@pytest.mark.parametrize("fault, reason", [
    ("paper-out", "The printer is out of paper."),
    ("cover-open", "The printer cover is open."),
    ("offline", "The printer is offline."),
    ("no-answer", "The printer does not answer."),
])
def test_printer_faults_are_outcomes_not_exceptions(printer, fault, reason):
    printer.emulator.set_fault(fault)
    receipt = receipts.guide_summary(ITEM, "zh")
    outcome = receipts.print_receipt(printer, receipt)
    assert outcome == receipts.PrintOutcome(False, reason, fault)
    assert printer.emulator.jobs == []
    assert receipts.receipt_qr(receipt) == receipts.guide_url(ITEM["code"])  # what the screen shows
    printer.emulator.clear_faults()
    assert receipts.print_receipt(printer, receipt).printed  # nothing stuck after the fault


@pytest.mark.parametrize("strike, reason, fault", [
    ("reset_after", "The printer is offline.", "offline"),
    ("paper_out_after", "The printer is out of paper.", "paper-out"),
])
def test_a_receipt_cut_short_is_not_printed_and_its_qr_is_offered(printer, strike, reason, fault):
    getattr(printer.emulator, strike)(9 + 256)  # after the status questions, 256 bytes into the job
    receipt = receipts.application_receipt("SB20261123654321", ITEM["name"], "欧*远", "4301**********1236",
                                           False, receipts.progress_url("SB20261123654321"), "zh")
    assert receipts.print_receipt(printer, receipt) == receipts.PrintOutcome(False, reason, fault)
    assert receipts.receipt_qr(receipt) == receipts.progress_url("SB20261123654321")  # the screen's QR


def test_a_printer_that_is_gone_and_no_printer_at_all(printer):
    printer.emulator.stop()
    outcome = receipts.print_receipt(printer, receipts.request_ticket("RQ1", "咨询", "zh"))
    assert not outcome.printed and outcome.fault in ("offline", "no-answer")
    assert receipts.print_receipt(None, receipts.request_ticket("RQ1", "咨询", "zh")) == \
        receipts.PrintOutcome(False, "This terminal has no printer.", "absent")


def test_bad_receipt_content_is_an_outcome_too(printer):
    outcome = receipts.print_receipt(printer, receipts.guide_summary({**ITEM, "name": "x\x1b@"}, "zh"))
    assert outcome == receipts.PrintOutcome(False, "The receipt could not be printed.", "layout")


def test_application_receipt_lists_what_to_bring_to_the_window(printer, tmp_path):
    bring = ["居住证明", "就业或就读证明"]
    job = printed(printer, receipts.application_receipt(
        "SB20261123654321", "居住证申领", "欧*远", "4301**********1236", offline=False,
        progress_url="https://zwfw.example.gov.cn/progress/SB20261123654321", lang="zh", bring=bring))
    lines = job.text.splitlines()
    at = lines.index("请带到服务窗口：")
    assert lines[at + 1:at + 3] == ["· 居住证明", "· 就业或就读证明"]
    png = preview(printer, job)
    (tmp_path / "receipt.png").write_bytes(png)
    assert "QR-Code:https://zwfw.example.gov.cn/progress/SB20261123654321" in zbar(png, tmp_path)
    nothing = printed(printer, receipts.application_receipt(
        "SB20261123654321", "居住证申领", "欧*远", "4301**********1236", offline=False, progress_url=None,
        lang="en"))
    assert "bring" not in nothing.text.lower()


@pytest.mark.parametrize("width", [58, 80])
def test_printed_lines_break_by_the_chinese_rules(width):
    """Every seed guide's summary, as the printer emulator decodes it from the ESC/POS stream:
    no printed line starts with ）。，、 and the like, none ends with （「《."""
    from hardware.linebreak import NO_LINE_END, NO_LINE_START
    printer = from_url(f"sim:?width={width}")
    try:
        items = json.loads((paths.SEED / "catalog.json").read_text("utf-8"))["items"]
        checked = 0
        for item in items:
            job = printed(printer, receipts.guide_summary(item, "zh"))
            lines = [line.strip() for line in job.text.split("\n")]
            for before, after in zip(lines, lines[1:]):
                assert after[:1] not in NO_LINE_START, (item["code"], before, after)
                assert before[-1:] not in NO_LINE_END, (item["code"], before, after)
            checked += len(lines)
        assert checked > 20 * len(items)
    finally:
        printer.close()
