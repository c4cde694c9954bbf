"""Catalogue search: Chinese text, full pinyin, initials, and the ranking between them."""

import json
import time
from pathlib import Path

import pytest

from kiosk import paths
from kiosk.catalog import CONTAINED, EXACT, INITIALS, PREFIX, SearchIndex, normalise, pinyin_keys


def item(code, name, dept="县公安局", themes=(), audience=("个人",)):
    return {"code": code, "name": name, "department": {"code": code[:2], "name": dept},
            "themes": list(themes), "audience": list(audience)}


SMALL = [
    item("GA001", "临时居民身份证申领"),
    item("GA002", "居民身份证换领", themes=["户籍"]),
    item("GA003", "居民身份证"),
    item("RS001", "社会保障卡补领", "县人力资源和社会保障局", ["社保"]),
    item("RS002", "社保关系转移", "县人力资源和社会保障局", ["社保"]),
    item("YB001", "医疗保险参保登记", "县医疗保障局", ["医保"]),
    item("SJ001", "个体工商户设立登记", "县市场监督管理局", ["开办企业"], ["法人"]),
    item("ZJ001", "建筑工程施工许可证核发", "县住房和城乡建设局", ["工程建设"], ["法人"]),
    item("SF001", "身份证明开具", "县司法局"),
]


@pytest.fixture(scope="module")
def index():
    return SearchIndex(SMALL, "v1")


def names(hits):
    return [h.item["name"] for h in hits]


def test_pinyin_keys_keep_latin_runs_whole():
    assert pinyin_keys("社保卡补领") == ("shebaokabuling", "sbkbl")
    assert pinyin_keys("ICP备案（2号）") == ("icpbeian2hao", "icpba2h")
    assert normalise("ＳＦＺ 身份·证") == "sfz身份证"
    assert normalise("Shè Bǎo") == "shebao" and normalise("lǜ") == "lv"


def test_initials_find_id_card_items_and_rank_exact_first(index):
    hits = index.search("sfz")
    assert {"居民身份证", "居民身份证换领", "临时居民身份证申领", "身份证明开具"} <= set(names(hits))
    # 居民身份证 is found through its short form 身份证 (initials "sfz"), the shortest name first
    assert [h.rank for h in hits[:3]] == [INITIALS] * 3
    assert hits[0].item["name"] == "居民身份证"


def test_full_pinyin_finds_shebao(index):
    assert names(index.search("shè bǎo")) == names(index.search("shebao"))
    hits = index.search("shebao")
    assert names(hits)[:2] == ["社保关系转移", "社会保障卡补领"]
    assert all(h.rank == PREFIX for h in hits[:2])
    assert "医疗保险参保登记" not in names(hits)


def test_chinese_ranking_exact_prefix_contained(index):
    hits = index.search("居民身份证")
    assert [h.rank for h in hits[:3]] == [EXACT, PREFIX, CONTAINED]
    assert names(hits)[:3] == ["居民身份证", "居民身份证换领", "临时居民身份证申领"]


def test_ranking_exact_beats_prefix_beats_initials_beats_contained():
    idx = SearchIndex([item("A1", "申请书"), item("A2", "身份证明"), item("A3", "临时身份证"),
                       item("A4", "sfz")], "v")
    hits = idx.search("sfz")
    assert [(h.item["code"], h.rank) for h in hits] == [
        ("A4", EXACT), ("A2", INITIALS), ("A3", CONTAINED)]
    assert idx.search("shenqingshu")[0].rank == EXACT
    assert idx.search("shen")[0].rank == PREFIX
    assert idx.search("lssfz")[0].rank == INITIALS
    assert idx.search("fenzheng")[0].rank == CONTAINED


def test_code_department_theme_and_no_match(index):
    assert index.search("ga002")[0].item["name"] == "居民身份证换领"
    assert index.search("开办企业")[0].item["code"] == "SJ001"
    assert index.search("xkz")[0].item["code"] == "ZJ001"  # 许可证 inside the initials
    assert index.search("zzzqqq") == []
    assert index.search("  ") == []
    assert index.search("！？") == []


def test_limit(index):
    assert len(index.search("s", limit=2)) == 2
    assert len(index.search("s", limit=0)) > 2


SEEDS = [paths.SEED / "catalog.json", Path(__file__).resolve().parent.parent / "hall" / "seed" / "catalog.json"]


@pytest.mark.parametrize("seed", SEEDS, ids=["project-seed", "hall-test-seed"])
def test_seed_catalogue_search(seed):
    if not seed.exists():
        pytest.skip(f"{seed} not written yet")
    data = json.loads(seed.read_text(encoding="utf-8"))
    items = data["items"] if isinstance(data, dict) else data
    idx = SearchIndex(items, "seed")
    sfz = idx.search("sfz", limit=0)
    assert [h.rank for h in sfz] == sorted(h.rank for h in sfz)
    assert "身份证" in sfz[0].item["name"]
    shebao = idx.search("shebao", limit=0)
    assert any(("社保" in h.item["name"] or "社会保障" in h.item["name"]) for h in shebao[:3])
    for it in items[:50]:  # every item is found by its own name and code, first
        assert idx.search(it["name"])[0].item["name"] == it["name"]
        assert idx.search(it["code"])[0].item["code"] == it["code"]


def test_index_is_built_once_and_a_query_is_fast():
    items = [item(f"XK{i:05d}", f"{'社会保障卡居民身份证营业执照不动产登记公积金提取'[i % 20:i % 20 + 4]}事项{i}")
             for i in range(5000)]
    idx = SearchIndex(items, "big")
    started = time.perf_counter()
    hits = idx.search("sfz")
    # generous bound; the real figures come from bench/catalog_search.py
    assert time.perf_counter() - started < 1.0
    assert hits
