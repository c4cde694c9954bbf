"""The local Prometheus endpoint, scraped over HTTP: the heartbeat's figures, on 127.0.0.1 only."""

import socket

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hardware.model import Health, Paper, Status
from kiosk.telemetry import TelemetryError, TransactionCounter


def scrape(port):
    answer = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert answer.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def test_metrics_have_the_heartbeat_figures(hall, make_telemetry):
    counter = TransactionCounter()
    counter.count("apply", 2)
    counter.count("hotline")
    devices = {"printer": Status(Health.WARNING, "paper near end", Paper.LOW), "idcard": Status(Health.OK)}
    telemetry = make_telemetry(hall.url, devices=lambda: devices, transactions=counter)
    port = telemetry.serve_metrics(0)
    assert telemetry._metrics.server_address[0] == "127.0.0.1"
    assert telemetry.beat() is True
    snap = telemetry.last_snapshot

    m = scrape(port)
    assert m[("kiosk_device_health", (("device", "printer"), ("health", "warning")))] == 1
    assert m[("kiosk_device_health", (("device", "printer"), ("health", "ok")))] == 0
    assert m[("kiosk_device_health", (("device", "idcard"), ("health", "ok")))] == 1
    assert m[("kiosk_device_paper", (("device", "printer"), ("level", "low")))] == 1
    assert ("kiosk_device_paper", (("device", "idcard"), ("level", "ok"))) not in m
    assert m[("kiosk_transactions_today", (("kind", "apply"),))] == 2
    assert m[("kiosk_transactions_today", (("kind", "hotline"),))] == 1
    assert m[("kiosk_outbox_depth", ())] == snap["outbox_depth"] == 0
    assert m[("kiosk_memory_resident_bytes", ())] == pytest.approx(snap["memory_mb"] * 2**20)
    assert m[("kiosk_heartbeats_total", ())] == 1 and m[("kiosk_heartbeat_failures_total", ())] == 0
    assert m[("kiosk_uptime_seconds", ())] >= 0

    devices["printer"] = Status(Health.OFFLINE, "no answer on tcp 9100")
    telemetry.client.base_url = "http://127.0.0.1:9"  # the hall is now out of reach
    assert telemetry.beat() is False
    m = scrape(port)
    assert m[("kiosk_device_health", (("device", "printer"), ("health", "offline")))] == 1
    assert m[("kiosk_heartbeat_failures_total", ())] == 1 and m[("kiosk_heartbeat_failing", ())] == 1


def test_a_port_in_use_is_a_plain_error(make_telemetry):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        telemetry = make_telemetry("http://127.0.0.1:9")
        with pytest.raises(TelemetryError, match=f"cannot serve metrics on 127.0.0.1:{port}"):
            telemetry.serve_metrics(port)
        telemetry.start(metrics_port=port)  # the worker runs on without its endpoint
        assert telemetry._thread.is_alive() and telemetry._metrics is None
