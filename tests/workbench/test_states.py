"""The application state machine of the back office (hall.workbench.states), without a hall."""

import pytest

from hall.workbench.states import ACTIONS, FINISHED, IllegalMove, allowed, move

DETAILS = {"correct": {"missing": {"申请表": "缺少"}}, "refuse": {"note": "不属于本部门受理范围"},
           "decide": {"outcome": "准予"}, "finish": {"collection": "邮寄送达"}}
STATES = ("收件", "补正", "受理", "审查", "决定", "办结", "不予受理")


def test_the_happy_path_with_a_correction():
    state = "收件"
    for action in ("correct", "accept", "review", "decide", "finish"):
        state, _ = move(state, action, **DETAILS.get(action, {}))
    assert state == "办结"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_move_is_allowed_exactly_when_the_table_says(state, action):
    legal = {("收件", "accept"), ("补正", "accept"), ("收件", "correct"), ("收件", "refuse"), ("补正", "refuse"),
             ("受理", "review"), ("审查", "decide"), ("决定", "finish")}
    if (state, action) in legal:
        assert move(state, action, **DETAILS.get(action, {}))[0] == ACTIONS[action].stage
        assert action in allowed(state)
    else:
        with pytest.raises(IllegalMove):
            move(state, action, **DETAILS.get(action, {}))
        assert action not in allowed(state)


@pytest.mark.parametrize("state", FINISHED)
def test_nothing_follows_an_end(state):
    assert allowed(state) == []
    with pytest.raises(IllegalMove, match=f"已{state}"):
        move(state, "accept")


def test_finishing_before_a_decision_is_refused_and_says_why():
    with pytest.raises(IllegalMove, match="决定之后"):
        move("审查", "finish", collection="窗口领取")


@pytest.mark.parametrize("state, action, details, words", [
    ("收件", "correct", {}, "勾选"),
    ("收件", "refuse", {"note": "  "}, "理由"),
    ("审查", "decide", {"outcome": "maybe"}, "准予或不予"),
    ("审查", "decide", {"outcome": "不予"}, "理由"),
    ("决定", "finish", {"collection": "carrier pigeon"}, "领取方式"),
    ("收件", "shred", {}, "未知操作"),
])
def test_an_action_without_its_details_is_refused(state, action, details, words):
    with pytest.raises(IllegalMove, match=words):
        move(state, action, **details)


def test_the_resident_reads_what_is_missing_and_why():
    state, note = move("收件", "correct", missing={"居民身份证": "不清晰", "申请表": "缺少"}, note="请重新拍摄")
    assert state == "补正"
    assert note == "请补正：居民身份证（不清晰）；申请表（缺少）。请重新拍摄"
    assert move("审查", "decide", outcome="不予", note="材料不实")[1] == "不予许可：材料不实"
    assert move("决定", "finish", collection="电子证照")[1] == "已办结，领取方式：电子证照"
