"""The canary shift: move `colour`'s share of the traffic one step at a time, each step only after
the gate passed, and roll back to the weights the shift began with as soon as one fails.

    report = shift(router, gate, "green", [10, 50, 100], bake_s=30)
    report.outcome   # "shifted" | "rolled back" | "refused"

Before each step the gate runs (the target colour through the override header, its alarms, its
dead-letter queues); after the last step it runs once more, with the colour carrying the traffic.
Between steps the weights stay for `bake_s`, so that alarms see the new share at work. A failed gate
before any step changed nothing ("refused"); a failed gate after one puts the first weights back
("rolled back"). Every change goes to the stage and then to the weights table (`Router.apply`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bluegreen.gate import GateResult
from bluegreen.router import Router
from bluegreen.weights import RouterState, check_colour


class Gate(Protocol):
    """What the shift needs of a gate (`bluegreen.gate.Gate`)."""

    def dead_letters(self, colour: str) -> dict[str, int]: ...

    def check(self, colour: str, baseline: dict[str, int]) -> GateResult: ...


@dataclass
class ShiftReport:
    colour: str
    steps: list[float]
    before: dict[str, int]
    outcome: str = ""
    after: dict[str, int] = field(default_factory=dict)
    reached: float = 0.0  # the colour's share when the shift ended (before a rollback)
    log: list[dict[str, Any]] = field(default_factory=list)  # each gate and each change, in order

    @property
    def passed(self) -> bool:
        return self.outcome == "shifted"

    def as_json(self) -> dict[str, Any]:
        return {
            "colour": self.colour,
            "steps": self.steps,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "reached": self.reached,
            "log": self.log,
        }


def shift(
    router: Router,
    gate: Gate,
    colour: str,
    steps: Sequence[float],
    bake_s: float = 30.0,
    progress: Callable[[str], None] = lambda _m: None,
    between_steps: Callable[[RouterState], None] | None = None,
) -> ShiftReport:
    """See the module docstring. `between_steps(state)` runs after each change, while the weights
    bake (the demo sends customer traffic there)."""
    check_colour(colour)
    before = router.sync()  # the stage is the truth; the table follows it from here on
    report = ShiftReport(colour, list(steps), before.weights())
    progress(f"shift {colour} to {', '.join(f'{s:g} %' for s in steps)}; now {before.describe()}")
    baseline = gate.dead_letters(colour)
    state = before

    def run_gate(label: str) -> GateResult:
        progress(f"gate ({label}): the scenario cases against {colour}, its alarms, its dead-letter queues")
        result = gate.check(colour, baseline)
        report.log.append({"gate": label, **result.as_json()})
        progress(("  passed: " if result.passed else "  FAILED: ") + result.summary())
        return result

    for index, step in enumerate(steps):
        label = "before any traffic" if index == 0 and state.share(colour) == 0 else f"before {step:g} %"
        if not run_gate(label).passed:
            return _stop(router, report, before, state, colour, progress)
        state = router.apply(state.with_share(colour, step))
        report.reached = state.share(colour)
        report.log.append(
            {"applied": state.weights(), "live": state.live, "canaryPercent": state.canary_percent}
        )
        progress(f"weights now {state.describe()}; baking {bake_s:g} s")
        if between_steps is not None:
            between_steps(state)
        time.sleep(max(0.0, bake_s))
    if not run_gate(f"at {steps[-1]:g} %").passed:
        return _stop(router, report, before, state, colour, progress)
    report.outcome = "shifted"
    after = router.read()
    report.after = after.weights()
    progress(f"shifted: {colour} takes {report.reached:g} % ({after.describe()})")
    return report


def _stop(
    router: Router,
    report: ShiftReport,
    before: RouterState,
    state: RouterState,
    colour: str,
    progress: Callable[[str], None],
) -> ShiftReport:
    if state == before:
        report.outcome = "refused"
        progress(f"refused: {colour} never took traffic; the weights stay {before.describe()}")
    else:
        router.apply(before)
        report.outcome = "rolled back"
        progress(f"rolled back from {colour} {state.share(colour):g} % to {before.describe()}")
    report.after = router.read().weights()
    return report
