"""What the emulated document camera sees: known documents photographed on a desk.

Every document is invented (the holder is the ID card emulator's demo card, 张晓明).
A document is drawn with PIL at 150 dpi, then "photographed": placed on a wooden desk
with a little perspective and rotation, a drop shadow, the lamp's fall-off and the
camera arm's shadow across it, a slight blur and per-frame sensor noise. The tests
know each document's `text` and `keywords` and look for them in the OCR of the captured page.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

PAGE_PX = (1240, 1754)   # A4 at 150 dpi
RED = (200, 30, 30)


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    rows: tuple[str, ...]       # one line of text each; "|" splits a row into table cells
    keywords: tuple[str, ...]   # phrases the OCR of a captured page must find
    stamp: str = ""             # a red seal in the bottom right with this text

    @property
    def text(self) -> str:
        """All the document's text in reading order, without spaces (as OCR of Chinese is compared)."""
        return "".join((self.title + "".join(self.rows) + self.stamp).replace("|", "").split())


DOCUMENTS = (
    Document("hukou", "常住人口登记卡", (
        "姓名|张晓明", "户主或与户主关系|户主", "性别|男", "民族|汉族", "出生日期|1990年3月7日",
        "出生地|湖南省长沙市", "籍贯|湖南长沙", "公民身份号码|430102199003075518",
        "文化程度|大学本科", "婚姻状况|已婚", "服务处所|长沙市芙蓉区政务服务中心", "职业|办事员",
        "何时迁来本市|2008年9月", "住址|芙蓉区五一大道100号", "登记日期|2015年6月1日"),
        ("户主或与户主关系", "公民身份号码", "服务处所", "出生日期"), stamp="户口专用章"),
    Document("marriage", "结婚证", (
        "持证人|张晓明", "登记日期|2018年5月20日", "结婚证字号|J430102-2018-001234",
        "姓名|张晓明", "性别|男", "国籍|中国", "出生日期|1990年3月7日",
        "姓名|王丽华", "性别|女", "国籍|中国", "出生日期|1992年8月16日",
        "登记机关|长沙市芙蓉区民政局", "备注|无"),
        ("结婚证字号", "持证人", "王丽华", "登记机关"), stamp="婚姻登记专用章"),
    Document("application", "户口迁移申请表", (
        "申请人姓名|张晓明", "联系电话|13800000000", "迁出地址|湖南省株洲市天元区",
        "迁入地址|长沙市芙蓉区五一大道100号", "迁移原因|投靠配偶", "迁移人数|1人",
        "与户主关系|户主", "申请人签名|张晓明", "申请日期|2026年3月2日",
        "以下由受理窗口填写", "受理人|", "受理日期|"),
        ("申请人姓名", "迁入地址", "迁移原因", "投靠配偶")),
    Document("lease-1", "房屋租赁合同（第一页）", (
        "出租方（甲方）：王建国", "承租方（乙方）：张晓明",
        "第一条 甲方将位于长沙市芙蓉区五一大道", "100号的房屋出租给乙方居住使用。",
        "第二条 租赁期限自2025年1月1日起", "至2027年12月31日止，共三年。",
        "第三条 月租金为人民币二千元整，", "乙方每季度第一个月五日前交付。",
        "第四条 乙方交付押金人民币二千元，", "租期届满退还。",
        "第五条 甲方保证房屋结构安全，", "设施设备能够正常使用。",
        "第六条 房屋及附属设施的日常维修", "由甲方负责，乙方应予配合。",
        "", "第 1 页 共 2 页"),
        ("房屋租赁合同", "出租方", "租赁期限", "月租金")),
    Document("lease-2", "房屋租赁合同（第二页）", (
        "第七条 租赁期间水电费由乙方承担，", "物业管理费由甲方承担。",
        "第八条 乙方不得擅自改变房屋结构，", "不得转租。",
        "第九条 任何一方违约，应向对方支付", "一个月租金作为违约金。",
        "第十条 本合同未尽事宜，双方协商解决；", "协商不成的，依法向人民法院起诉。",
        "第十一条 本合同一式两份，甲乙双方", "各执一份，签字后生效。",
        "甲方签字：王建国", "乙方签字：张晓明", "签订日期：2024年12月20日",
        "", "第 2 页 共 2 页"),
        ("房屋租赁合同", "违约金", "一式两份", "签订日期")),
)


