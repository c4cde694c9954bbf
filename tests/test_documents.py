"""The A4 documents as PDF: text that reads back (pdftotext), the Chinese face embedded as a
subset (pdffonts), pages that render (pdftoppm), the signature image and the QR where they belong."""

import io
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageDraw

from kiosk import paths
from kiosk.documents import certificate_pdf, form_pdf, guide_pdf
from kiosk.documents.fonts import truetype_subset
from kiosk.documents.testpage import self_test_page_pdf
from kiosk.fonts import find_cjk_font

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
CERT = {"code": "QS7K-3MPX-9D2F", "title": "社会保险参保缴费证明", "issuer": "青山县社会保险事业管理中心",
        "holder_name": "张晓明", "id_masked": "4301**********5518", "issued_at": "2026-12-03T10:00:00+08:00",
        "statement": "兹证明上述人员在本县参加社会保险，参保缴费情况如上表所列。",
        "facts": [{"label": "险种", "value": "企业职工基本养老保险", "personal": False},
                  {"label": "累计缴费月数", "value": "161 个月", "personal": False}],
        "verify_url": "http://hall.example/verify/QS7K-3MPX-9D2F"}


@pytest.fixture(scope="module")
def fonts():
    return find_cjk_font()


def _run(tool, pdf: bytes, tmp_path, *args) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


def _embedded_cjk(pdf, tmp_path) -> list[str]:
    lines = _run("pdffonts", pdf, tmp_path).splitlines()[2:]
    return [line for line in lines if "cjk-" in line and " yes yes yes " in line]  # embedded, subset, unicode


def test_a_certificate_reads_back_with_its_code_and_qr(fonts, tmp_path):
    pdf = certificate_pdf(CERT, fonts.regular, fonts.bold)
    text = _run("pdftotext", pdf, tmp_path, "-layout")
    for words in ("社会保险参保缴费证明", "张晓明", "4301**********5518", "161 个月", "QS7K-3MPX-9D2F",
                  "出具单位：青山县社会保险事业管理中心", "出具日期：2026-12-03", CERT["verify_url"]):
        assert words in text
    assert len(_embedded_cjk(pdf, tmp_path)) == 2  # regular and bold
    subprocess.run(["pdftoppm", "-r", "120", "-png", "-singlefile", str(tmp_path / "doc.pdf"), str(tmp_path / "p")],
                   check=True)
    qr = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "p.png")], capture_output=True, text=True)
    assert qr.stdout.strip() == CERT["verify_url"]
    with Image.open(tmp_path / "p.png") as page:
        assert abs(page.width / page.height - 210 / 297) < 0.01  # A4


def test_two_documents_in_one_process_keep_their_own_glyphs(fonts, tmp_path):
    """reportlab keeps one face per PostScript name: each subset has its own name, or the second
    document's characters come out as empty boxes."""
    certificate_pdf(CERT, fonts.regular, fonts.bold)
    pdf = form_pdf("城乡居民基本养老保险参保登记", "SB20261203000123", [("户籍地址", "湖南省长沙市芙蓉区五一大道")],
                   None, fonts.regular, fonts.bold, "2026-12-03 10:00")
    text = _run("pdftotext", pdf, tmp_path)
    assert "城乡居民基本养老保险参保登记" in text and "湖南省长沙市芙蓉区五一大道" in text


def test_a_form_has_the_fields_and_the_signature_image(fonts, tmp_path):
    signature = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    ImageDraw.Draw(signature).line([(20, 200), (150, 40), (260, 190), (400, 60)], fill=(0, 0, 0, 255), width=8)
    png = io.BytesIO()
    signature.save(png, "PNG")
    fields = [("姓名", "张晓明"), ("公民身份号码", "4301**********5518"), ("联系电话", "138****1234")]
    pdf = form_pdf("城乡居民基本养老保险参保登记", "SB20261203000123", fields, png.getvalue(),
                   fonts.regular, fonts.bold, "2026-12-03 10:00")
    text = _run("pdftotext", pdf, tmp_path, "-layout")
    assert "申请表" in text and "SB20261203000123" in text and "138****1234" in text and "申请人签名" in text
    images = _run("pdfimages", pdf, tmp_path, "-list").splitlines()[2:]
    assert len(images) >= 1  # the signature


def test_the_guide_in_full_runs_over_pages(fonts, tmp_path):
    items = json.loads((paths.SEED / "catalog.json").read_text(encoding="utf-8"))["items"]
    item = max(items, key=lambda i: len(json.dumps(i, ensure_ascii=False)))
    pdf = guide_pdf(item, fonts.regular, fonts.bold)
    text = _run("pdftotext", pdf, tmp_path)
    assert item["name"] in text and "受理条件" in text and "申请材料" in text and "办理流程" in text
    for material in item["materials"]:
        assert material["name"][:6] in text.replace("\n", "")
    info = _run("pdfinfo", pdf, tmp_path)
    assert "595.276 x 841.89 pts (A4)" in info
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) >= 2  # the longest guide takes more than a page


def test_the_subset_is_small_truetype(fonts):
    data = truetype_subset(fonts.regular, "证明开具", "cjk-test")
    assert data[:4] == b"\0\1\0\0" and len(data) < 20_000


def test_the_a4_test_page(fonts, tmp_path):
    text = _run("pdftotext", self_test_page_pdf("青山县政务服务中心 1号机", fonts.regular, fonts.bold), tmp_path)
    assert "A4 打印测试页" in text and "青山县政务服务中心 1号机" in text
