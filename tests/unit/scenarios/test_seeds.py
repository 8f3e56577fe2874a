"""The fleet's standing behaviours (simulator.scenario.seeds): what the local cloud writes in
HarnessTable for every vehicle at seed time, from simulator/scenarios/fleet-*.yaml."""

from __future__ import annotations

from simulator.fleet import load_fleet
from simulator.scenario import SCENARIOS_DIR, load
from simulator.scenario.seeds import fleet_behaviours, fleet_files, scaled

FLEET = load_fleet()
CASES = {case.id: case for case in load(fleet_files(SCENARIOS_DIR), FLEET)}


def test_every_vehicle_has_a_behaviour_record() -> None:
    assert set(fleet_behaviours(FLEET)) == set(FLEET.vehicles)


def test_a_fixed_vin_gets_its_fleet_case_and_the_rest_the_immediate_behaviour() -> None:
    seeded = fleet_behaviours(FLEET)
    named = {
        "WVWZZZ1JZXW000003": "fleet-silent/vin-000003-horn-blow",
        "WVWZZZ1JZXW000004": "fleet-late/vin-000004-climate-start",
        "WVWZZZ1JZXW000005": "fleet-reject/vin-000005-horn-blow",
        "WVWZZZ1JZXW000006": "fleet-duplicate/vin-000006-horn-blow",
        "WVWZZZ1JZXW000007": "fleet-out-of-order/vin-000007-horn-blow",
        "WVWZZZ1JZXW000010": "fleet-late/vin-000010-door-lock",
    }
    for vin, case_id in named.items():
        assert seeded[vin] == CASES[case_id].behaviour, vin
    immediate = CASES["fleet-immediate/generated-g1-door-lock"].behaviour
    assert immediate["vehicle"]["ack"]["delayMs"] == immediate["vehicle"]["done"]["delayMs"] == 0
    others = [vin for vin in FLEET.vehicles if vin not in named]
    assert len(others) == len(FLEET.vehicles) - len(named) and all(seeded[v] == immediate for v in others)


def test_scaled_multiplies_the_vehicles_delays_only() -> None:
    late = CASES["fleet-late/vin-000004-climate-start"].behaviour
    half = scaled(late, 0.5)
    assert (half["vehicle"]["ack"]["delayMs"], half["vehicle"]["done"]["delayMs"]) == (500, 3000)
    assert half["broker"] == late["broker"] and late["vehicle"]["ack"]["delayMs"] == 1000  # not changed
    assert scaled(late, 1.0) is late
