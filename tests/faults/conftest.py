"""The fault suite runs on the session's local cloud (tests/conftest.py: built artifacts, production
expected times). Every test takes its own bench vehicles and undoes what it injected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud.cloud import LocalCloud
from simulator.fleet import Vehicle
from tests.faults.faults import bench_vehicles

pytestmark = pytest.mark.faults


@pytest.fixture(scope="session")
def vehicles(cloud: LocalCloud) -> Iterator[Vehicle]:
    return bench_vehicles(cloud)
