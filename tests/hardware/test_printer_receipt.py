"""Receipt layout: Chinese encodings and Chinese mode through the real TCP path, wrapping, bad input."""

import pytest
from hypothesis import given, settings, strategies as st

from hardware.printer import Receipt, ReceiptError
from hardware.printer.driver import ReceiptPrinter
from hardware.printer.emulator import PrinterEmulator
from hardware.printer.preview import code128_symbols
from hardware.printer.receipt import PAPERS, PrintOptions, code128, code128_modules, text_width, wrap
from hardware.printer.stream import StreamParser, code128_text

CJK_TEXT = "标点：，。、；：？！“”‘’《》【】（）——……·身份证"


def _print_over_tcp(receipt, encoding, driver_chinese, printer_chinese):
    emulator = PrinterEmulator(encoding=encoding, chinese_mode=printer_chinese)
    url = emulator.start_tcp()
    device = ReceiptPrinter(f"{url}?encoding={encoding}&chinese={'on' if driver_chinese else 'off'}",
                            timeout=0.5)
    try:
        device.print_receipt(receipt)
        assert emulator.wait_for_jobs(1)
        return emulator.jobs[0]
    finally:
        device.close()
        emulator.stop()


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8"])
@pytest.mark.parametrize("driver_chinese, printer_chinese", [(True, False), (False, True), (True, True)])
def test_chinese_with_punctuation_round_trips(encoding, driver_chinese, printer_chinese):
    job = _print_over_tcp(Receipt().text(CJK_TEXT).cut(), encoding, driver_chinese, printer_chinese)
    assert job.text.replace("\n", "") == CJK_TEXT


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8"])
def test_without_chinese_mode_anywhere_the_text_is_garbled(encoding):
    # the negative case: an Epson-style printer (no Chinese mode at power-on) and a driver
    # that does not send FS & print code page 437 characters
    job = _print_over_tcp(Receipt().text(CJK_TEXT).cut(), encoding, False, False)
    assert job.text.replace("\n", "") != CJK_TEXT


def test_rare_character_beyond_gbk():
    rare = "𠀀"  # U+20000, CJK extension B: in GB18030 (four bytes), not in GBK
    assert _print_over_tcp(Receipt().text(rare).cut(), "gb18030", True, False).lines[0].text == rare
    with pytest.raises(ReceiptError, match="gbk cannot print"):
        Receipt().text(rare).encode(PrintOptions(encoding="gbk"))


def test_python_escpos_magicencode_drops_cjk_punctuation():
    # why receipt.py encodes text itself; if this starts failing, python-escpos fixed it
    from escpos.printer import Dummy
    printer = Dummy()
    printer.text("，。")
    assert b"?" in printer.output


def _long_receipt():
    return (Receipt()
            .title("政务服务自助终端办件回执单（到期换领）")
            .line("事项名称：", "居民身份证换领（有效期满换证）及户口簿信息变更登记")
            .line("申办流水号：", "SB202405180001")
            .text("请妥善保管本凭条。凭申办流水号可在自助终端或网上办事大厅查询办件进度，"
                  "也可扫描下方二维码：https://zwfw.example.gov.cn/progress?sblsh=SB202405180001&from=kiosk")
            .text("Mixed 中英文 text with a verylongwordthatcannotbreak" * 3)
            .rule()
            .cut())


@pytest.mark.parametrize("width", [58, 80])
def test_no_line_is_wider_than_the_paper(width):
    options = PrintOptions(width=width)
    job, = StreamParser().feed(_long_receipt().encode(options))
    columns = PAPERS[width].columns
    widths = [line.cells for line in job.lines]
    assert max(widths) <= columns
    assert max(widths) >= columns - 2  # the lines are actually filled, not cut short
    assert job.lines[0].runs[0].style.width == 2  # the title is printed double size


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("中文，。abc defXYZ123-（）《》 "), max_size=120),
       st.sampled_from([16, 24, 32, 48]))
def test_wrap_keeps_every_character_within_the_width(text, columns):
    lines = wrap(text, columns)
    assert all(text_width(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("build, message", [
    (lambda r: r.text("ok\x07bell"), "control character"),
    (lambda r: r.title("标题\x1b@"), "control character"),
    (lambda r: r.qr(""), "QR code has no data"),
    (lambda r: r.qr("x" * 1200), "too long"),
    (lambda r: r.barcode("中文"), "printable ASCII"),
    (lambda r: r.barcode("SB2024051800012345678901234567890"), "too long for 58 mm"),
])
def test_bad_content_is_a_typed_error(build, message):
    with pytest.raises(ReceiptError, match=message):
        build(Receipt()).encode(PrintOptions(width=58))


def test_bad_options_are_typed_errors():
    for kwargs in ({"width": 70}, {"encoding": "big5"}, {"qr": "svg"}, {"qr_size": 0}):
        with pytest.raises(ReceiptError):
            PrintOptions(**kwargs)
    with pytest.raises(ReceiptError):
        Receipt().text("x", align="middle")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789SBL-{ "), min_size=1, max_size=40))
def test_code128_payload_round_trips_and_is_never_longer_than_code_set_b(data):
    payload = code128(data)
    assert code128_text(payload) == data
    code_set_b = b"{B" + data.replace("{", "{{").encode("ascii")
    assert code128_modules(payload) <= code128_modules(code_set_b)
    assert len(code128_symbols(payload)) * 11 + 13 == code128_modules(payload)


def test_application_numbers_use_code_set_c_and_fit_58mm_paper():
    payload = code128("SB20261123654321")
    assert payload == b"{BSB{C" + bytes([20, 26, 11, 23, 65, 43, 21])
    assert 2 * code128_modules(payload) == 290  # code set B alone: 422 dots, 58 mm paper has 384
    job, = StreamParser().feed(Receipt().barcode("SB20261123654321").cut().encode(PrintOptions(width=58)))
    assert job.barcodes == ["SB20261123654321"] and job.blocks[0].module == 2
