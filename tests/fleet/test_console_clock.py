"""The console's times are China Standard Time, and its pages say so."""

import re
import time
from datetime import UTC, datetime, timedelta, timezone

from hall.fleet.console import _when
from testing.fleet import beat, terminal


def test_a_utc_instant_is_shown_in_china_standard_time():
    assert _when(datetime(2026, 1, 1, 0, 30, 5, tzinfo=UTC).timestamp()) == "01-01 08:30:05"
    assert _when(datetime(2026, 3, 31, 20, 0, tzinfo=UTC).timestamp()) == "04-01 04:00:00"


def test_pages_label_their_zone_and_show_a_heartbeat_in_it(hall, operator):
    terminal(hall, "fl-10").post("/api/v1/heartbeat", beat())
    seen = time.time()
    for path in ("/console/", "/console/terminals/fl-10"):
        assert "北京时间 (UTC+08:00)" in operator.get(path).text, path
    page = operator.get("/console/").text
    row = page[page.index("/console/terminals/fl-10"):]
    shown = re.search(r"\d\d-\d\d \d\d:\d\d:\d\d", row).group()
    cst = timezone(timedelta(hours=8))
    expected = {datetime.fromtimestamp(seen + d, cst).strftime("%m-%d %H:%M") for d in (-60, 0)}
    assert shown[:11] in expected, f"{shown} is not the heartbeat's time in UTC+08:00"
