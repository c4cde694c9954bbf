"""The pinyin engine against the real dictionary built from jieba's dict.txt."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk import ime
from kiosk.errors import KioskError

HAN = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture(scope="session")
def dictionary(tmp_path_factory):
    """Built once from jieba, written to a cache file and read back as the app does."""
    cache = tmp_path_factory.mktemp("ime-cache")
    ime.load_or_build(cache)
    assert ime.cache_path(cache).stat().st_size > 1_000_000
    return ime.PinyinDictionary.load(ime.cache_path(cache))


@pytest.fixture
def typing(dictionary):
    return ime.PinyinInput(dictionary, page_size=5)


def texts(candidates, n=None):
    return [c.text for c in candidates][:n]


def test_initials_find_the_word(typing):
    typing.feed("sfz")
    assert texts(typing.candidates, 3)[0] == "身份证"
    assert typing.candidates[0].consumed == 3 and not typing.candidates[0].exact


def test_full_pinyin_puts_the_exact_word_first(typing):
    typing.feed("shenfenzheng")
    first = typing.candidates[0]
    assert (first.text, first.pinyin, first.consumed, first.exact) == ("身份证", "shen'fen'zheng", 12, True)


def test_common_surname_comes_early(dictionary):
    assert "张" in texts(dictionary.lookup("zhang"), 3)
    # a character is found under each of its readings
    assert "长" in texts(dictionary.lookup("chang"), 5)
    assert "行" in texts(dictionary.lookup("hang"), 5) and "行" in texts(dictionary.lookup("xing"), 5)
    assert "绿" in texts(dictionary.lookup("lv"), 5)


def test_whole_input_first_then_exact_before_abbreviated(dictionary):
    candidates = dictionary.lookup("shenfen")
    consumed = [c.consumed for c in candidates]
    assert consumed == sorted(consumed, reverse=True)
    whole = [c for c in candidates if c.consumed == 7]
    assert whole[0].text == "身份" and whole[0].exact
    exactness = [c.exact for c in whole]
    assert exactness == sorted(exactness, reverse=True), "an abbreviated match came before an exact one"
    # the shorter candidates are there too, for choosing part of the input
    assert "身" in texts(candidates)


def test_choosing_part_keeps_the_rest_of_the_pinyin(typing):
    typing.feed("shenfenzheng")
    index = texts(typing.page_items()).index("身份")
    assert typing.choose(index) == "身份"
    assert typing.letters == "zheng" and typing.page == 0
    assert typing.candidates[0].exact and typing.candidates[0].pinyin == "zheng"
    chosen = typing.page_items()[0].text
    assert typing.choose(0) == chosen and typing.letters == "" and typing.candidates == ()


def test_backspace_removes_letters_then_reports_empty(typing, dictionary):
    typing.feed("sfzh")
    assert typing.backspace() and typing.letters == "sfz"
    assert typing.candidates == dictionary.lookup("sfz")
    for _ in range(3):
        assert typing.backspace()
    assert typing.letters == "" and typing.candidates == ()
    assert typing.backspace() is False


def test_paging_walks_the_candidates_in_order(typing):
    typing.feed("shi")
    all_candidates = typing.candidates
    assert len(all_candidates) > 12
    assert not typing.has_prev and typing.prev_page() is False
    seen = list(typing.page_items())
    assert len(seen) == 5
    while typing.next_page():
        assert 1 <= len(typing.page_items()) <= 5
        seen += typing.page_items()
    assert tuple(seen) == all_candidates and typing.next_page() is False
    assert typing.prev_page() and typing.has_next
    # choosing on a later page picks from that page
    typing.page = 2
    expected = typing.page_items()[1]
    assert typing.choose(1) == expected.text and typing.page == 0


def test_pages_follow_a_width_budget(dictionary):
    typing = ime.PinyinInput(dictionary, page_size=8, page_width=6, measure=len)
    typing.feed("zhrmghg")  # 中华人民共和国: seven characters, wider than the budget
    for page in typing.pages:
        assert len(page) == 1 or sum(len(c.text) for c in page) <= 6
    assert texts(typing.pages[0]) == ["中华人民共和国"]


def test_typing_changes_reset_to_the_first_page(typing):
    typing.feed("shi")
    typing.next_page()
    typing.feed("j")
    assert typing.page == 0


@pytest.mark.parametrize("letters", ["uuu", "iiii", "vvv", "q" * 40, "ooooooooooooooooooooooooooooo"])
def test_nonsense_gives_no_candidates_and_no_crash(typing, letters):
    typing.feed(letters)
    assert typing.page_items() == () or all(c.consumed < len(letters) for c in typing.candidates)
    if letters[0] in "uiv":
        assert typing.candidates == () and typing.pages == []
        with pytest.raises(ime.ImeError, match="no candidate 1"):
            typing.choose(0)
        assert typing.letters == letters


@pytest.mark.parametrize("bad", ["1", "身", "a b", "", "shen'fen", "é"])
def test_bad_input_is_refused_and_loses_nothing(typing, bad):
    typing.feed("sfz")
    with pytest.raises(ime.ImeError, match="letters a to z") as caught:
        typing.feed(bad)
    assert isinstance(caught.value, KioskError)
    assert typing.letters == "sfz"


def test_too_many_letters_are_refused(typing):
    typing.feed("a" * ime.MAX_LETTERS)
    with pytest.raises(ime.ImeError, match="limited to"):
        typing.feed("a")
    assert typing.letters == "a" * ime.MAX_LETTERS


def test_upper_case_letters_are_pinyin_too(typing):
    typing.feed("SFZ")
    assert typing.letters == "sfz" and texts(typing.candidates, 1) == ["身份证"]


def test_take_letters_hands_back_the_raw_letters(typing):
    typing.feed("abc")
    assert typing.take_letters() == "abc" and typing.letters == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=20))
def test_any_letters_give_well_formed_ranked_candidates(dictionary, letters):
    candidates = dictionary.lookup(letters)
    assert candidates == dictionary.lookup(letters)  # deterministic
    assert len({c.text for c in candidates}) == len(candidates)
    for c in candidates:
        assert HAN.fullmatch(c.text) and 1 <= c.consumed <= len(letters)
        assert len(c.pinyin.split("'")) == len(c.text)
    consumed = [c.consumed for c in candidates]
    assert consumed == sorted(consumed, reverse=True)
    typing = ime.PinyinInput(dictionary)
    if letters:
        typing.feed(letters)
    if candidates:
        first = candidates[0]
        assert typing.choose(0) == first.text and typing.letters == letters[first.consumed:]


# the cache file ----------------------------------------------------------------

@pytest.fixture
def small_source(tmp_path):
    """A slice of the real jieba dictionary, so rebuilds in these tests take a moment."""
    lines = ime.jieba_dict_path().read_text(encoding="utf-8").splitlines()
    keep = [ln for ln in lines if ln.split(" ")[0] in {"身份证", "身份", "张", "长", "证", "社保卡"}]
    path = tmp_path / "dict.txt"
    path.write_text("\n".join(keep + lines[50_000:52_000]) + "\n", encoding="utf-8")
    return path


def test_cache_is_written_then_read(tmp_path, small_source):
    built = ime.load_or_build(tmp_path, source=small_source)
    path = ime.cache_path(tmp_path)
    assert path.exists()
    stamp = path.stat().st_mtime_ns
    loaded = ime.load_or_build(tmp_path, source=small_source)
    assert path.stat().st_mtime_ns == stamp, "a good cache must not be rebuilt"
    assert loaded.lookup("sfz") == built.lookup("sfz") and texts(loaded.lookup("sfz"), 1) == ["身份证"]
    assert len(loaded) == len(built) > 2000


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2].rsplit("\x1e", 1)[0],  # cut short at a record's end
    lambda text: text[: len(text) // 2],  # cut short anywhere
    lambda text: text.replace("kiosk-ime", "kiosk-ime-old", 1),  # another version
    lambda text: "",
])
def test_a_damaged_or_stale_cache_is_rebuilt(tmp_path, small_source, caplog, damage):
    ime.load_or_build(tmp_path, source=small_source)
    path = ime.cache_path(tmp_path)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ime.ImeError):
        ime.PinyinDictionary.load(path)
    with caplog.at_level(logging.WARNING):
        rebuilt = ime.load_or_build(tmp_path, source=small_source, log=logging.getLogger("test"))
    assert texts(rebuilt.lookup("sfz"), 1) == ["身份证"]
    assert "rebuilt" in caplog.text
    assert ime.PinyinDictionary.load(path).lookup("sfz") == rebuilt.lookup("sfz")


def test_an_unwritable_cache_still_gives_a_dictionary(tmp_path, small_source, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        dictionary = ime.load_or_build(blocker, source=small_source, log=logging.getLogger("test"))
    assert texts(dictionary.lookup("shenfenzheng"), 1) == ["身份证"]
    assert "cannot cache" in caplog.text


def test_a_missing_source_is_a_plain_error(tmp_path):
    with pytest.raises(ime.ImeError, match="cannot read"):
        ime.load_or_build(tmp_path, source=tmp_path / "missing.txt")


def test_concurrent_callers_share_one_build(tmp_path, monkeypatch):
    """The app asks for the cache at start and again when new settings are applied: the second
    caller waits for the first build instead of starting a second one."""
    import subprocess
    import threading
    import time as clock

    builds = []

    def slow_build(argv, **_kwargs):
        builds.append(argv)
        clock.sleep(0.5)
        ime.cache_path(Path(argv[-1])).write_text("built")
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(ime.subprocess, "run", slow_build)
    callers = [threading.Thread(target=ime.ensure_cache, args=(tmp_path,)) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)
    assert len(builds) == 1 and ime.cache_path(tmp_path).read_text() == "built"


def test_a_character_is_ranked_by_its_use_in_words_too(dictionary):
    """晓 is rarely a word on its own in jieba (it lives in 知晓, 晓得): it still comes on the
    first page of ten for "xiao", ahead of the rare 枭 (which waited on page 2)."""
    first_page = texts(dictionary.lookup("xiao"), 10)
    assert "晓" in first_page and "枭" not in first_page
    typing = ime.PinyinInput(dictionary, page_size=10)
    typing.feed("xiao")
    assert len(typing.page_items()) == 10 and "晓" in texts(typing.page_items())
    for letters, common in (("zhang", "张"), ("wang", "王"), ("deng", "灯"), ("lu", "路")):
        assert common in texts(dictionary.lookup(letters), 3), letters
