"""The hall client's failure paths, against real sockets: refused URLs, silence, errors, retries."""

import json
import socket
import threading
import time

import pytest

from kiosk.errors import ConfigError
from kiosk.hall_client import (HallRejected, HallServerError, HallTimeout, HallUnreachable,
                               InsecureHallURL, signature)
from testing.processes import free_port, run_kiosk
from testing.terminal_hall import TERMINAL_SECRET, id_number


@pytest.mark.parametrize("url", ["http://hall.example.gov.cn", "http://10.0.0.5:8400/",
                                 "http://127.0.0.1.evil.example", "ftp://127.0.0.1", "hall.example.gov.cn"])
def test_plain_http_to_another_host_is_refused(url, client_for):
    with pytest.raises(InsecureHallURL) as e:
        client_for(url)
    assert isinstance(e.value, ConfigError)
    assert "http" in str(e.value)


@pytest.mark.parametrize("url", ["https://hall.example.gov.cn", "http://localhost:8400",
                                 "http://127.0.0.1:1", "http://[::1]:8400/"])
def test_https_anywhere_and_http_to_this_machine_are_accepted(url, client_for):
    assert client_for(url).session.verify is True


def test_cli_refuses_plain_http_hall_with_one_line(write_config):
    path = write_config('[hall]\nurl = "http://hall.example.gov.cn"\n')
    result = run_kiosk("--config", str(path), "catalog", "search", "sfz")
    assert result.returncode == 3
    assert "refusing plain http" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_hall_down_is_unreachable(client_for):
    client = client_for(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01)
    with pytest.raises(HallUnreachable, match="cannot reach"):
        client.get("/api/v1/catalog")
    with pytest.raises(HallUnreachable):
        client.post("/api/v1/requests", {"type": "咨询"})


@pytest.fixture
def silent_socket():
    """Accepts connections and never answers; counts them."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join(2)
    for c in accepted:
        c.close()
    server.close()


def test_silent_hall_times_out_after_retries(silent_socket, client_for):
    url, accepted = silent_socket
    client = client_for(url, timeout=0.5, retries=2, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(HallTimeout, match="did not answer within 0.5 s"):
        client.get("/api/v1/catalog/export")
    assert 1.4 < time.monotonic() - started < 5
    assert len(accepted) == 3  # the first try and two retries


def test_server_errors_are_retried_with_fresh_signatures_and_the_same_key(stub_hall, client_for):
    url, stub = stub_hall
    stub.answer = (503, b'{"error": {"code": "busy", "message": "busy"}}')
    client = client_for(url, retries=2, backoff=0.01)
    with pytest.raises(HallServerError, match="503"):
        client.post("/api/v1/requests", {"type": "咨询", "content": "路灯不亮了"}, idempotency_key="key-12345678")
    assert len(stub.seen) == 3
    nonces = {h["X-Nonce"] for _, _, h, _ in stub.seen}
    assert len(nonces) == 3
    assert {h["Idempotency-Key"] for _, _, h, _ in stub.seen} == {"key-12345678"}
    for method, path, headers, body in stub.seen:  # each attempt carries a valid signature
        assert headers["X-Signature"] == signature(TERMINAL_SECRET, method, path, body,
                                                   int(headers["X-Timestamp"]), headers["X-Nonce"])


def test_every_post_gets_an_idempotency_key(stub_hall, client_for):
    url, stub = stub_hall
    stub.answer = (201, b'{"id": 7}')
    client = client_for(url)
    assert client.post("/api/v1/ratings", {"level": 5}).data == {"id": 7}
    assert client.post("/api/v1/ratings", {"level": 5}).status == 201
    keys = [h["Idempotency-Key"] for _, _, h, _ in stub.seen]
    assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) >= 8 for k in keys)


def test_a_rejection_is_not_retried_and_carries_code_and_fields(stub_hall, client_for):
    url, stub = stub_hall
    number = id_number("43010219900101123")
    stub.answer = (422, json.dumps({"error": {
        "code": "invalid", "message": f"bad id_number {number}",
        "fields": [{"field": "body.phone", "problem": "must be 11 digits"}]}}).encode())
    client = client_for(url, retries=3, backoff=0.01)
    with pytest.raises(HallRejected) as e:
        client.post("/api/v1/applications", {"applicant": {"id_number": number}})
    assert len(stub.seen) == 1
    assert e.value.status == 422 and e.value.code == "invalid"
    assert e.value.fields == [{"field": "body.phone", "problem": "must be 11 digits"}]
    assert "body.phone" in str(e.value)
    assert number not in str(e.value) and number[:10] not in str(e.value)


def test_an_unreadable_success_is_a_server_error(stub_hall, client_for):
    url, stub = stub_hall
    stub.answer = (200, b"<html>proxy login</html>")
    with pytest.raises(HallServerError, match="cannot read"):
        client_for(url, retries=0).get("/api/v1/catalog")