def system_font() -> tuple[str, int]:
    """fontconfig's Simplified Chinese face (file, face index in a .ttc), for callers that pass none."""
    try:
        found = subprocess.run(["fc-match", "sans-serif:lang=zh-cn", "--format", "%{file}|%{index}|%{lang}"],
                               capture_output=True, text=True, timeout=10).stdout.split("|")
    except (OSError, subprocess.SubprocessError):
        found = []
    if len(found) < 3 or "zh-cn" not in found[2:]:
        raise FileNotFoundError("no Simplified Chinese font for the emulated camera's pages "
                                "(apt install fonts-noto-cjk, or pass font=PATH)")
    return found[0], int(found[1] or 0)


def draw_document(doc: Document, font: str | Path, index: int = 0) -> np.ndarray:
    """The document as a flat RGB picture, A4 at 150 dpi."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = PAGE_PX
    image = Image.new("RGB", PAGE_PX, (250, 249, 244))
    draw = ImageDraw.Draw(image)
    title = ImageFont.truetype(str(font), 64, index=index)
    body = ImageFont.truetype(str(font), 42, index=index)
    colour = RED if doc.key == "marriage" else (20, 20, 20)
    draw.text((width / 2, 130), doc.title, font=title, fill=colour, anchor="mm")
    left, right, top, pitch = 110, width - 110, 240, 84
    label_w = 360
    for i, row in enumerate(doc.rows):
        y = top + i * pitch
        if "|" in row:
            label, value = row.split("|", 1)
            draw.rectangle((left, y, right, y + pitch), outline=(60, 60, 60), width=2)
            draw.line((left + label_w, y, left + label_w, y + pitch), fill=(60, 60, 60), width=2)
            draw.text((left + 16, y + pitch / 2), label, font=body, fill=(20, 20, 20), anchor="lm")
            draw.text((left + label_w + 20, y + pitch / 2), value, font=body, fill=(25, 25, 90), anchor="lm")
        else:
            draw.text((left, y + pitch / 2), row, font=body, fill=(20, 20, 20), anchor="lm")
    if doc.stamp:
        cx, cy, r = width - 300, height - 260, 140
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=RED, width=8)
        draw.text((cx, cy - 10), "★", font=body, fill=RED, anchor="mm")
        small = ImageFont.truetype(str(font), 30, index=index)
        draw.text((cx, cy + 60), doc.stamp, font=small, fill=RED, anchor="mm")
    return np.asarray(image)


def desk(size: tuple[int, int]) -> np.ndarray:
    """A wooden desk top (8-bit BGR): grain along x, drawn at 1/4 size and scaled up."""
    return cv2.resize(_desk(size), size, interpolation=cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=2)
def _desk(size: tuple[int, int]) -> np.ndarray:
    width, height = size
    rng = np.random.default_rng(7)
    w, h = width // 4, height // 4
    y = np.arange(h, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    wobble = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 12) * 40
    grain = 0.5 + 0.5 * np.sin((y + wobble + 0.02 * x) / 3.5)
    streaks = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigmaX=20, sigmaY=1)
    tone = np.clip(0.75 + 0.15 * grain + 1.5 * streaks, 0.5, 1.0)
    return np.stack([tone * 62, tone * 100, tone * 150], axis=2).astype(np.uint8)


def page_quad(size: tuple[int, int]) -> np.ndarray:
    """Where the sheet lies in the picture: nearly filling its height, tilted 2.5 degrees,
    the far (top) edge 6 % narrower as the camera looks down at a slight angle."""
    width, height = size
    h = 0.9 * height
    w = h * PAGE_PX[0] / PAGE_PX[1]
    cx, cy = width * 0.52, height * 0.5
    quad = np.array([[-w / 2 * 0.94, -h / 2], [w / 2 * 0.94, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    a = np.radians(2.5)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (quad @ rotation.T + [cx, cy]).astype(np.float32)


def lighting(size: tuple[int, int]) -> np.ndarray:
    """The lamp's fall-off (bright top left, 35 % darker bottom right) and the arm's soft shadow
    across the right of the sheet, as a float32 factor (smooth: computed at 1/4 size)."""
    return cv2.resize(_lighting(size), size, interpolation=cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=2)
def _lighting(size: tuple[int, int]) -> np.ndarray:
    width, height = size
    y, x = np.mgrid[0:height // 4, 0:width // 4].astype(np.float32) * 4
    fall_off = 1.05 - 0.35 * (x / width * 0.6 + y / height * 0.4)
    band = np.exp(-(((x - 0.78 * width) + 0.3 * (y - height / 2)) / (0.07 * width)) ** 2)
    return fall_off * (1 - 0.3 * band)


def photograph(doc: Document | None, size: tuple[int, int], font: str | Path = "", index: int = 0,
               dark: bool = False) -> np.ndarray:
    """The scene without noise (8-bit BGR): `doc` on the desk (None: an empty desk).

    Done with OpenCV's (vectorised, threaded) calls on 8-bit pictures and one-channel factors:
    numpy on 5-megapixel float pictures took seconds a scene."""
    width, height = size
    factor = lighting(size) * (0.07 if dark else 1.0)
    scene = desk(size)
    if doc is not None:
        quad = page_quad(size)
        flat = np.array([[0, 0], [PAGE_PX[0], 0], [PAGE_PX[0], PAGE_PX[1]], [0, PAGE_PX[1]]], np.float32)
        sheet = cv2.warpPerspective(cv2.cvtColor(draw_document(doc, font, index), cv2.COLOR_RGB2BGR),
                                    cv2.getPerspectiveTransform(flat, quad), size, flags=cv2.INTER_LINEAR)
        mask = np.zeros((height, width), np.float32)
        cv2.fillConvexPoly(mask, quad.astype(np.int32), 1.0, lineType=cv2.LINE_AA)
        scene = cv2.blendLinear(sheet, scene, mask, 1.0001 - mask)
        # the sheet's drop shadow on the desk, down and to the right
        small = cv2.resize(mask, (width // 4, height // 4), interpolation=cv2.INTER_AREA)
        shadow = cv2.resize(cv2.GaussianBlur(np.roll(small, (4, 3), axis=(0, 1)), (0, 0), 3), size)
        factor = factor * (1 - 0.45 * shadow * (1 - mask))
    scene = cv2.merge([cv2.multiply(channel, factor, dtype=cv2.CV_8U) for channel in cv2.split(scene)])
    return cv2.GaussianBlur(scene, (0, 0), 0.8)


@functools.lru_cache(maxsize=1)
def _noise(shape: tuple[int, ...], sigma: float) -> np.ndarray:
    noise = np.empty(shape, np.int16)
    cv2.setRNGSeed(11)  # cv2's RNG takes a fifth of numpy's time; frames reproduce
    cv2.randn(noise, 0, sigma)
    return noise.astype(np.int8)  # kept: half the memory (±127 is ample at sigma 4)


def with_noise(scene: np.ndarray, seed: int, sigma: float = 4.0) -> np.ndarray:
    """One frame: the scene plus sensor noise (8-bit BGR, for the JPEG encoder). Frames with
    another `seed` get the same noise field shifted, which no eye (or OCR) tells apart."""
    noise = np.roll(_noise(scene.shape, sigma), (seed * 37, seed * 53), axis=(0, 1))
    return cv2.add(scene, noise, dtype=cv2.CV_8U)
