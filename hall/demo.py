"""`kiosk hall --demo` (what `kiosk demo` runs): a county at work on the first start.

The back-office accounts named in the README, and — once, into a hall with no applications —
a month of applications, 12345 requests and 好差评 ratings across the departments, in every
state and light. Every application's form is checked by the hall's own rules (hall.forms) and
every step is taken by the back office's own state machine (hall.workbench.states), so the seed
reads exactly as work done through the workbench would; only the dates are in the past. The
people are fictional (demo cards included: their holders find applications of their own).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from hall import clock, db, forms, staff
from hall.api.material_refs import FileRef, MaterialRef
from hall.api.ratings import LEVEL_ZH
from hall.api.requests import LIMIT_DAYS
from hall.identity import id_hash, mask_id
from hall.materials import attach
from hall.workbench import states
from kiosk.form_rules import id_check_character, resolve_date

TERMINAL = "demo-001"
PASSWORD = "qingshan-demo"  # every demo account's; the README names them
# (name, role, departments): one clerk per group of departments, so every queue has an owner
STAFF = [("clerk.ga", "clerk", ["GA"]),
         ("clerk.rs", "clerk", ["RS", "YB", "GJ", "SW"]),
         ("clerk.sj", "clerk", ["SJ", "ZR", "ZJ", "JT"]),
         ("clerk.mz", "clerk", ["MZ", "WJ", "JY", "TY", "NY"]),
         ("dispatcher", "dispatcher", []),
         ("supervisor", "supervisor", [])]
DAYS = 30                      # calendar days of history
PER_WORKING_DAY = (5, 9)       # applications a working day
REQUESTS_PER_WORKING_DAY = (1, 4)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红德永福春梅海燕晓东文斌鹏飞雪琴慧"
TOWNS = ["城关镇", "青溪镇", "石门乡", "白沙镇", "龙泉乡", "桃源镇"]
VILLAGES = ["和平村", "新民村", "东风社区", "向阳村", "金星社区", "柳湾村", "石桥村"]
TEXT_VALUES = {"开户银行": ["青山农村商业银行城关支行", "中国农业银行青山县支行", "中国邮政储蓄银行青山县支行"],
               "就读学校": ["青山县第一中学", "青山县实验小学"], "就诊医院": ["青山县人民医院", "青山县中医医院"],
               "转入医院": ["省人民医院"], "诊断医院": ["青山县人民医院"], "前往国家或地区": ["新加坡", "泰国"],
               "与迁入户户主关系": ["子女", "配偶"], "转出地": ["邻江县"], "就医地": ["省会城市"]}
REFUSALS = ["申请事项不属于本部门职权范围，请向县民政局申请", "申请人不符合办理条件：户籍不在本县"]
CORRECTION_NOTES = ["请重新拍摄，确保四角完整、字迹清晰", "", "请补充加盖公章的原件照片"]
REQUESTS = [("投诉", "小区楼下夜市烧烤油烟和噪音扰民，晚上十一点后仍在营业", "城关镇人民路"),
            ("投诉", "路灯连续三晚不亮，晚上出行不安全", "青溪镇滨河路"),
            ("咨询", "灵活就业人员怎样在自助终端缴纳城乡居民养老保险？", ""),
            ("咨询", "孩子上小学需要准备哪些材料，什么时候报名？", ""),
            ("求助", "家中老人独居，行动不便，想申请居家养老上门服务", "石门乡向阳村"),
            ("建议", "建议在县医院门口增设公交站台，方便老年人就医", "县人民医院"),
            ("建议", "建议便民服务中心周六上午开放半天", ""),
            ("举报", "有人在河道内非法采砂，白天晚上都有机械作业", "白沙镇柳湾村河段"),
            ("投诉", "农贸市场部分摊位缺斤短两", "城关镇农贸市场"),
            ("求助", "自来水停水两天，一直没有通知何时恢复", "龙泉乡新民村")]
REPLIES = ["经现场核查，已责令商户整改，并安排夜间巡查", "已安排维修人员更换线路，路灯已恢复照明",
           "已电话告知办理流程和所需材料", "已联系所在村委会，安排专人上门对接", "建议已转交相关部门研究采纳",
           "已会同相关部门现场查处，依法处理"]
# the steps that bring an application to each state (hall.workbench.states), and a request
FATES = {"收件": [], "补正": ["correct"], "受理": ["accept"], "审查": ["accept", "review"],
         "决定": ["accept", "review", "decide"], "办结": ["accept", "review", "decide", "finish"],
         "不予受理": ["refuse"]}
REQUEST_FATES = {"受理": [], "派单": ["dispatch"], "办理": ["dispatch", "handle"],
                 "督办": ["dispatch", "handle", "supervise"], "回复": ["dispatch", "handle", "reply"],
                 "办结": ["dispatch", "handle", "reply", "close"],
                 "回访": ["dispatch", "handle", "reply", "close", "follow_up"]}
BAD_REASONS = ["等了很久才受理，窗口说材料不全但没有一次性告知", "补正要求不清楚，来回跑了两趟",
               "电话一直打不通", "回复内容和我反映的问题不符"]


def set_up(database: db.Database, id_key: bytes, materials, seed: int = 12345) -> bool:
    """Create the demo accounts (when missing) and seed the month (when the hall has no
    applications yet). True when the month was seeded now."""
    with database.read_session() as session:
        have = set(session.scalars(select(staff.StaffAccount.name)))
        seeded = session.scalar(select(func.count()).select_from(db.Application))
    for name, role, departments in STAFF:
        if name not in have:
            staff.create(database, name, role, departments, PASSWORD)
    if seeded:
        return False
    Month(database, id_key, materials, random.Random(seed)).seed()
    return True


class Month:
    def __init__(self, database, id_key: bytes, materials, rng: random.Random):
        self.database, self.id_key, self.materials, self.rng = database, id_key, materials, rng
        self.now = clock.now()
        self.today = self.now.date()
        self.pages: dict[str, bytes] = {}
        self.numbers: set[str] = set()

    def seed(self) -> None:
        with self.database.read_session() as session:
            self.items = session.execute(select(db.Item, db.Form.definition)
                                         .join(db.Form, db.Form.item_code == db.Item.code)
                                         .where(db.Item.data["online"].as_boolean())).all()
            self.departments = dict(session.execute(select(db.Department.code, db.Department.name)).all())
        self.cards = _demo_cards()
        days = [self.today - timedelta(days=n) for n in range(DAYS, -1, -1)]
        for day in (d for d in days if clock.is_working_day(d)):
            for _ in range(self.rng.randint(*PER_WORKING_DAY)):
                self.application(day)
            for _ in range(self.rng.randint(*REQUESTS_PER_WORKING_DAY)):
                self.request(day)
        self.every_state_and_light()
        for index, card in enumerate(self.cards):  # a demo card's holder: one on the way, one waiting for 补正
            self.application(self.back(3 + index), person=card, fate="审查")
            self.application(self.back(1 + index), person=card, fate="补正")
        self.guide_ratings()

    def every_state_and_light(self) -> None:
        """Whatever the random month gave: one application in each open state at each light, one
        finished on time and one late, one refused; one request in each status."""
        timed = [(item, d) for item, d in self.items if 5 <= item.data["promised_limit_days"] <= 20]
        for fate in ("收件", "补正", "受理", "审查", "决定"):
            item = self.rng.choice(timed)
            limit = item[0].data["promised_limit_days"]
            for elapsed in (1, limit, limit + 2):  # green, yellow (the limit's last day), red
                self.application(self.back(elapsed), item=item, fate=fate)
        self.application(self.back(8), item=self.rng.choice(timed), fate="办结")
        self.application(self.back(25), item=self.rng.choice(timed), fate="办结", late=True, rated=1)
        self.application(self.back(2), fate="不予受理")
        for fate in REQUEST_FATES:
            self.request(self.back(20 if fate == "督办" else 4), fate=fate)
        self.request(self.back(6), fate="回访", rate=2)

    def back(self, working_days: int) -> date:
        day = self.today
        while working_days > 0:
            day -= timedelta(days=1)
            working_days -= clock.is_working_day(day)
        return day

    # -- people and moments ----------------------------------------------------------
    def person(self) -> dict:
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        first17 = f"52012{rng.randint(1, 9)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        return {"name": name, "id_number": first17 + id_check_character(first17),
                "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                "address": f"青山县{rng.choice(TOWNS)}{rng.choice(VILLAGES)}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"}

    def moment(self, day: date, after: datetime | None = None) -> datetime | None:
        """A time in office hours on `day` or, when `after` leaves no time that day, on the next
        working day; None when it would be in the future."""
        if after is not None and day < after.date():
            day = after.date()
        while day <= self.today:
            start = max(8 * 60 + 30, (after.hour * 60 + after.minute + 5) if after and after.date() == day else 0)
            if start <= 17 * 60 + 30:
                minutes = self.rng.randint(start, 17 * 60 + 30)
                at = datetime.combine(day, time(minutes // 60, minutes % 60, self.rng.randint(0, 59)), clock.CST)
                return at if at <= self.now else None
            day = clock.add_working_days(day, 1)
        return None

    def later(self, at: datetime, working_days: float) -> datetime | None:
        whole = int(working_days) + (self.rng.random() < working_days % 1)
        return self.moment(clock.add_working_days(at.date(), whole), after=at)

    # -- applications ---------------------------------------------------------------
    def application(self, day: date, person: dict | None = None, fate: str = "", item=None,
                    late: bool = False, rated: int | None = None) -> None:
        """One application submitted on `day`: taken as far as its pace allows by now, or, given a
        `fate`, straight to that state (its steps on the day; `late`: finished past its limit)."""
        rng = self.rng
        item, definition = item or rng.choice(self.items)
        person = person or self.person()
        submitted = self.moment(day)
        if submitted is None:
            return
        form = self.form(definition, person)
        given = self.materials_for(definition)
        signature = self.upload(_signature_png(person["name"])) if definition["signature"] else None
        problems, stored = forms.check(definition, form, [m.model_dump(exclude_defaults=True) for m in given],
                                       signature and signature.model_dump(), complete=True)
        if problems:
            raise ValueError(f"demo form for {item.code} fails the hall's own check: {problems}")
        limit = item.data["promised_limit_days"]
        timeline = self.timeline(submitted, limit, definition, fate, late)
        with self.database.write_session() as session:
            row = db.Application(
                number=self.number("SB", submitted), item_code=item.code,
                item_name=item.name, terminal_id=TERMINAL, channel="kiosk", applicant_name=person["name"],
                applicant_phone=person["phone"], id_hash=id_hash(self.id_key, person["id_number"]),
                id_masked=mask_id(person["id_number"]), form=stored, form_version=forms.version(definition),
                materials=[m.model_dump(exclude_defaults=True) for m in given],
                signature=signature and signature.model_dump(), status=timeline[-1]["stage"],
                submitted_at=clock.utc_naive(submitted), limit_days=limit,
                due_date=clock.add_working_days(submitted.date(), limit), timeline=timeline)
            session.add(row)
            session.flush()
            attach(session, TERMINAL, row.id, given, signature)
            session.commit()
        if rated or (row.status in states.FINISHED and rng.random() < 0.6):
            self.rating("application", row.number, row.timeline[-1]["at"], rated)

    def timeline(self, submitted: datetime, limit: int, definition: dict, fate: str, late: bool) -> list[dict]:
        """The steps taken by now: each a move of hall.workbench.states, each at a later moment.
        A slow one (one in six) takes longer than its limit: yellow or red while it is open."""
        rng, state, at = self.rng, "收件", submitted
        entries = [{"stage": "收件", "at": submitted.isoformat(timespec="seconds"), "note": "自助终端提交"}]
        slow = rng.random() < 1 / 6
        names = [m["name"] for m in definition["materials"]] or ["申请材料"]
        path = FATES[fate] if fate else self.path(names)
        for action in path:
            days = (limit + 1 if late and action == "finish" else 0) if fate else self.takes(action, state, limit, slow)
            at = self.later(at, days)
            if at is None:
                break
            details = {}
            if action == "correct":
                details["missing"] = {rng.choice(names): rng.choice(("缺少", "不清晰"))}
                details["note"] = rng.choice(CORRECTION_NOTES)
            elif action == "refuse":
                details["note"] = rng.choice(REFUSALS)
            elif action == "decide":
                details["outcome"] = "不予" if rng.random() < 0.05 else "准予"
                details["note"] = "经审查不符合法定条件" if details["outcome"] == "不予" else ""
            elif action == "finish":
                details["collection"] = rng.choice(states.COLLECTION)
            state, note = states.move(state, action, **details)
            entry = {"stage": state, "at": at.isoformat(timespec="seconds"), "note": note}
            if "missing" in details:
                entry["missing"] = details["missing"]
            entries.append(entry)
        return entries

    def takes(self, action: str, state: str, limit: int, slow: bool) -> float:
        """Working days a step takes: the resident's 补正 a few, the review and the decision a
        share of the promised limit (a slow one: more than all of it)."""
        uniform = self.rng.uniform
        if state == "补正":
            return uniform(1, 4)
        if action == "review":
            return uniform(0.1, 0.35) * limit
        if action == "decide":
            return uniform(0.15, 0.45) * limit * (2.5 if slow else 1)
        return uniform(1, 3) if slow else uniform(0, 1)

    def path(self, names: list[str]) -> list[str]:
        draw = self.rng.random()
        if draw < 0.04:
            return ["refuse"]
        head = ["correct", "accept"] if draw < 0.16 else ["accept"]
        return head + ["review", "decide", "finish"]

    def form(self, definition: dict, person: dict) -> dict:
        rng, values = self.rng, {}
        for field in definition["fields"]:
            if not field.get("required") and rng.random() < 0.4:
                continue
            value = self.value(field, person)
            if value is not None:
                values[field["key"]] = value
        return values

    def value(self, field: dict, person: dict):
        rng, kind, label = self.rng, field["type"], field["label"]["zh"]
        if kind == "choice":
            return rng.choice(field["choices"])["value"]
        if kind == "yes_no":
            return rng.random() < 0.5
        if kind == "phone":
            return person["phone"]
        if kind == "address":
            return person["address"]
        if kind == "id_number":
            return self.person()["id_number"]
        if kind == "number":
            low, high = field.get("min", 1), field.get("max", 100)
            high = min(high, low + 50) if high > low else low
            return rng.randint(int(low), int(high)) if field.get("integer", True) else round(rng.uniform(low, high), 2)
        if kind == "date":
            earliest = field.get("earliest") and resolve_date(field["earliest"], self.today)
            latest = field.get("latest") and resolve_date(field["latest"], self.today)
            earliest = earliest or (latest or self.today) - timedelta(days=3650)
            latest = latest or earliest + timedelta(days=365)
            return (earliest + timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))).isoformat()
        if kind == "long_text":
            return rng.choice(["材料原件办理时带到窗口核验", "工作日白天可电话联系", "情况属实，请予办理"])
        if "姓名" in label:
            return self.person()["name"]
        if "账号" in label:
            return "6228" + "".join(str(rng.randint(0, 9)) for _ in range(15))
        if "信用代码" in label:
            return "91520123MA6" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
        if "单位" in label or "名称" in label:
            return f"青山县{rng.choice(['恒通', '新源', '绿野', '兴农'])}{rng.choice(['商贸', '农业', '建材'])}有限公司"
        text = rng.choice(TEXT_VALUES.get(label, [f"青山县{rng.choice(TOWNS)}"]))
        return text[:field.get("max_length", 100)].ljust(field.get("min_length", 0), "0")

    def materials_for(self, definition: dict) -> list[MaterialRef]:
        given = []
        for material in definition["materials"]:
            if not material["required"] and self.rng.random() < 0.5:
                continue
            how = next(h for h in ("camera", "id_card", "window") if h in material["accepts"])
            refs = [self.upload(self.page(material["name"]))] if how == "camera" else []
            given.append(MaterialRef(key=material["key"], how=how, pages=refs))
        return given

    def number(self, prefix: str, at: datetime) -> str:
        while True:
            number = f"{prefix}{at:%Y%m%d}{self.rng.randint(0, 999999):06d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def page(self, name: str) -> bytes:
        if name not in self.pages:
            self.pages[name] = _page_jpeg(name)
        return self.pages[name]

    def upload(self, data: bytes) -> FileRef:
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        sha256 = hashlib.sha256(data).hexdigest()
        self.materials.put(TERMINAL, sha256, data, kind)
        return FileRef(sha256=sha256, size=len(data), type=kind)

    # -- 12345 requests and ratings ---------------------------------------------------
    def request(self, day: date, fate: str = "", rate: int | None = None) -> None:
        """One 12345 request filed on `day`, taken as far as its pace allows by now, or given a
        `fate`, straight to that status; rated (评价) by half of those followed up, or `rate` (a level)."""
        rng = self.rng
        kind, content, location = rng.choice(REQUESTS)
        submitted = self.moment(day)
        if submitted is None:
            return
        person = self.person()
        limit = LIMIT_DAYS[kind]
        due = clock.add_working_days(submitted.date(), limit)
        department = rng.choice(list(self.departments))
        status, at, reply = "受理", submitted, None
        history = [{"status": "受理", "at": submitted.isoformat(timespec="seconds"), "note": "自助终端受理"}]
        slow = rng.random() < 0.2
        plan = ["dispatch", "handle", "supervise", "reply", "close", "follow_up"] if slow else \
            ["dispatch", "handle", "reply", "close", "follow_up"]
        for action in REQUEST_FATES[fate] if fate else plan:
            if action == "supervise":
                at = self.moment(clock.add_working_days(due, 1), after=at)
            else:
                at = self.later(at, 0 if fate else rng.uniform(0, limit * (0.5 if slow else 0.2)))
            if at is None:
                break
            status, note = states.move_request(
                status, action, overdue=at.date() > due, department=self.departments[department],
                note=rng.choice(REPLIES) if action == "reply" else "",
                result=rng.choices(states.VISIT_RESULTS, (8, 2, 1))[0] if action == "follow_up" else "")
            reply = note if action == "reply" else reply
            history.append({"status": status, "at": at.isoformat(timespec="seconds"), "note": note})
        ticket = self.number("RQ", submitted)
        if status == "回访" and (rate or rng.random() < 0.5):  # rated at a terminal: 评价
            level = self.rating("request", ticket, history[-1]["at"], rate)
            rated = min(datetime.fromisoformat(history[-1]["at"]) + timedelta(hours=2), self.now)
            status = "评价"
            history.append({"status": "评价", "at": rated.isoformat(timespec="seconds"),
                            "note": f"市民评价：{LEVEL_ZH[level]}"})
        with self.database.write_session() as session:
            session.add(db.HotlineRequest(
                ticket=ticket, type=kind, content=content,
                location=location, phone=person["phone"], name=person["name"] if rng.random() < 0.5 else "",
                terminal_id=TERMINAL, status=status, submitted_at=clock.utc_naive(submitted), due_date=due,
                history=history, department_code=department if status != "受理" else None, reply=reply))
            session.commit()

    def rating(self, kind: str, ref: str, after: str, level: int | None = None) -> int:
        rng = self.rng
        level = level or rng.choices((5, 4, 3, 2, 1), (62, 24, 8, 4, 2))[0]
        indicators = {name: max(1, min(5, level + rng.choice((-1, 0, 0, 0, 1))))
                      for name in ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性")}
        indicators["整体满意度"] = level
        at = min(datetime.fromisoformat(after) + timedelta(minutes=rng.randint(5, 600)), self.now)
        with self.database.write_session() as session:
            session.add(db.Rating(level=level, indicators=indicators, subject_kind=kind, subject_ref=ref,
                                  once_key=f"{kind}:{ref}" if kind != "guide" else None,
                                  reason=rng.choice(BAD_REASONS) if level <= 2 else "",
                                  terminal_id=TERMINAL, created_at=clock.utc_naive(at)))
            session.commit()
        return level

    def guide_ratings(self) -> None:
        for _ in range(40):
            item, _definition = self.rng.choice(self.items)
            day = self.today - timedelta(days=self.rng.randint(0, DAYS))
            at = self.moment(day) or self.now
            self.rating("guide", item.code, at.isoformat(timespec="seconds"))


def _demo_cards() -> list[dict]:
    """The holders of the demo's mainland ID cards (assets/seed/idcards.json), as applicants."""
    import json

    from hall.app import DEFAULT_SEED

    path = Path(DEFAULT_SEED) / "idcards.json"
    if not path.exists():
        return []
    cards = json.loads(path.read_text(encoding="utf-8"))
    return [{"name": c["name"], "id_number": c["id_number"], "address": c["address"][:200],
             "phone": "13800138000"} for c in cards if c.get("card_type") in ("mainland", "residence-permit")]


