"""Pinyin input method: letters in, ranked Chinese candidates out (no Kivy here).

The dictionary is jieba's word-frequency list (dict.txt: word, frequency, part
of speech) turned into pinyin with pypinyin, plus single characters under each
of their readings. Building it takes seconds, so the result is cached as one
text file in the state directory (it is derived from the installed jieba and
pypinyin, so it is regenerated when their versions change and is not kept in
git). The file groups entries by their initials ("sfz" for 身份证), each group
sorted by frequency, so a look-up is one regular-expression scan over a small
string and the first matches are the most frequent.

Typing: `PinyinInput` holds the letters typed so far; the candidates cover
the whole input first (exact full-pinyin before abbreviated), then shorter
prefixes of it; choosing one returns its text and keeps the unconsumed letters
("shenfenzheng", choose 身份 -> "zheng" remains).
"""

from __future__ import annotations

import bisect
import fcntl
import functools
import itertools
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from hardware.model import die_with_parent
from kiosk.errors import KioskError

FORMAT = 2  # 2: characters ranked by their use inside words too
MAX_SYLLABLES = 8  # longer words (a few hundred set phrases) are left out
MAX_LETTERS = 48
MATCHES_PER_GROUP = 64  # groups are frequency-sorted: the first matches are the best
# Two-letter initials are typed as one abbreviation piece ("zhs" for 张三).
TWO_LETTER_INITIALS = ("zh", "ch", "sh")

_VOWELS = frozenset("aeiouv")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_SYLLABLE = re.compile(r"[a-z]*[aeiouv][a-z]*")  # drops the vowel-less readings n, ng, m, hm


class ImeError(KioskError):
    """Bad typing input or an unusable dictionary."""


@dataclass(frozen=True)
class Candidate:
    text: str
    pinyin: str  # syllables joined by "'"
    consumed: int  # letters of the input this candidate stands for
    exact: bool  # every syllable typed in full


