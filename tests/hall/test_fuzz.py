"""Schemathesis fuzzes every operation of the hall's OpenAPI document, signed: no 5xx, ever.

Positive cases (data that fits the schema) must also get documented status codes, headers
and bodies that match the documented schemas; negative cases (data the schema forbids) must
be refused with a 4xx, so the document and the checks the hall makes agree. Bounded: 30
examples per operation and mode, so each test runs in well under a minute on the shared machine.
(schemathesis.pytest.from_fixture fails on this pytest version, so operations are
driven with hypothesis directly.)
"""

import collections
import re
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from testing.hall import FUZZER, Sign, openapi

EXAMPLES = 30
KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
CHECKS = {
    GenerationMode.POSITIVE: [not_a_server_error, status_code_conformance, content_type_conformance,
                              response_headers_conformance, response_schema_conformance],
    GenerationMode.NEGATIVE: [not_a_server_error, negative_data_rejection],
}


class FreshKey(Sign):
    """Sign as the fuzzing terminal. A well-formed generated Idempotency-Key is made fresh, so
    that generated bodies really get created; a missing or malformed one is left as generated."""

    def __init__(self):
        super().__init__(*FUZZER)

    def __call__(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is not None and KEY.fullmatch(key):
            request.headers["Idempotency-Key"] = uuid.uuid4().hex
        request = super().__call__(request)
        if key is None and request.method == "POST":
            del request.headers["Idempotency-Key"]  # Sign adds one to every POST
        return request


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error(hall, mode):
    doc = openapi(hall.base)
    # Every request is signed by the session (FreshKey): without the signing headers in the
    # document, negative cases cannot "leave them out" only for the session to put them back.
    # (Forged and unsigned requests are test_auth's.)
    doc["components"].pop("securitySchemes")
    for operation in (op for ops in doc["paths"].values() for op in ops.values()):
        operation.pop("security", None)
    schema = schemathesis.openapi.from_dict(doc)
    session = requests.Session()
    session.auth = FreshKey()
    failures, operations, statuses = [], 0, collections.Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            response = case.call(base_url=hall.base, session=session, timeout=30)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS[mode])

        try:
            fuzz()
        except Unsatisfiable:  # negative mode: an operation with no inputs has nothing to break
            assert mode is GenerationMode.NEGATIVE
        except Exception as failure:  # noqa: BLE001 — collect every operation's failure, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:3000])
    print(f"\n{mode.value}: {operations} operations, {sum(statuses.values())} signed requests, "
          f"answers {dict(sorted(statuses.items()))}, {sum(n for s, n in statuses.items() if s >= 500)} 5xx")
    assert operations >= 19
    assert not failures, "\n\n".join(failures)
