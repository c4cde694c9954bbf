"""The attract screen's clock and the progress timeline show the terminal's zone
(`terminal.timezone`, China Standard Time by default), whatever zone the system is set to."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.gui
CST = timezone(timedelta(hours=8))


@pytest.fixture
def system_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def in_zone(ui, name):
    settings = ui.app.settings
    ui.app.settings = settings.replace(terminal=dataclasses.replace(settings.terminal, timezone=name))


def test_the_attract_clock_is_china_standard_time_on_a_utc_system(ui, system_in_utc):
    screen = ui.app.screen("attract")
    before = datetime.now(CST)
    screen._update_clock(0)
    after = datetime.now(CST)
    assert screen.clock_text in {t.strftime("%Y-%m-%d  %H:%M") for t in (before, after)}
    assert screen.clock_text in ui.texts()
    in_zone(ui, "Asia/Tokyo")  # a terminal set to another zone shows that one
    screen._update_clock(0)
    tokyo = {(t + timedelta(hours=1)).strftime("%Y-%m-%d  %H:%M") for t in (before, datetime.now(CST))}
    assert screen.clock_text in tokyo


def test_the_progress_timeline_shows_a_utc_instant_in_the_terminal_zone(ui, system_in_utc):
    from screens.progress import ApplicationCard
    application = {"number": "SB20250602123456", "item_name": "城乡居民基本养老保险参保登记", "status": "受理",
                   "limit_days": 10, "due_date": "2025-06-16", "elapsed_working_days": 1, "signal": "green",
                   "timeline": [{"stage": "收件", "at": "2025-06-01T17:30:00+00:00", "note": ""},
                                {"stage": "受理", "at": "2025-06-02T02:05:00Z", "note": ""}]}
    ui.app.show("progress")
    ui.screen._answered([application])
    ui.frames(3)
    card = next(w for w in ui.screen.ids.results.children if isinstance(w, ApplicationCard))
    lines = [row.ids.words.text for row in reversed(card.ids.stages.children)]
    assert lines[0].endswith("\n2025-06-02 01:30") and lines[1].endswith("\n2025-06-02 10:05"), lines
    in_zone(ui, "Asia/Tokyo")
    ui.screen._clear_results()
    ui.screen._answered([application])
    card = next(w for w in ui.screen.ids.results.children if isinstance(w, ApplicationCard))
    assert [row.ids.words.text for row in reversed(card.ids.stages.children)][1].endswith("\n2025-06-02 11:05")
