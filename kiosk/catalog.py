"""The service catalogue for the screens: an offline copy refreshed by ETag, and search.

Search takes Chinese text, full pinyin ("shebao") or pinyin initials ("sfz") and
ranks exact name > name prefix > initials > contained. The pinyin of every item
is computed once per catalogue version; a query is then a scan of plain
lowercase strings.

pypinyin's phrase dictionary costs the process about 50 MB, so when a refresh
brings a new catalogue the keys are computed in a short-lived child process
(`python -m kiosk.catalog`) and stored with the items; the kiosk's UI process
never loads pypinyin.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from kiosk import hall_api
from kiosk.errors import KioskError
from kiosk.hall_client import HallClient, HallError
from kiosk.store import Store

EXACT, PREFIX, INITIALS, CONTAINED = 0, 1, 2, 3
RANK_NAMES = {EXACT: "exact", PREFIX: "prefix", INITIALS: "initials", CONTAINED: "contained"}

_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[0-9a-z]+")


class CatalogUnavailable(KioskError):
    exit_code = 5


def normalise(text: str) -> str:
    """Lower case; full-width letters, tone marks ("Shè bǎo"), spaces and punctuation folded away."""
    text = unicodedata.normalize("NFKD", text.lower()).replace("u\u0308", "v")  # pypinyin spells ü as v
    return _NOT_WORD.sub("", text)


@lru_cache(maxsize=65536)
def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name; a Latin run ("ICP", "12345") counts whole in both."""
    full, initials = [], []
    for run in _RUNS.findall(normalise(text)):
        if run.isascii():
            full.append(run)
            initials.append(run)
        else:
            from pypinyin import Style, lazy_pinyin  # only where keys are computed (see above)

            syllables = lazy_pinyin(run, style=Style.NORMAL)
            full.extend(syllables)
            initials.extend(s[0] for s in syllables if s)
    return "".join(full), "".join(initials)


@dataclass(frozen=True)
class Hit:
    item: dict
    rank: int
    key: tuple

    @property
    def rank_name(self) -> str:
        return RANK_NAMES[self.rank]


# Residents type the short forms everyone says; items carry the long official names.
SHORT_FORMS = {"社会保障": "社保", "社会保险": "社保", "医疗保障": "医保", "医疗保险": "医保",
               "住房公积金": "公积金", "居民身份证": "身份证", "机动车驾驶证": "驾照",
               "营业执照": "执照", "不动产权": "房产"}


def short_form(name: str) -> str:
    for long, short in SHORT_FORMS.items():
        name = name.replace(long, short)
    return name


PINYIN_FIELD = "_pinyin"  # {text: [full pinyin, initials]} stored with each cached item


def _name_variants(item: dict) -> list[str]:
    name = item.get("name", "")
    return [v for v in dict.fromkeys([name, short_form(name), *item.get("keywords", [])]) if v]


def _other_words(item: dict) -> list[str]:
    dept = item.get("department") or {}
    words = [dept.get("name", "") if isinstance(dept, dict) else str(dept),
             *item.get("themes", []), *item.get("audience", [])]
    return [w for w in words if w]


def annotate_pinyin(items: list[dict]) -> None:
    """Store every item's pinyin keys in it, computed by a child process (see the module doc)."""
    texts = sorted({t for item in items for t in _name_variants(item) + _other_words(item)})
    try:
        done = subprocess.run([sys.executable, "-m", "kiosk.catalog"], input=json.dumps(texts),
                              capture_output=True, text=True, timeout=120, check=True)
        keys = dict(zip(texts, json.loads(done.stdout)))
    except (OSError, subprocess.SubprocessError, ValueError):
        return  # the index computes the keys itself, at the cost of memory
    for item in items:
        item[PINYIN_FIELD] = {t: keys[t] for t in _name_variants(item) + _other_words(item)}


class _Entry:
    __slots__ = ("order", "item", "length", "code", "names", "other", "other_pinyin")

    def __init__(self, order: int, item: dict):
        self.order, self.item = order, item
        self.length = len(item.get("name", ""))
        self.code = normalise(item.get("code", ""))
        stored = item.get(PINYIN_FIELD) or {}

        def keys(text: str) -> tuple[str, str]:
            return tuple(stored[text]) if text in stored else pinyin_keys(text)

        # (normalised text, full pinyin, initials) of the name and of each short form
        self.names = [(normalise(v), *keys(v)) for v in _name_variants(item)]
        words = _other_words(item)
        self.other = normalise(" ".join(words))
        self.other_pinyin = "|".join(keys(w)[0] for w in words)


