"""Blocking work runs off the UI thread; its result is dropped if the session ended meanwhile."""

import threading
import time

import pytest

pytestmark = pytest.mark.gui


def test_results_come_back_on_the_ui_thread(ui):
    seen = {}

    def work(x):
        seen["worker"] = threading.current_thread() is not threading.main_thread()
        time.sleep(0.2)
        return x * 2

    ui.app.background(work, 21, done=lambda r: seen.update(result=r, ui=threading.current_thread()))
    ui.wait(lambda: "result" in seen, what="result")
    assert seen["result"] == 42 and seen["worker"] and seen["ui"] is threading.main_thread()


def test_failures_go_to_failed(ui):
    seen = {}
    ui.app.background(lambda: 1 / 0, done=lambda r: seen.update(done=r), failed=lambda e: seen.update(error=e))
    ui.wait(lambda: seen, what="failure")
    assert isinstance(seen["error"], ZeroDivisionError) and "done" not in seen


def test_a_result_for_an_ended_session_is_dropped(ui):
    seen = {}
    release = threading.Event()
    ui.app.background(lambda: release.wait(5) and "李四光 110101199003071234",
                      done=lambda r: seen.update(result=r))
    ui.app.end_session("card removed")
    release.set()
    time.sleep(0.2)
    ui.frames(10)
    assert seen == {}
