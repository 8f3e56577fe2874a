"""`make bluegreen-demo`: blue and green over the shared stack in one local cloud, a gated canary
shift while customers send commands, and a broken green rolled back (docs/bluegreen.md).

1. Green starts at 0 %. `bluegreen.shift` gates green (the quick suite `simulator/scenarios/gate.yaml`
   through the X-Target-Environment header, its alarms, its dead-letter queues) and moves it to 10, 50
   and 100 % while customer commands flow without the header (`bluegreen.traffic`).
2. With green live, theft alarms raised through blue's broker go to green (the weights decide a
   vehicle-initiated event's colour); then blue is shifted back to 100 % and alarms raised through
   green's broker go to blue.
3. A broken green: once it carries 10 %, its vehicle connector gets a bad configuration (BROKER_URL
   to a closed port, through Lambda's UpdateFunctionConfiguration). The next gate fails and the
   shift rolls back to the weights it began with.

Then every accepted command must have reached a final status and have finished on the colour that
created it (its STATE's colour, and its push in that colour's subscription mock only). Exit 0 only
when every check passed; the report is `reports/bluegreen-demo.json`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bluegreen.environment import local_environment
from bluegreen.gate import Gate
from bluegreen.plot import plot
from bluegreen.shift import ShiftReport, shift
from bluegreen.traffic import CustomerTraffic, SentCommand
from bluegreen.weights import RouterState
from simulator.fleet import Fleet
from simulator.runner.targets import Target, local_target
from simulator.scenario import SCENARIOS_DIR, load

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

GATE_FILE = SCENARIOS_DIR / "gate.yaml"
BAKE_S = 6.0
BROKEN_BROKER_URL = "http://127.0.0.1:9/publish"  # nothing listens on port 9 (discard)
ALARMS_PER_CHECK = 3
CUSTOMER_RATE = 1.0  # commands/s (the local stage throttle is 3/s, and the gate needs some)


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


class BlueGreenDemo:
    """The three acts of the module docstring against a started LocalCloud with blue and green."""

    def __init__(self, cloud: LocalCloud, out: Callable[[str], None]) -> None:
        self.cloud = cloud
        self.out = out
        self.info = cloud.info()
        self.env = local_environment(self.info)
        self.router = self.env.router()
        everyone = cloud.fleet.vehicles
        # the gate's vehicles and the customers' never overlap (a busy vehicle answers 409)
        self.gate_fleet = Fleet({vin: v for vin, v in everyone.items() if v.owner != "bench"})
        self.customer_vins = [vin for vin, b in cloud.behaviours.items() if everyone[vin].owner == "bench"]
        cases = load([GATE_FILE])
        self.gate = Gate(self.env, self.target, cases, concurrency=3)
        self.checks: list[Check] = []
        self.marks: list[dict[str, Any]] = []  # when the weights changed, for the report

    def target(self, colour: str) -> Target:
        return local_target(self.info, self.gate_fleet, colour)

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, passed, detail))
        self.out(f"  {'ok  ' if passed else 'FAIL'} {name}: {detail}")

    def mark(self, state: RouterState) -> None:
        self.marks.append({"ms": int(time.time() * 1000), "weights": state.weights(), "live": state.live})

    def run(self) -> dict[str, Any]:
        traffic = CustomerTraffic(
            self.cloud.api_url, self.cloud.token("bench"), self.customer_vins[:100], CUSTOMER_RATE
        ).start()
        self.mark(self.router.read())
        self.out("act 1: green from 0 to 10, 50, 100 % while customers send commands")
        first = shift(self.router, self.gate, "green", [10, 50, 100], BAKE_S, self.out, self.mark)
        promoted_ms = self.marks[-1]["ms"]  # when green's 100 % was applied
        self.mark(self.router.read())
        self.check("green shifted to 100 %", first.outcome == "shifted", first.outcome)
        time.sleep(3.0)
        self.out("act 2: vehicle-initiated events follow the weights, whichever broker they came through")
        self.vehicle_initiated(through="blue", expect="green")
        back = shift(self.router, self.gate, "blue", [100], 2.0, self.out, self.mark)
        back_ms = self.marks[-1]["ms"]  # when blue's 100 % was applied
        self.mark(self.router.read())
        self.check("blue shifted back to 100 %", back.outcome == "shifted", back.outcome)
        self.vehicle_initiated(through="green", expect="blue")
        self.out("act 3: a broken green is rolled back")
        broken = shift(
            self.router, self.gate, "green", [10, 50, 100], BAKE_S, self.out, self.break_green_once
        )
        self.mark(self.router.read())  # after the rollback
        self.check(
            "the broken green was rolled back",
            broken.outcome == "rolled back" and broken.reached > 0,
            f"{broken.outcome} after green took {broken.reached:g} %",
        )
        sent = traffic.stop()
        self.check_weights(broken)
        finals = self.check_commands(sent, promoted_ms, back_ms)
        return self.report([first, back, broken], sent, finals)

    def vehicle_initiated(self, through: str, expect: str) -> None:
        """Theft alarms raised through `through`'s broker mock must be created on `expect`."""
        vins = self.customer_vins[100 : 100 + ALARMS_PER_CHECK]
        self.customer_vins = self.customer_vins[:100] + self.customer_vins[100 + ALARMS_PER_CHECK :]
        since_ms = int(time.time() * 1000)
        harness = self.target(through).harness
        for vin in vins:
            harness.raise_event(vin, "THEFT_ALARM")
        colours = [self.wait_vehicle_event(vin, since_ms) for vin in vins]
        self.check(
            f"theft alarms through {through}'s broker created on {expect}",
            colours == [expect] * len(vins),
            f"{colours} at weights {self.router.read().weights()}",
        )

    def wait_vehicle_event(self, vin: str, since_ms: int, timeout_s: float = 30.0) -> str | None:
        ddb, table = self.cloud.client("dynamodb"), self.cloud.physical("EventsTable")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = ddb.query(
                TableName=table,
                IndexName="byVin",
                KeyConditionExpression="vin = :v AND firstSeenMs >= :t",
                ExpressionAttributeValues={":v": {"S": vin}, ":t": {"N": str(since_ms)}},
            )["Items"]
            colours = [
                i["colour"]["S"] for i in found if i.get("sk", {}).get("S") == "STATE" and "colour" in i
            ]
            if colours:
                return str(colours[0])
            time.sleep(0.3)
        return None

    def break_green_once(self, state: RouterState) -> None:
        self.mark(state)
        if getattr(self, "_broken", False):
            return
        self._broken = True
        name = self.cloud.colour_view("green").functions["VehicleConnectorFunction"].name
        lam = self.cloud.client("lambda")
        env = lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        lam.update_function_configuration(
            FunctionName=name, Environment={"Variables": {**env, "BROKER_URL": BROKEN_BROKER_URL}}
        )
        self.out(
            f"  green at {state.share('green'):g} %: {name} now posts to {BROKEN_BROKER_URL} (a bad release)"
        )

    def check_weights(self, broken: ShiftReport) -> None:
        stage, table = self.router.read().weights(), self.router.read_table()
        self.check(
            "the weights are back where the broken shift began",
            stage == broken.before and table == broken.before,
            f"stage {stage}, table {table}, before {broken.before}",
        )

    def check_commands(
        self, sent: list[SentCommand], promoted_ms: int, back_ms: int
    ) -> dict[str, dict[str, Any]]:
        accepted = [c for c in sent if c.status == 202 and c.event_id]
        others = sorted({c.status for c in sent if c.status != 202})
        self.out(
            f"customers: {len(sent)} commands sent, {len(accepted)} accepted (others: {others or 'none'})"
        )
        finals = self.wait_final([c.event_id for c in accepted])
        lost = [c.event_id for c in accepted if c.event_id not in finals]
        self.check("no command lost", not lost and bool(accepted), f"{len(finals)}/{len(accepted)} final")
        pushed = {colour: self.target(colour).harness for colour in ("blue", "green")}
        wrong = []
        for command in accepted:
            state = finals.get(command.event_id)
            if state is None:
                continue
            where = [c for c, harness in pushed.items() if harness.pushes(command.event_id)]
            if where != [state.get("colour")]:
                wrong.append(f"{command.event_id}: created on {state.get('colour')}, pushed by {where}")
        self.check(
            "each command finished on its colour", not wrong, wrong[0] if wrong else "STATE and push agree"
        )
        live_green = [
            str(finals[c.event_id].get("colour"))
            for c in accepted
            if promoted_ms + 2000 <= c.sent_ms < back_ms and c.event_id in finals
        ]
        self.check(
            "green took every command once promoted",
            bool(live_green) and set(live_green) == {"green"},
            f"{len(live_green)} commands between the promotion and the shift back: {sorted(set(live_green))}",
        )
        by_colour: dict[str, int] = {}
        for state in finals.values():
            colour = str(state.get("colour"))
            by_colour[colour] = by_colour.get(colour, 0) + 1
        self.out(f"customers' commands by colour: {by_colour}")
        return finals

    def wait_final(self, event_ids: list[str], timeout_s: float = 90.0) -> dict[str, dict[str, Any]]:
        """The final STATE of each event that has one within `timeout_s` (all events together)."""
        deadline = time.monotonic() + timeout_s
        finals = {}
        for event_id in event_ids:
            state = self.cloud.events.wait_final(event_id, deadline - time.monotonic())
            if state is not None:
                finals[event_id] = state
        return finals

    def report(
        self, shifts: list[ShiftReport], sent: list[SentCommand], finals: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        customers = []
        for command in sent:
            state = finals.get(command.event_id) or {}
            customers.append(
                {**command.__dict__, "colour": state.get("colour"), "final": state.get("status")}
            )
        return {
            "passed": all(c.passed for c in self.checks),
            "checks": [c.__dict__ for c in self.checks],
            "shifts": [s.as_json() for s in shifts],
            "weightChanges": self.marks,
            "customers": customers,
        }


def run_bluegreen_demo(cloud: LocalCloud, out: Callable[[str], None], report_path: Path) -> bool:
    """The demo against a started LocalCloud (colours blue and green); True when every check passed."""
    report = BlueGreenDemo(cloud, out).run()
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    plot(report, report_path.with_suffix(".png"))
    passed = bool(report["passed"])
    ok = sum(1 for c in report["checks"] if c["passed"])
    out(f"bluegreen demo: {ok}/{len(report['checks'])} checks passed; report: {report_path} (+ .png)")
    return passed