class PinyinDictionary:
    """The built index: initials -> "pinyin\\tword\\tfreq" lines, most frequent first."""

    def __init__(self, groups: dict[str, str | bytes], syllables: frozenset[str]) -> None:
        # UTF-8 bytes: a str with Chinese in it takes 4 bytes a character in CPython
        self._groups = {k: v.encode() if isinstance(v, str) else v for k, v in groups.items()}
        self._keys = sorted(groups)
        self.syllables = frozenset(syllables)
        self._syllable_prefixes = frozenset(s[:i] for s in syllables for i in range(1, len(s) + 1))
        self._starts = frozenset(s[0] for s in syllables)

    def __len__(self) -> int:
        return sum(g.count(b"\n") + 1 for g in self._groups.values())

    # the cache file -------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> PinyinDictionary:
        """Read a cache file written by `save`; ImeError if it is not one of ours."""
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise ImeError(f"cannot read the pinyin dictionary {path}: {exc.__class__.__name__}") from exc
        # Parsed by offsets, without partitioned copies: the kiosk's peak memory is what this costs.
        header_end = text.find(b"\n")
        if text[:header_end] != _header().encode():
            raise ImeError(f"the pinyin dictionary {path} is from another version; it will be rebuilt")
        syllables_end = text.find(b"\n", header_end + 1)
        syllables = text[header_end + 1:syllables_end].decode("ascii", "replace")
        end = len(text) - len(b"\x1dend")
        if syllables_end < 0 or not text.endswith(b"\x1dend"):  # written last: a cut-short file lacks it
            raise ImeError(f"the pinyin dictionary {path} is incomplete; it will be rebuilt")
        groups = {}
        pos = syllables_end + 1
        while pos < end:
            record_end = text.find(b"\x1e", pos, end)
            record_end = end if record_end < 0 else record_end
            key_end = text.find(b"\x1f", pos, record_end)
            key = text[pos:key_end].decode("ascii", "replace") if key_end >= 0 else ""
            if not key.isalpha() or key_end + 1 >= record_end:
                raise ImeError(f"the pinyin dictionary {path} is damaged; it will be rebuilt")
            groups[key] = text[key_end + 1:record_end]
            pos = record_end + 1
        del text
        return cls(groups, frozenset(syllables.split()))

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = b"\x1e".join(key.encode() + b"\x1f" + self._groups[key] for key in self._keys)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        syllables = " ".join(sorted(self.syllables))
        partial.write_bytes(f"{_header()}\n{syllables}\n".encode() + body + b"\x1dend")
        os.replace(partial, path)  # readers see the old file or the whole new one

    # looking up -------------------------------------------------------------
    def lookup(self, letters: str) -> tuple[Candidate, ...]:
        """Every candidate for `letters`, best first: longest input covered, exact before
        abbreviated, fewer pieces, most frequent."""
        best: dict[str, tuple] = {}
        for pieces in self._segmentations(letters):
            consumed = sum(len(text) for text, _ in pieces)
            group = self._groups.get("".join(text[0] for text, _ in pieces))
            if group is None:
                continue
            typed = "'".join(text for text, _ in pieces)
            for match in itertools.islice(_pattern(pieces).finditer(group), MATCHES_PER_GROUP):
                pinyin, word, freq = (part.decode() for part in match.groups())
                exact = pinyin == typed
                rank = (-consumed, not exact, 0 if exact else len(pieces), -int(freq), word)
                if word not in best or rank < best[word][0]:
                    best[word] = (rank, Candidate(word, pinyin, consumed, exact))
        return tuple(c for _, c in sorted(best.values(), key=lambda item: item[0]))

    def _segmentations(self, letters: str):
        """Ways to cut `letters` into pieces, each a syllable, an initial (abbreviation) or,
        at the very end, the start of a syllable still being typed. Every prefix cut is
        yielded too (it gives the shorter candidates). A piece is (text, may_be_prefix)."""
        n = len(letters)

        def walk(pos: int, pieces: list, initials: str):
            if pieces:
                yield tuple(pieces)
            if pos == n or len(pieces) == MAX_SYLLABLES:
                return
            for end in range(pos + 1, min(n, pos + 6) + 1):
                text = letters[pos:end]
                last = end == n
                if (len(text) == 1 and text in self._starts or text in TWO_LETTER_INITIALS) \
                        and (last or letters[end] not in _VOWELS):
                    # an initial followed by a vowel is a syllable being spelled out, not an
                    # abbreviation: "shen" is never s|he|n
                    piece = (text, True)
                elif text in self.syllables:
                    piece = (text, last)  # "zhen" at the end may still become "zheng"
                elif last and text in self._syllable_prefixes:
                    piece = (text, True)
                else:
                    continue
                key = initials + text[0]
                if not self._has_group_starting(key):
                    continue
                pieces.append(piece)
                yield from walk(end, pieces, key)
                pieces.pop()

        yield from walk(0, [], "")

    def _has_group_starting(self, prefix: str) -> bool:
        i = bisect.bisect_left(self._keys, prefix)
        return i < len(self._keys) and self._keys[i].startswith(prefix)


@functools.lru_cache(maxsize=1024)
def _pattern(pieces: tuple) -> re.Pattern:
    body = "'".join(re.escape(text) + ("[a-z]*" if prefix else "") for text, prefix in pieces)
    return re.compile(rf"^({body})\t([^\t\n]+)\t(\d+)$".encode(), re.MULTILINE)