def _font(size: int):
    folder = Path(os.environ.get("KIOSK_ASSETS", Path(__file__).resolve().parent.parent / "assets")) / "fonts"
    path = folder / "NotoSansCJKsc-Regular.otf"
    return ImageFont.truetype(str(path), size) if path.exists() else None


def _page_jpeg(title: str) -> bytes:
    """A sample A4 page (100 dpi) standing for a photographed material: its name, lines of text, 样本."""
    image = Image.new("L", (827, 1169), 250)
    draw = ImageDraw.Draw(image)
    big, small = _font(44), _font(24)
    if big is None:  # a hall installed without the terminal's fonts: no Chinese face to draw with
        draw.text((80, 80), "SAMPLE PAGE", fill=30)
    else:
        draw.text((413, 110), title, font=big, fill=20, anchor="mm")
        for row in range(14):
            draw.line((90, 220 + row * 56, 737 - (row % 3) * 90, 220 + row * 56), fill=150, width=3)
        draw.text((413, 1040), "演示样本 · 青山县", font=small, fill=120, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _signature_png(name: str) -> bytes:
    image = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(image)
    font = _font(96)
    if font is None:
        draw.line((40, 150, 200, 60, 360, 140, 560, 70), fill=0, width=6)
    else:
        draw.text((300, 100), name, font=font, fill=10, anchor="mm")
    out = io.BytesIO()
    image.convert("1").save(out, "PNG")
    return out.getvalue()
