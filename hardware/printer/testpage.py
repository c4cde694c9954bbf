"""The test receipt printed by `kiosk print-test` and the admin self-test."""

from __future__ import annotations

import time

from hardware.printer.receipt import Receipt

TEST_QR = "https://zwfw.example.gov.cn/kiosk/selftest?code=KIOSK-TEST-0001"
TEST_BARCODE = "KIOSK-0001"


def selftest_receipt(terminal: str = "自助终端", when: float | None = None) -> Receipt:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    return (Receipt()
            .title("政务服务自助终端\n打印测试")
            .rule()
            .line("终端：", terminal)
            .line("时间：", stamp)
            .line("申办流水号：", "SB202405180001")
            .line("事项名称：", "居民身份证换领（到期换证）")
            .rule()
            .text("标点测试：，。、；：？！“”‘’（）《》【】——……·")
            .text("请妥善保管本凭条。凭申办流水号可在自助终端或网上办事大厅查询办件进度，"
                  "也可扫描下方二维码在手机上查看。")
            .qr(TEST_QR)
            .text("扫码查看办件进度", align="center")
            .barcode(TEST_BARCODE)
            .cut())
