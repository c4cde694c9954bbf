"""An application's life in the back office: which action may follow which state, and the
timeline entry each writes (what the kiosk's 办件进度 shows the resident).

收件 → 受理 | 补正 | 不予受理;  补正 → 受理 | 不予受理;  受理 → 审查 → 决定 → 办结.
不予受理 and 办结 end it: nothing follows them. Pure functions, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTCOMES = ("准予", "不予")
COLLECTION = ("窗口领取", "邮寄送达", "自助终端打印", "电子证照")
FINISHED = ("办结", "不予受理")


@dataclass(frozen=True)
class Action:
    stage: str              # the state it moves to, and the stage of its timeline entry
    after: tuple[str, ...]  # the states it may follow
    label: str


ACTIONS = {
    "accept": Action("受理", ("收件", "补正"), "受理"),
    "correct": Action("补正", ("收件",), "要求补正"),
    "refuse": Action("不予受理", ("收件", "补正"), "不予受理"),
    "review": Action("审查", ("受理",), "审查"),
    "decide": Action("决定", ("审查",), "作出决定"),
    "finish": Action("办结", ("决定",), "办结"),
}


class IllegalMove(ValueError):
    """The action may not follow the application's state, or its details are missing."""


def allowed(state: str) -> list[str]:
    """The actions that may follow `state`, in ACTIONS' order."""
    return [name for name, action in ACTIONS.items() if state in action.after]


def move(state: str, action: str, *, note: str = "", missing: dict[str, str] | None = None,
         outcome: str = "", collection: str = "") -> tuple[str, str]:
    """(new state, the timeline note for the resident). `missing`: material name -> 缺少 | 不清晰.
    IllegalMove with a message for the clerk."""
    found = ACTIONS.get(action)
    if found is None:
        raise IllegalMove(f"未知操作 {action}")
    if state not in found.after:
        if state in FINISHED:
            raise IllegalMove(f"本件已{state}，不能再{found.label}")
        raise IllegalMove(f"当前状态为{state}，不能{found.label}（须在{'或'.join(found.after)}之后）")
    note = note.strip()
    if action == "correct":
        if not missing:
            raise IllegalMove("要求补正须勾选缺少或不清晰的材料")
        listed = "；".join(f"{name}（{why}）" for name, why in missing.items())
        return found.stage, f"请补正：{listed}" + (f"。{note}" if note else "")
    if action == "refuse":
        if not note:
            raise IllegalMove("不予受理须写明理由")
        return found.stage, f"不予受理：{note}"
    if action == "decide":
        if outcome not in OUTCOMES:
            raise IllegalMove("决定须选择准予或不予")
        if outcome == "不予" and not note:
            raise IllegalMove("不予许可须写明理由")
        return found.stage, f"{outcome}许可" + (f"：{note}" if note else "")
    if action == "finish":
        if collection not in COLLECTION:
            raise IllegalMove("办结须选择结果领取方式")
        return found.stage, f"已办结，领取方式：{collection}" + (f"。{note}" if note else "")
    return found.stage, {"accept": "已受理", "review": "审查中"}[action] + (f"：{note}" if note else "")


# --- 12345 requests: 受理 → 派单 → 办理 → 回复 → 办结 → 回访; overdue while with the department: 督办.

VISIT_RESULTS = ("满意", "基本满意", "不满意")


@dataclass(frozen=True)
class RequestAction:
    status: str
    after: tuple[str, ...]
    role: str               # who does it: the dispatcher, or a clerk of the department it went to
    label: str


REQUEST_ACTIONS = {
    "dispatch": RequestAction("派单", ("受理", "回复"), "dispatcher", "派单"),  # again from 回复: not answered
    "handle": RequestAction("办理", ("派单", "督办"), "clerk", "开始办理"),
    "reply": RequestAction("回复", ("办理", "督办"), "clerk", "回复"),
    "supervise": RequestAction("督办", ("派单", "办理"), "dispatcher", "督办"),
    "close": RequestAction("办结", ("回复",), "dispatcher", "办结"),
    "follow_up": RequestAction("回访", ("办结",), "dispatcher", "记录回访"),
}
REQUEST_FINISHED = ("回访", "评价")


def request_allowed(status: str, role: str, overdue: bool) -> list[str]:
    return [name for name, a in REQUEST_ACTIONS.items()
            if status in a.after and a.role == role and (name != "supervise" or overdue)]


def move_request(status: str, action: str, *, overdue: bool, note: str = "", department: str = "",
                 result: str = "") -> tuple[str, str]:
    """(new status, the history note the resident reads). IllegalMove with a message for the staff."""
    found = REQUEST_ACTIONS.get(action)
    if found is None:
        raise IllegalMove(f"未知操作 {action}")
    if status not in found.after:
        raise IllegalMove(f"工单当前为{status}，不能{found.label}")
    note = note.strip()
    if action == "dispatch":
        if not department:
            raise IllegalMove("派单须选择承办部门")
        return found.status, f"已派至{department}" + (f"：{note}" if note else "")
    if action == "supervise":
        if not overdue:
            raise IllegalMove("未超期的工单不能督办")
        return found.status, "已超期，已督办承办部门" + (f"：{note}" if note else "")
    if action == "reply":
        if not note:
            raise IllegalMove("回复须写明办理结果")
        return found.status, note
    if action == "follow_up":
        if result not in VISIT_RESULTS:
            raise IllegalMove("回访须选择满意、基本满意或不满意")
        return found.status, f"回访结果：{result}" + (f"。{note}" if note else "")
    return found.status, {"handle": "承办部门正在办理", "close": "已办结"}[action] + (f"：{note}" if note else "")
