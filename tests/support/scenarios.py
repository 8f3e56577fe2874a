"""Scenario cases (simulator/scenarios) run through the scenario runner against the session's cloud:
a test that is a command and its expected end says which case, and checks the rest itself.

    result = run_scenario(target, "fleet-silent/vin-000003-horn-blow")   # asserts the case passed
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from simulator.runner.execute import CaseResult, run_case
from simulator.runner.targets import Target
from simulator.runner.vehicles import VehiclePool
from simulator.scenario import SCENARIOS_DIR, Case, load_dir


@cache
def cases() -> dict[str, Case]:
    return {case.id: case for case in load_dir(SCENARIOS_DIR)}


def run_scenario(
    target: Target,
    case_id: str,
    vehicle: dict[str, Any] | None = None,
    history: tuple[str, ...] | None = None,
) -> CaseResult:
    """Run one case to its end through the runner; fails the test with the runner's reasons.
    `vehicle`: fields of the behaviour record's vehicle replaced (e.g. a later done, so that the ack
    and the done are due whole seconds apart); `history`: then also expected."""
    case = cases()[case_id]
    if vehicle is not None:
        behaviour = {**case.behaviour, "vehicle": {**case.behaviour["vehicle"], **vehicle}}
        case = dataclasses.replace(case, behaviour=behaviour)
    if history is not None:
        case = dataclasses.replace(case, expect=dataclasses.replace(case.expect, history=history))
    result = run_case(target, case, VehiclePool(target.fleet))
    assert result.passed, (case_id, result.reasons, result.as_json())
    return result