class PinyinInput:
    """The letters being typed and the candidate pages for them.

    A page holds at most `page_size` candidates whose widths (`measure(text)`, by
    default the number of characters) add up to at most `page_width`, so a candidate
    bar can page by what fits on it; a page always holds at least one candidate.
    """

    def __init__(self, dictionary: PinyinDictionary | None = None, *, page_size: int = 6,
                 page_width: float | None = None,
                 measure: Callable[[str], float] = len) -> None:
        self.dictionary = dictionary
        self.page_size = page_size
        self.page_width = page_width
        self.measure = measure
        self.letters = ""
        self.page = 0
        # Only the last look-up is kept, by this input: what a resident typed leaves no
        # trace in the shared dictionary once their keyboard is gone.
        self._last: tuple[str, tuple[Candidate, ...]] = ("", ())

    def feed(self, text: str) -> None:
        """Add typed letters a-z (any case); anything else is refused and nothing changes."""
        letters = text.lower()
        if not letters.isascii() or not letters.isalpha():
            # the text is not quoted back: error messages may reach a log
            raise ImeError("pinyin is typed with the letters a to z only")
        if len(self.letters) + len(letters) > MAX_LETTERS:
            raise ImeError(f"pinyin input is limited to {MAX_LETTERS} letters; choose a candidate first")
        self.letters += letters
        self.page = 0

    def backspace(self) -> bool:
        """Remove the last letter; False when there was none (the caller deletes text instead)."""
        if not self.letters:
            return False
        self.letters = self.letters[:-1]
        self.page = 0
        return True

    def clear(self) -> None:
        self.letters = ""
        self.page = 0

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        if not self.letters or self.dictionary is None:
            return ()
        if self._last[0] != self.letters:
            self._last = (self.letters, self.dictionary.lookup(self.letters))
        return self._last[1]

    @property
    def pages(self) -> list[tuple[Candidate, ...]]:
        pages, page, width = [], [], 0.0
        for candidate in self.candidates:
            size = self.measure(candidate.text)
            if page and (len(page) == self.page_size
                         or (self.page_width is not None and width + size > self.page_width)):
                pages.append(tuple(page))
                page, width = [], 0.0
            page.append(candidate)
            width += size
        if page:
            pages.append(tuple(page))
        return pages

    def page_items(self) -> tuple[Candidate, ...]:
        pages = self.pages
        return pages[self.page] if pages else ()

    @property
    def has_next(self) -> bool:
        return self.page + 1 < len(self.pages)

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    def next_page(self) -> bool:
        if not self.has_next:
            return False
        self.page += 1
        return True

    def prev_page(self) -> bool:
        if not self.has_prev:
            return False
        self.page -= 1
        return True

    def choose(self, index: int) -> str:
        """Commit the index-th candidate of the current page; returns its text and keeps
        the letters it did not stand for."""
        items = self.page_items()
        if not 0 <= index < len(items):
            raise ImeError(f"there is no candidate {index + 1} on this page")
        chosen = items[index]
        self.letters = self.letters[chosen.consumed:]
        self.page = 0
        return chosen.text

    def take_letters(self) -> str:
        """The typed letters as they are (committing latin text), leaving the input empty."""
        letters, self.letters, self.page = self.letters, "", 0
        return letters


# building -------------------------------------------------------------------

def _header() -> str:
    return f"kiosk-ime {FORMAT} jieba={_version('jieba')} pypinyin={_version('pypinyin')}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def jieba_dict_path() -> Path:
    try:
        import jieba
    except ImportError as exc:
        raise ImeError("Chinese input needs the jieba package (pip install jieba)") from exc
    return Path(jieba.__file__).with_name("dict.txt")


