"""A certificate (证明) as the hall issued it, on one A4 page.

Laid out as an electronic result is (国办函〔2016〕108号: the result, who issued it and
when, and a way to check it): title, the holder (name as on the card, ID number
masked), the facts, the issuing body and date, then the verification code and a QR
of the hall's public check page, which says whether the paper is genuine.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm

from kiosk.documents.layout import Document


def certificate_pdf(cert: dict, regular: Path, bold: Path) -> bytes:
    """`cert`: the hall's issued certificate (code, title, issuer, holder_name, id_masked,
    issued_at, statement, facts [{label, value}], verify_url)."""
    doc = Document(cert["title"], regular, bold, author=cert["issuer"])
    doc.heading(cert["title"], size=22)
    doc.text(f"证明编号：{cert['code']}", size=10, align="center", gap=6 * mm)
    doc.rows([("姓名", cert["holder_name"]), ("公民身份号码", cert["id_masked"])]
             + [(f["label"], f["value"]) for f in cert["facts"]])
    doc.text(cert["statement"], gap=10 * mm)
    doc.text(f"出具单位：{cert['issuer']}", bold=True)
    doc.text(f"出具日期：{cert['issued_at'][:10]}", gap=10 * mm)
    doc.qr(cert["verify_url"], 36 * mm, [
        f"验证码：{cert['code']}",
        "扫描二维码或访问以下网址核验本证明真伪：",
        cert["verify_url"],
        "核验结果与本证明内容不一致的，本证明无效。",
    ])
    doc.footer("本证明由政务服务自助终端打印，以核验结果为准。")
    return doc.pdf()
