"""One running `kiosk hall` (tiny seed set) with every testing.workbench.STAFF account."""

import pytest

from testing.hall import Client, Hall
from testing.materials import page_jpeg
from testing.workbench import staff_args


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    args, passwords = staff_args()
    server = Hall(tmp_path_factory.mktemp("workbench"), *args, stdin=passwords)
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def terminal(hall):
    return Client(hall.base)


@pytest.fixture(scope="module")
def page():
    return page_jpeg(5)
