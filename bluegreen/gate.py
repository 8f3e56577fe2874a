"""The gate of a canary step: is `colour` fit to take (more) traffic?

    gate = Gate(env, target_for, cases)
    baseline = gate.dead_letters(colour)
    result = gate.check(colour, baseline)      # GateResult: passed, failed cases, alarms, dead letters

Three checks, all through the colour's own path:
- the scenario cases, every one sent with the override header (X-Target-Environment: colour) and
  read back through that colour's test harness; the vehicle-initiated cases are left out (no header
  can send them to a colour: the weights do, so they would land on either);
- the colour's CloudWatch alarms (named ``<env>-<colour>-...``): none may be in ALARM;
- the colour's dead-letter queues (``<env>-<colour>-...-dlq``): none may have gained a message since
  the shift began (the baseline), which also covers the DLQ alarms where alarms are not evaluated
  (the local cloud; docs/local-cloud.md).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bluegreen.environment import EnvironmentRef
from simulator.runner.execute import CaseResult
from simulator.runner.suite import run_suite
from simulator.runner.targets import Target
from simulator.scenario import Case

COLOUR_HEADER = "X-Target-Environment"


@dataclass
class GateResult:
    colour: str
    cases: int = 0
    failed: list[str] = field(default_factory=list)  # "case id: first reason"
    alarms: list[str] = field(default_factory=list)  # alarm names in ALARM
    dead_letters: dict[str, int] = field(default_factory=dict)  # queue name -> messages gained
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.cases > 0 and not self.failed and not self.alarms and not self.dead_letters

    def summary(self) -> str:
        if self.passed:
            cases = f"{self.cases}/{self.cases} cases passed"
            return f"{self.colour}: {cases}, no alarm, no dead letter ({self.seconds:.0f} s)"
        parts = []
        if self.cases == 0:
            parts.append("no case ran")
        if self.failed:
            parts.append(f"{len(self.failed)}/{self.cases} cases failed ({self.failed[0]})")
        if self.alarms:
            parts.append(f"in ALARM: {', '.join(self.alarms)}")
        if self.dead_letters:
            parts.append("dead letters: " + ", ".join(f"{q} +{n}" for q, n in self.dead_letters.items()))
        return f"{self.colour}: " + "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}


def gate_cases(cases: Sequence[Case], colour: str) -> list[Case]:
    """The commands of `cases`, sent to `colour` (the vehicle-initiated ones left out)."""
    return [dataclasses.replace(c, colour=colour) for c in cases if c.expect.http_status != 0]


class Gate:
    """Runs the three checks of the module docstring for one colour."""

    def __init__(
        self,
        env: EnvironmentRef,
        target_for: Callable[[str], Target],
        cases: Sequence[Case],
        concurrency: int = 4,
        on_result: Callable[[CaseResult], None] | None = None,
    ) -> None:
        self.env = env
        self.target_for = target_for
        self.cases = list(cases)
        self.concurrency = concurrency
        self.on_result = on_result

    def dead_letters(self, colour: str) -> dict[str, int]:
        """Messages in each of the colour's dead-letter queues now."""
        sqs = self.env.client("sqs")
        urls = sqs.list_queues(QueueNamePrefix=f"{self.env.name}-{colour}-").get("QueueUrls", [])
        out = {}
        for url in urls:
            name = url.rsplit("/", 1)[-1]
            if name.endswith("-dlq"):
                attrs = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                out[name] = int(attrs["ApproximateNumberOfMessages"]) + int(
                    attrs["ApproximateNumberOfMessagesNotVisible"]
                )
        return out

    def alarms(self, colour: str) -> list[str]:
        """The colour's alarms in ALARM."""
        cloudwatch = self.env.client("cloudwatch")
        found = cloudwatch.describe_alarms(AlarmNamePrefix=f"{self.env.name}-{colour}-", StateValue="ALARM")
        return sorted(
            a["AlarmName"] for a in found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])
        )

    def check(self, colour: str, baseline: dict[str, int]) -> GateResult:
        started = time.monotonic()
        result = GateResult(colour)
        cases = gate_cases(self.cases, colour)
        target = self.target_for(colour)
        target.colour_header = COLOUR_HEADER
        results = run_suite(target, cases, self.concurrency, on_result=self.on_result)
        result.cases = len(results)
        result.failed = [f"{r.case_id}: {r.reasons[0]}" for r in results if not r.passed]
        result.alarms = self.alarms(colour)
        now = self.dead_letters(colour)
        result.dead_letters = {q: n - baseline.get(q, 0) for q, n in now.items() if n > baseline.get(q, 0)}
        result.seconds = round(time.monotonic() - started, 1)
        return result
