"""Look-ups are rate-limited per terminal and per resident: numbers cannot be walked, an ID
number cannot be probed from many terminals, and a real kiosk never meets the limits."""

import secrets
import time

import pytest

from hall.limits import LookupLimits, MemoryLimiter, Rate
from testing.hall import OTHER, Client, Hall, Sign, person

# Small limits for a hall of its own: 30 look-ups a minute per terminal, 5 an hour per resident.
LIMITS = {"HALL_LOOKUP_LIMIT_TERMINAL": "30/60", "HALL_LOOKUP_LIMIT_RESIDENT": "5/3600"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    server = Hall(tmp_path_factory.mktemp("limited"), "--terminal", "walker-01:walker-secret-01",
                  "--terminal", "walker-02:walker-secret-02", env=LIMITS)
    yield server
    assert server.stop() == 0


def walk(client, count):
    """Application numbers in sequence, as someone walking them would ask."""
    day = time.strftime("%Y%m%d")
    start = secrets.randbelow(900_000)
    return [client.get(f"/api/v1/applications/SB{day}{start + n:06d}") for n in range(count)]


def test_walking_numbers_is_stopped_per_terminal(limited):
    walker = Client(limited.base, Sign("walker-01", "walker-secret-01"))
    began = time.monotonic()
    answers = walk(walker, 45)
    codes = [a.status_code for a in answers]
    assert codes[:30] == [404] * 30 and codes[30:] == [429] * 15, codes
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "too_many_lookups"
    assert 1 <= int(refused.headers["Retry-After"]) <= 2  # one look-up comes back every 2 s
    assert time.monotonic() - began < 10
    # the other look-ups share the terminal's count ...
    assert walker.get("/api/v1/requests/RQ20260101000000").status_code == 429
    assert walker.post("/api/v1/applications/lookup", {"id_number": person()["id_number"]}).status_code == 429
    # ... and the limit is the terminal's: another is served
    assert Client(limited.base, Sign(*OTHER)).get("/api/v1/applications/SB20260101000000").status_code == 404
    time.sleep(int(refused.headers["Retry-After"]))
    assert walker.get("/api/v1/applications/SB20260101000000").status_code == 404, "Retry-After was honest"


def test_one_id_number_is_limited_across_terminals(limited):
    resident, other = person(), person()
    one = Client(limited.base, Sign(*OTHER))
    two = Client(limited.base, Sign("walker-02", "walker-secret-02"))
    lookup = "/api/v1/applications/lookup"
    assert [c.post(lookup, {"id_number": resident["id_number"]}).status_code for c in (one, two) * 2 + (one,)] \
        == [200] * 5
    refused = two.post(lookup, {"id_number": resident["id_number"].lower()})  # the same ID number
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 600
    assert two.post(lookup, {"id_number": other["id_number"]}).status_code == 200


def test_the_default_limits_are_never_met_by_a_busy_real_kiosk():
    """A resident a minute for 12 hours, each looking up 3 numbers and once by ID card, some
    residents coming back each hour: never refused."""
    limits, now = LookupLimits(), [0.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    assert (limits.terminal, limits.resident) == (Rate(600, 3600), Rate(20, 3600))  # as docs/hall-api.md says
    for minute in range(12 * 60):
        now[0] = minute * 60.0
        for _ in range(3):
            assert limiter.take("terminal:t1", limits.terminal) == 0
        assert limiter.take("terminal:t1", limits.terminal) == 0
        assert limiter.take(f"resident:{minute % 50}", limits.resident) == 0  # 50 regulars, once an hour


def test_limits_are_read_from_the_environment_and_checked():
    assert LookupLimits.from_environ({}) == LookupLimits()
    assert LookupLimits.from_environ(LIMITS) == LookupLimits(Rate(30, 60), Rate(5, 3600))
    for bad in ("30", "0/60", "30/0", "-1/60", "thirty/60"):
        with pytest.raises(ValueError, match="HALL_LOOKUP_LIMIT_TERMINAL: must be COUNT/SECONDS"):
            LookupLimits.from_environ({"HALL_LOOKUP_LIMIT_TERMINAL": bad})


def test_a_limiter_forgets_keys_once_their_bucket_is_full_again():
    now = [0.0]
    limiter, rate = MemoryLimiter(clock=lambda: now[0]), Rate(2, 10)
    assert [limiter.take("k", rate) for _ in range(3)] == [0, 0, 5.0]
    now[0] = 5.0
    assert limiter.take("k", rate) == 0 and limiter.take("k", rate) == 5.0
    now[0] = 100.0
    limiter.take("other", rate)  # the minute's prune runs
    assert set(limiter._buckets) == {"other"}
