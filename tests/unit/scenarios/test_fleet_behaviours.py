"""fleet.json's behaviours as scenarios (one source of truth): each fleet-*.yaml case resolves to
the behaviour record that makes the broker mock's planner send what simulator/vehicle.py sends for
that vehicle today (the same messages, statuses, reasons, order and delays)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from remote_services.harness.behaviour import parse_behaviour
from remote_services.harness.plan import plan_command
from remote_services.vehicles import decode_command, decode_vehicle_message, encode_command
from simulator.fleet import DEFAULT_FLEET, Vehicle, load_fleet
from simulator.scenario import SCENARIOS_DIR, Case, load
from simulator.vehicle import VehicleSimulator

FLEET = load_fleet(DEFAULT_FLEET)
FLEET_CASES = load(sorted(SCENARIOS_DIR.glob("fleet-*.yaml")))
TOLERANCE_MS = 50  # vehicle.py schedules on the monotonic clock: the reading is a few ms late

Message = tuple[int, str, str | None]  # (delay ms, status, failure reason)


def behaviour_names() -> list[str]:
    return sorted({v.behaviour.kind for v in FLEET.vehicles.values()})


def command_for(vehicle: Vehicle, service_type: str) -> tuple[str, str]:
    envelope: Any = {
        "eventId": "e-1",
        "vin": vehicle.vin,
        "serviceType": service_type,
        "parameters": {},
        "updatedMs": 1,
        "vehicle": {"generation": vehicle.generation},
    }
    return encode_command(envelope)


def simulator_plan(vehicle: Vehicle, service_type: str) -> list[Message]:
    """What vehicle.py schedules for one command (read from its timer heap, the thread not started)."""
    sim = VehicleSimulator(FLEET, send=lambda _body: None, time_scale=1.0)
    topic, payload = command_for(vehicle, service_type)
    before = time.monotonic()
    sim.on_command(topic, payload, "corr")
    out = []
    for due, _seq, _vin, raw in sorted(sim._heap):
        update = json.loads(raw)
        out.append((round((due - before) * 1000), update["status"], update.get("failureReason")))
    return out


def harness_plan(case: Case, vehicle: Vehicle) -> list[Message]:
    """What the broker mock plans for the same command with the case's behaviour record."""
    topic, payload = command_for(vehicle, case.service_type)
    planned = plan_command(decode_command(topic, payload), parse_behaviour(case.behaviour), 0, lambda: 0.0)
    out = []
    for delay_ms, message in planned:
        update = decode_vehicle_message(message["topic"], message["payload"])
        out.append((delay_ms, update["status"], update.get("failureReason")))
    return out


def vehicles_of(case: Case) -> list[Vehicle]:
    pattern = case.vin_pattern or ".*"
    return [
        v for v in FLEET.vehicles.values() if re.fullmatch(pattern, v.vin) and v.generation == case.generation
    ]


def test_every_fleet_behaviour_and_every_fleet_vehicle_has_its_scenario() -> None:
    files = {c.file.rsplit("/", 1)[-1] for c in FLEET_CASES}
    assert files == {f"fleet-{name.replace('_', '-')}.yaml" for name in behaviour_names()}
    covered = {v.vin for case in FLEET_CASES for v in vehicles_of(case)}
    assert covered == set(FLEET.vehicles)  # the named vehicles and the generated slice


@pytest.mark.parametrize("case", FLEET_CASES, ids=lambda c: c.id)
def test_the_scenario_sends_what_the_fleet_vehicle_sends_today(case: Case) -> None:
    stem = case.file.rsplit("/", 1)[-1].removesuffix(".yaml").removeprefix("fleet-").replace("-", "_")
    for vehicle in vehicles_of(case)[:2]:
        assert vehicle.behaviour.kind == stem, vehicle.vin
        want = simulator_plan(vehicle, case.service_type)
        got = harness_plan(case, vehicle)
        assert [m[1:] for m in got] == [m[1:] for m in want], vehicle.vin
        for (got_ms, *_), (want_ms, *_) in zip(got, want, strict=True):
            assert want_ms - TOLERANCE_MS <= got_ms <= want_ms + TOLERANCE_MS, (vehicle.vin, got, want)


def test_the_silent_car_sends_nothing_in_both() -> None:
    (case,) = [c for c in FLEET_CASES if "silent" in c.file]
    (vehicle,) = vehicles_of(case)
    assert simulator_plan(vehicle, case.service_type) == harness_plan(case, vehicle) == []
