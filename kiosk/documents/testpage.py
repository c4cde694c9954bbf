"""The A4 printer's self-test page: a page an admin can hold up and check (text, Chinese, a QR)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reportlab.lib.units import mm

from kiosk.documents.layout import Document


def self_test_page_pdf(terminal: str, regular: Path, bold: Path) -> bytes:
    doc = Document("A4 打印测试页", regular, bold)
    doc.heading("A4 打印测试页 · A4 test page")
    doc.rows([("终端 Terminal", terminal), ("时间 Time", datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
              ("中文 Chinese", "政务服务自助终端 直骨角 一二三四五六七八九十")])
    doc.text("这一页的中文、表格线和二维码都应清晰完整。 Text, lines and the QR code should all be sharp.",
             gap=6 * mm)
    doc.qr(f"kiosk-a4-test:{terminal}", 30 * mm, ["二维码应能扫出 The QR code should scan:", f"kiosk-a4-test:{terminal}"])
    return doc.pdf()
