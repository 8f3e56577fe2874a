"""The fleet's standing behaviours, from the scenario files that replaced fleet.json's `behaviour`s
(`simulator/scenarios/fleet-<behaviour>.yaml`): what each vehicle of the fleet does when a command
reaches it outside a case (a command sent by hand, the demo), written in HarnessTable at seed time.

    fleet_behaviours(fleet) -> {vin: behaviour record}   # every vehicle of the fleet

A fleet case that names one vehicle (its `vin`) gives that vehicle its behaviour; every other vehicle
(the generated slice, and the fixed ones no fleet case names) gets the immediate behaviour, the one
of `fleet-immediate.yaml`'s case for the generated slice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from simulator.fleet import Fleet
from simulator.scenario.loader import load
from simulator.scenario.model import Case

IMMEDIATE = "fleet-immediate"


def fleet_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("fleet-*.yaml"))


def fleet_behaviours(fleet: Fleet, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every vehicle of `fleet` -> its behaviour record (docs/test-harness.md, section 1)."""
    if folder is None:
        from simulator.scenario import SCENARIOS_DIR

        folder = SCENARIOS_DIR
    cases = load(fleet_files(folder), fleet)
    own: dict[str, dict[str, Any]] = {}
    for case in cases:
        matching = [vin for vin in fleet.vehicles if _selects(case, vin, fleet)]
        if len(matching) == 1 and matching[0] not in own:
            own[matching[0]] = case.behaviour
    slice_cases = [c for c in cases if c.file.endswith(f"{IMMEDIATE}.yaml") and _count(c, fleet) > 1]
    if not slice_cases:
        raise ValueError(f"{folder / (IMMEDIATE + '.yaml')}: no case for the generated vehicles")
    immediate = slice_cases[0].behaviour
    return {vin: own.get(vin, immediate) for vin in fleet.vehicles}


def _selects(case: Case, vin: str, fleet: Fleet) -> bool:
    vehicle = fleet.vehicles[vin]
    pattern = case.vin_pattern
    return vehicle.generation == case.generation and (
        pattern is None or re.fullmatch(pattern, vin) is not None
    )


def _count(case: Case, fleet: Fleet) -> int:
    return sum(1 for vin in fleet.vehicles if _selects(case, vin, fleet))


def scaled(behaviour: dict[str, Any], time_scale: float) -> dict[str, Any]:
    """The behaviour with the vehicle's delays multiplied by `time_scale` (a local cloud's lifecycle
    timers run at that scale: its vehicles answer at the same scale, as fleet.json's did)."""
    if time_scale == 1.0:
        return behaviour
    vehicle = dict(behaviour["vehicle"])
    for part in ("ack", "done"):
        message = dict(vehicle[part])
        for key in ("delayMs", "jitterMs"):
            message[key] = round(int(message[key]) * time_scale)
        vehicle[part] = message
    return {**behaviour, "vehicle": vehicle}
