"""Pinyin input: dictionary build/load time and memory, candidate latency while typing.

    .venv/bin/python bench/ime.py [--cache DIR] [--rounds 5]

Builds the dictionary from jieba into DIR (a temporary folder unless given; an
existing cache there is reused), then reports: cache file size, load time, memory
the loaded dictionary takes (RSS growth), the longest stall another thread sees
while the load runs (a proxy for the UI thread, since loading holds the GIL), and
the latency of a candidate look-up for every prefix of typical inputs typed letter
by letter (full pinyin, initials, mixed, misses). Target: p95 under 10 ms.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil

from kiosk import ime

TYPED = ["shenfenzheng", "sfz", "shebaoka", "sbk", "gongjijin", "gjj", "yingyezhizhao", "yyzz",
         "zhangsan", "lisi", "wangxiaoming", "hukouben", "jiehundengji", "beijingshi", "zhrmghg",
         "xian", "nihao", "dizhi", "shoujihao", "chaxun", "yuyue", "tousu", "zhengmingcailiao",
         "jzz", "buxing", "xyz", "uuu", "qqqqqq", "lv", "nvhai"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def longest_stall_during(work) -> tuple[float, float]:
    """Run work(); meanwhile a thread ticks every 5 ms. Returns (seconds, longest gap in ms)."""
    gaps, stop = [], threading.Event()

    def tick():
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    stop.set()
    ticker.join()
    return elapsed, max(gaps, default=0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.mkdtemp(prefix="kiosk-ime-bench-"))
    path = ime.cache_path(cache)

    if not path.exists():
        elapsed, stall = longest_stall_during(lambda: ime.load_or_build(cache))
        print(f"build from jieba:        {elapsed:6.1f} s  (longest thread stall {stall:.0f} ms)")
    print(f"cache file:              {path.stat().st_size / 1e6:6.1f} MB  ({path})")

    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    holder = {}
    elapsed, stall = longest_stall_during(lambda: holder.update(d=ime.PinyinDictionary.load(path)))
    gc.collect()
    dictionary = holder["d"]
    print(f"load from cache:         {elapsed * 1000:6.0f} ms  ({len(dictionary):,} entries)")
    print(f"memory (RSS growth):     {(process.memory_info().rss - before) / 1e6:6.1f} MB")
    print(f"longest thread stall:    {stall:6.0f} ms  (while loading)")

    first_round, latencies = [], []
    for round_ in range(args.rounds):
        for word in TYPED:
            for end in range(1, len(word) + 1):
                started = time.perf_counter()
                dictionary.lookup(word[:end])
                took = (time.perf_counter() - started) * 1000
                (first_round if round_ == 0 else latencies).append(took)
    everything = first_round + latencies
    print(f"look-ups:                {len(everything)} ({len(first_round)} prefixes x {args.rounds} rounds)")
    print(f"latency first round:     p50 {statistics.median(first_round):5.2f} ms   "
          f"p95 {percentile(first_round, 95):5.2f} ms   max {max(first_round):5.2f} ms")
    if latencies:
        print(f"latency later rounds:    p50 {statistics.median(latencies):5.2f} ms   "
              f"p95 {percentile(latencies, 95):5.2f} ms   max {max(latencies):5.2f} ms")
    p95 = percentile(everything, 95)
    print(f"p95 overall:             {p95:5.2f} ms  (target < 10 ms: {'met' if p95 < 10 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