def build(source: Path | None = None) -> PinyinDictionary:
    """Build the dictionary from jieba's dict.txt (15-20 s on a two-core machine)."""
    from pypinyin import Style, lazy_pinyin, pinyin

    source = source or jieba_dict_path()
    words: list[tuple[str, int]] = []
    try:
        with open(source, encoding="utf-8") as lines:
            for line in lines:
                fields = line.split()
                if len(fields) >= 2 and fields[1].isdigit() and _HAN.fullmatch(fields[0]):
                    words.append((fields[0], int(fields[1])))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImeError(f"cannot read the word list {source}: {exc.__class__.__name__}") from exc
    if not words:
        raise ImeError(f"the word list {source} has no Chinese words in it")

    entries: dict[tuple[str, tuple[str, ...]], int] = {}
    reading_weight: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    chars: dict[str, int] = {}
    for word, freq in words:
        if len(word) == 1:
            chars[word] = max(freq, chars.get(word, 0))
            continue
        if len(word) > MAX_SYLLABLES:
            continue
        syllables = tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))
        if len(syllables) != len(word) or not all(_SYLLABLE.fullmatch(s) for s in syllables):
            continue
        entries[(word, syllables)] = max(freq, entries.get((word, syllables), 0))
        for char, syllable in zip(word, syllables):
            reading_weight[char][syllable] += freq

    # A character's frequency is shared among its readings in proportion to how often
    # words use each reading (长: zhang in 校长, chang in 长期), so 张 is not buried under
    # 长 for "zhang"; pypinyin's heteronym order alone would give every reading the same.
    # A character is ranked by how often it is written, on its own and inside words: jieba
    # counts 晓 alone rarely (it lives in 知晓, 晓得), which would put it behind 枭 for "xiao".
    for char, freq in chars.items():
        readings = [r for r in dict.fromkeys(pinyin(char, style=Style.NORMAL, heteronym=True)[0])
                    if _SYLLABLE.fullmatch(r)]
        if not readings:
            continue
        used = reading_weight.get(char, {})
        total = sum(used.get(r, 0) for r in readings)
        for i, reading in enumerate(readings):
            share = used.get(reading, 0) / total if total else (1.0 if i == 0 else 0.1)
            entries[(char, (reading,))] = max(1, round(freq * max(share, 0.02)) + used.get(reading, 0))

    grouped: dict[str, list] = defaultdict(list)
    for (word, syllables), freq in entries.items():
        grouped["".join(s[0] for s in syllables)].append((-freq, word, "'".join(syllables)))
    groups = {key: "\n".join(f"{py}\t{word}\t{-neg}" for neg, word, py in sorted(items))
              for key, items in grouped.items()}
    return PinyinDictionary(groups, frozenset(s for _, syllables in entries for s in syllables))


def cache_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / "ime" / "pinyin.txt"


def _build_in_child(cache_dir: Path) -> bool:
    """Build and cache the dictionary in a child process: jieba and pypinyin cost the kiosk's
    UI process ~60 MB it would keep for good; the child gives it back when it exits. One build
    at a time per cache (a file lock): a second caller waits and uses the first one's file."""
    path, asked = cache_path(cache_dir), time.time()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.exists() and path.stat().st_mtime >= asked:
                return True  # built by the caller we waited for
            subprocess.run([sys.executable, "-m", "kiosk.ime", "build", str(cache_dir)],
                           capture_output=True, timeout=300, check=True, preexec_fn=die_with_parent)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def ensure_cache(cache_dir: Path) -> None:
    """Build the cache file (in a child process) if it is missing, without loading it here;
    the app calls this at start so the first Chinese keyboard opens in a tenth of a second."""
    path = cache_path(cache_dir)
    if not path.exists():
        _build_in_child(cache_dir)


def load_or_build(cache_dir: Path, *, source: Path | None = None, log=None) -> PinyinDictionary:
    """The cached dictionary, rebuilt (and cached again) when missing, stale or damaged."""
    path = cache_path(cache_dir)
    if path.exists():
        try:
            return PinyinDictionary.load(path)
        except ImeError as exc:
            if log:
                log.warning("%s", exc)
    started = time.monotonic()
    if source is None and _build_in_child(cache_dir):
        try:
            return PinyinDictionary.load(path)
        except ImeError:
            pass
    dictionary = build(source)
    try:
        dictionary.save(path)
    except OSError as exc:  # a read-only disk still gets a working keyboard
        if log:
            log.warning("cannot cache the pinyin dictionary at %s: %s", path, exc.__class__.__name__)
    if log:
        log.info("pinyin dictionary built in %.1f s", time.monotonic() - started)
    return dictionary


if __name__ == "__main__" and sys.argv[1:2] == ["build"]:  # the child of _build_in_child
    build().save(cache_path(Path(sys.argv[2])))
