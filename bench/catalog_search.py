"""Catalogue search latency: p50/p95 over the seed catalogue and a synthetic 5,000-item one.

    .venv/bin/python bench/catalog_search.py [--items 5000] [--rounds 20]

Prints the index build time and the per-query latency over a fixed query mix
(Chinese, full pinyin, initials, codes, misses). Target: p95 under 20 ms at 5,000 items.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

from kiosk import paths
from kiosk.catalog import SearchIndex, pinyin_keys

QUERIES = ["sfz", "shebao", "身份证", "社保", "gjj", "gongjijin", "营业执照", "yyzz", "bdc", "不动产登记",
           "yibao", "户口", "hk", "jiashizheng", "结婚登记", "xk", "养老", "ylbx", "出生", "zzzz", "s", "登记"]

DEPARTMENTS = ["县公安局", "县人力资源和社会保障局", "县医疗保障局", "县民政局", "县市场监督管理局",
               "县自然资源局", "县住房公积金管理中心", "县税务局", "县卫生健康局", "县教育局",
               "县住房和城乡建设局", "县交通运输局"]
WORDS = ["居民身份证", "社会保障卡", "住房公积金", "营业执照", "不动产登记", "医疗保险", "养老保险",
         "户口迁移", "结婚登记", "出生医学证明", "机动车驾驶证", "道路运输证", "建筑工程施工许可",
         "教师资格认定", "税务登记", "最低生活保障", "残疾人证", "食品经营许可", "个体工商户", "失业保险金"]
ACTIONS = ["申领", "补领", "换领", "变更", "注销", "查询", "提取", "转移接续", "核发", "审批", "备案", "认定"]


def synthetic(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    items = []
    for i in range(n):
        name = rnd.choice(WORDS) + rnd.choice(ACTIONS)
        if rnd.random() < 0.4:
            name = rnd.choice(["城乡", "个人", "企业", "临时", "跨省"]) + name
        if rnd.random() < 0.3:
            name += f"（{rnd.choice(['首次', '延续', '遗失', '到期'])}）"
        items.append({"code": f"{rnd.choice(['XK', 'QR', 'GG', 'QT'])}{i:05d}{rnd.randint(0, 999):03d}",
                      "name": name, "department": {"code": "D", "name": rnd.choice(DEPARTMENTS)},
                      "themes": [rnd.choice(WORDS)[:2] + "服务"], "audience": [rnd.choice(["个人", "法人"])]})
    return items


def measure(label: str, items: list[dict], rounds: int) -> None:
    pinyin_keys.cache_clear()
    started = time.perf_counter()
    index = SearchIndex(items, label)
    build = time.perf_counter() - started
    timings = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            index.search(q, limit=20)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"{label:>16}: {len(items):5d} items  index build {build * 1000:7.0f} ms  "
          f"queries {len(timings)}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {timings[-1]:6.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    seed = paths.SEED / "catalog.json"
    if seed.exists():
        data = json.loads(seed.read_text(encoding="utf-8"))
        measure("seed catalogue", data["items"] if isinstance(data, dict) else data, args.rounds)
    else:
        print(f"{seed} not found: seed catalogue skipped")
    measure("synthetic", synthetic(args.items), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
