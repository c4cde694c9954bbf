"""An application form for signing on paper: the item, the filled fields, the signature."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm

from kiosk.documents.layout import Document


def form_pdf(item_name: str, reference: str, fields: list[tuple[str, str]], signature_png: bytes | None,
             regular: Path, bold: Path, printed_at: str) -> bytes:
    """`fields`: (label, value) as the resident filled them (personal numbers already masked
    by the caller where the form does not need them whole)."""
    doc = Document(f"{item_name} 申请表", regular, bold)
    doc.heading(f"{item_name}\n申请表", size=18)
    doc.text(f"申办编号：{reference}", size=10, align="center", gap=6 * mm)
    doc.rows(fields)
    doc.text("本人承诺所填信息真实、准确、完整，如有虚假，愿承担相应法律责任。", gap=6 * mm)
    if signature_png:
        doc.image(signature_png, 60 * mm, 24 * mm, caption="申请人签名：")
    else:
        doc.text("申请人签名：____________________", gap=8 * mm)
    doc.text(f"打印时间：{printed_at}")
    doc.footer("请核对后签名，随申请材料一并提交。")
    return doc.pdf()