class SearchIndex:
    def __init__(self, items: Iterable[dict], version: str = ""):
        self.version = version
        self.entries = [_Entry(i, item) for i, item in enumerate(items)]

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        q = normalise(query)
        if not q:
            return []
        match = _match_latin if q.isascii() else _match_chinese
        hits = []
        for e in self.entries:
            key = match(e, q)
            if key is not None:
                hits.append(Hit(e.item, key[0], key + (e.length, e.order)))
        hits.sort(key=lambda h: h.key)
        return hits[:limit] if limit else hits


# Each matcher returns (rank, which field, position) of the best match of q in one item, or
# None; the name and its short forms count alike.

def _match_chinese(e: _Entry, q: str) -> tuple | None:
    best = None
    for name, _, _ in e.names:
        if q == name:
            return (EXACT, 0, 0)
        if name.startswith(q):
            key = (PREFIX, 0, 0)
        else:
            at = name.find(q)
            key = (CONTAINED, 0, at) if at >= 0 else None
        if key and (best is None or key < best):
            best = key
    if best is None:
        at = e.other.find(q)
        best = (CONTAINED, 9, at) if at >= 0 else None
    return best


def _match_latin(e: _Entry, q: str) -> tuple | None:
    if q == e.code:
        return (EXACT, 0, 0)
    best = None
    for name, full, initials in e.names:
        if q == full or q == name:
            return (EXACT, 0, 0)
        if full.startswith(q):
            key = (PREFIX, 0, 0)
        elif initials.startswith(q):
            key = (INITIALS, 0, 0)
        else:
            key = None
            for field, text in ((1, full), (2, initials if len(q) >= 2 else "")):
                at = text.find(q)
                if at >= 0:
                    key = (CONTAINED, field, at)
                    break
        if key and (best is None or key < best):
            best = key
    if best is None and e.code.startswith(q):
        best = (PREFIX, 8, 0)
    if best is None and len(q) >= 3:
        at = e.other_pinyin.find(q)
        best = (CONTAINED, 9, at) if at >= 0 else None
    return best


@dataclass(frozen=True)
class RefreshResult:
    changed: bool
    version: str
    count: int


class Catalog:
    """The screens' catalogue: reads from the local copy, refreshes it when the hall is up."""

    def __init__(self, store: Store, client: HallClient | None = None):
        self.store, self.client = store, client
        self._index: SearchIndex | None = None
        self._by_code: dict[str, dict] = {}

    def refresh(self) -> RefreshResult:
        """Fetch the bulk export by ETag; 304 keeps the copy. Raises HallError when the hall is down."""
        if self.client is None:
            raise CatalogUnavailable("no online hall is configured")
        meta = self.store.catalog_meta()
        export = hall_api.catalog_export(self.client, meta[1] if meta else None)
        if export is None:  # the copy is current
            self.store.touch_catalog()
            return RefreshResult(False, meta[0], len(self._load().entries))
        version = export.version or export.etag or str(time.time())
        annotate_pinyin(export.items)
        self.store.save_catalog(version, export.etag, export.items)
        self._index = None
        return RefreshResult(True, version, len(export.items))

    def try_refresh(self) -> HallError | None:
        """Refresh if the hall answers; return the reason when it does not (the copy stays)."""
        try:
            self.refresh()
        except (HallError, CatalogUnavailable) as e:
            return e if isinstance(e, HallError) else HallError(str(e))
        return None

    def _load(self) -> SearchIndex:
        meta = self.store.catalog_meta()
        if meta is None:
            raise CatalogUnavailable("no offline copy of the service catalogue yet: "
                                     "connect the terminal to the online hall once")
        if self._index is None or self._index.version != meta[0]:
            cached = self.store.load_catalog()
            self._index = SearchIndex(cached.items, cached.version)  # type: ignore[union-attr]
            self._by_code = {e.item["code"]: e.item for e in self._index.entries}
        return self._index

    @property
    def fetched_at(self) -> float | None:
        meta = self.store.catalog_meta()
        return meta[2] if meta else None

    @property
    def version(self) -> str | None:
        meta = self.store.catalog_meta()
        return meta[0] if meta else None

    def items(self, audience: str | None = None, department: str | None = None,
              theme: str | None = None) -> list[dict]:
        out = []
        for e in self._load().entries:
            item = e.item
            dept = item.get("department") or {}
            if audience and audience not in item.get("audience", []):
                continue
            if department and department not in (dept.get("code"), dept.get("name")):
                continue
            if theme and theme not in item.get("themes", []):
                continue
            out.append(item)
        return out

    def item(self, code: str) -> dict | None:
        self._load()
        return self._by_code.get(code)

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        return self._load().search(query, limit)


if __name__ == "__main__":  # the child process of annotate_pinyin: texts in, keys out (JSON)
    json.dump([pinyin_keys(t) for t in json.load(sys.stdin)], sys.stdout)
