"""The fleet's behaviours are scenarios (one source of truth): every vehicle of simulator/fleet.json
is selected by a fleet-*.yaml case, and a fleet file that still carries a behaviour is refused with a
message that says where behaviours live now."""

from __future__ import annotations

import re

import pytest

from simulator.fleet import DEFAULT_FLEET, FleetError, Vehicle, load_fleet, parse_fleet
from simulator.scenario import SCENARIOS_DIR, Case, load

FLEET = load_fleet(DEFAULT_FLEET)
FLEET_CASES = load(sorted(SCENARIOS_DIR.glob("fleet-*.yaml")))


def vehicles_of(case: Case) -> list[Vehicle]:
    pattern = case.vin_pattern or ".*"
    return [
        v for v in FLEET.vehicles.values() if re.fullmatch(pattern, v.vin) and v.generation == case.generation
    ]


def test_every_fleet_vehicle_has_its_scenario() -> None:
    covered = {v.vin for case in FLEET_CASES for v in vehicles_of(case)}
    assert covered == set(FLEET.vehicles)  # the named vehicles and the generated slice


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"vehicles": [{"vin": "WVWZZZ1JZXW000001", "owner": "a", "behaviour": "late"}]}, r"vehicles\[0\]"),
        ({"vehicles": [{"vin": "WVWZZZ1JZXW000001", "owner": "a", "ackMs": 5}]}, r"vehicles\[0\]: ackMs"),
        ({"defaults": {"behaviour": "immediate"}, "vehicles": []}, "defaults"),
    ],
)
def test_a_behaviour_in_the_fleet_file_is_refused(document: dict[str, object], named: str) -> None:
    with pytest.raises(FleetError, match=rf"{named}.*simulator/scenarios/fleet-\*\.yaml"):
        parse_fleet(document)


def test_fleet_errors_name_the_entry() -> None:
    with pytest.raises(FleetError, match=r"vehicles\[0\].*vin"):
        parse_fleet({"vehicles": [{"vin": "WVWZZZ1JZXW00000O", "owner": "a"}]})
    with pytest.raises(FleetError, match=r"vehicles\[0\].*generation"):
        parse_fleet({"vehicles": [{"vin": "WVWZZZ1JZXW000001", "owner": "a", "generation": "G9"}]})
