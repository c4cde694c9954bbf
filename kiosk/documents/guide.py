"""A service guide (办事指南) in full: conditions, materials, steps, fees, time limits, where, questions."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm

from kiosk.documents.layout import Document


def _days(value) -> str:
    return "当场办结" if value == 0 else "—" if value is None else f"{value} 个工作日"


def guide_pdf(item: dict, regular: Path, bold: Path) -> bytes:
    """`item`: the catalogue's item, every field (kiosk.hall_api.Item)."""
    doc = Document(f"{item['name']} 办事指南", regular, bold)
    doc.heading(f"{item['name']}\n办事指南", size=18)
    agency = item.get("agency") or {}
    doc.rows([("事项编码", item.get("code", "")),
              ("事项类型", item.get("type", "")),
              ("实施机构", agency.get("name") or (item.get("department") or {}).get("name", "")),
              ("法定办结时限", _days(item.get("legal_limit_days"))),
              ("承诺办结时限", _days(item.get("promised_limit_days"))),
              ("到办事现场次数", f"{item.get('visits', '')} 次"),
              ("办理地点", item.get("place", "")),
              ("办理时间", item.get("hours", "")),
              ("咨询电话", item.get("consult_phone", "")),
              ("投诉电话", item.get("complaint_phone", ""))])
    doc.text("受理条件", size=13, bold=True)
    doc.text(item.get("conditions") or "—", gap=4 * mm)
    materials = item.get("materials") or []
    doc.text("申请材料", size=13, bold=True)
    doc.rows([(str(i), f"{m['name']}（{m.get('form', '')} {m.get('count', 1)} 份）"
                       + (f"：{m['notes']}" if m.get("notes") else ""))
              for i, m in enumerate(materials, 1)] or [("", "无")], label_width=12 * mm)
    doc.text("办理流程", size=13, bold=True)
    doc.text("\n".join(f"{i}. {step}" for i, step in enumerate(item.get("steps") or [], 1)) or "—", gap=2 * mm)
    if item.get("special_steps"):
        doc.text(f"特别程序：{item['special_steps']}", gap=4 * mm)
    fee = item.get("fee") or {}
    doc.text("收费标准", size=13, bold=True)
    doc.text(fee.get("standard") or "不收费", gap=0)
    if fee.get("basis"):
        doc.text(f"收费依据：{fee['basis']}", gap=4 * mm)
    if item.get("legal_basis"):
        doc.text("设定依据", size=13, bold=True)
        doc.text("\n".join(item["legal_basis"]), gap=4 * mm)
    if item.get("faq"):
        doc.text("常见问题", size=13, bold=True)
        for faq in item["faq"]:
            doc.text(f"问：{faq['q']}", bold=True, gap=0)
            doc.text(f"答：{faq['a']}", gap=3 * mm)
    doc.footer(f"{item['name']} · 办事指南 · 以政务服务网公布的最新版本为准")
    return doc.pdf()
