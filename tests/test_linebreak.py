"""Chinese line breaking (hardware.linebreak) on the receipt's columns: no line starts with
closing punctuation or ends with an opening bracket, nothing lost, every line fits."""

from hypothesis import assume, given, strategies as st

from hardware.linebreak import NO_LINE_END, NO_LINE_START, break_lines
from hardware.printer.receipt import text_width, wrap

WORDS = ["身份证", "（原件）", "户口簿", "《办事指南》", "「表格」", "abc", "12345", "办理", "青山县",
         "，", "。", "、", "：", "；", "！", "？", " "]
PUNCTUATION = set("，。、：；！？ ")


def assert_kinsoku(lines):
    for before, after in zip(lines, lines[1:]):
        assert after[:1] not in NO_LINE_START, f"a line starts with {after[:1]!r}: {lines}"
        assert before[-1:] not in NO_LINE_END, f"a line ends with {before[-1:]!r}: {lines}"


def test_a_full_stop_at_the_break_takes_the_character_before_it_along():
    assert wrap("一二三四五。六七", 10) == ["一二三四", "五。六七"]
    assert wrap("一二三四（五）", 10) == ["一二三四", "（五）"]
    assert wrap("一二三（四五）。六", 14) == ["一二三（四", "五）。六"]  # two marks: two characters along
    lines = wrap("请携带本人居民身份证（原件）、户口簿（原件）及近期免冠照片，到青山县公安局办理。", 20)
    assert_kinsoku(lines)
    assert lines[0] == "请携带本人居民身份证" and lines[1].startswith("（原件）、")


def test_closing_runs_and_opening_brackets():
    lines = wrap("甲乙丙丁戊己庚（辛）」。壬癸", 16)
    assert_kinsoku(lines)
    lines = wrap("甲乙丙丁戊己庚《辛壬癸》", 16)  # 《 would end the first line
    assert lines == ["甲乙丙丁戊己庚", "《辛壬癸》"]


@given(st.lists(st.sampled_from(WORDS), max_size=40), st.sampled_from([16, 20, 24, 32, 48]))
def test_any_text_breaks_by_the_rules(words, columns):
    # punctuation marks one at a time (a run of them longer than a line has no good break)
    assume(not any(a in PUNCTUATION and b in PUNCTUATION for a, b in zip(words, words[1:])))
    text = "".join(words)
    lines = wrap(text, columns)
    assert all(text_width(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert_kinsoku(lines)


def test_pixels_as_well_as_columns():
    lines = break_lines("天下大势，分久必合，合久必分。", lambda line: len(line) <= 5)
    assert lines == ["天下大势，", "分久必合，", "合久必分。"]
    assert break_lines("", lambda line: True) == [""]
