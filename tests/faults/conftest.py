"""The fault suite runs on the session's local cloud (tests/conftest.py: built artifacts, production
expected times). Every test takes its own bench vehicles and undoes what it injected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud.cloud import LocalCloud
from simulator.fleet import Vehicle
from tests.faults.faults import bench_vehicles, steady

pytestmark = pytest.mark.faults


@pytest.fixture(scope="package")
def vehicles(cloud: LocalCloud) -> Iterator[Iterator[Vehicle]]:
    """The bench vehicles, one per use, answering as the suite's steady car (as seeded again once the
    fault suite is over: before a later suite's moto reset takes the session cloud's tables away)."""
    cars = bench_vehicles(cloud)
    steady(cloud, cars)
    yield iter(cars)
    steady(cloud, cars, on=False)
