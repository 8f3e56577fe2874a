"""What the fault tests inject, and what they check after it.

Faults act on the real parts of the running local cloud: SIGKILL or SIGSTOP of the functions'
``bootstrap`` processes, the SQS queues' own attributes (a short visibility timeout, so that a
redelivery comes within the test), the test harness (docs/test-harness.md): a vehicle's behaviour
record in HarnessTable (how the car answers; the broker mock's `error` / `slow` modes for that VIN),
the subscription mock throttled (every call 429) or held (its instances SIGSTOPped), raw reports put
on the incoming queue as the broker would.

The check is always the promise of the design: the command reaches ONE true final state (STATE),
the owner hears of it at least once and every push of the event carries the same notificationId,
and no message is lost (the history holds every status that was decided).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from localcloud import fleet_seed
from localcloud.cloud import LocalCloud
from localcloud.demo import request_service
from simulator.fleet import Vehicle

FINAL_TIMEOUT_S = 90.0


def bench_vehicles(cloud: LocalCloud) -> list[Vehicle]:
    """The generated bench vehicles from the END of the fleet (the e2e and bench runs take the start),
    each handed out once, so no two faults share a vehicle lock."""
    vehicles = [v for v in cloud.fleet.vehicles.values() if v.owner == "bench"]
    return list(reversed(vehicles))


def steady(cloud: LocalCloud, vehicles: list[Vehicle], on: bool = True) -> None:
    """The vehicles answer as the suite's steady car (`on`), or as seeded again."""
    records = {v.vin: ({"vehicle": STEADY} if on else cloud.behaviours[v.vin]) for v in vehicles}
    fleet_seed.seed_behaviours(cloud.client("dynamodb"), cloud.physical("HarnessTable"), records)


# The fault suite's car: it acks at once and is done 1 s later. The broker mock's SQS delays are whole
# seconds: reports due at the same moment reach the pipeline in no certain order, and the faults check
# the complete history (CREATED, PENDING, RUNNING, EXECUTED).
STEADY: dict[str, Any] = {"ack": {"delayMs": 0}, "done": {"delayMs": 1000}}


def behaviour(kind: str, ack_ms: int = 0, done_ms: int = 1000) -> dict[str, Any]:
    """fleet.json's behaviours as behaviour records (simulator/scenarios/fleet-<kind>.yaml), on the
    suite's steady timing; `late` and `out_of_order` with the delays given (whole seconds apart)."""
    timing = {"ack": {"delayMs": ack_ms}, "done": {"delayMs": done_ms}}
    kinds: dict[str, dict[str, Any]] = {
        "immediate": STEADY,
        "late": timing,
        "silent": {"connected": False},
        "reject": {**STEADY, "done": {"delayMs": 1000, "result": "FAILED", "reason": "REJECTED_BY_VEHICLE"}},
        "duplicate": {**STEADY, "repeat": 2},
        "out_of_order": {**timing, "order": "done-first"},  # the done at ack_ms, the ack at done_ms
    }
    return {"vehicle": kinds[kind]}


@contextlib.contextmanager
def behaving(
    cloud: LocalCloud, vehicle: Vehicle, kind: str | dict[str, Any], ack_ms: int = 0, done_ms: int = 0
) -> Iterator[Vehicle]:
    """`vehicle` answers with another behaviour meanwhile (a kind of fleet.json: silent, late,
    duplicate, ..., or a whole behaviour record, e.g. a broker mode), as seeded afterwards."""
    record = behaviour(kind, ack_ms, done_ms) if isinstance(kind, str) else kind
    cloud.mocks.behave(vehicle.vin, record, case_id="faults")
    try:
        yield vehicle
    finally:
        cloud.mocks.behave(vehicle.vin, None)


def broker(mode: str, times: int, slow_ms: int = 0) -> dict[str, Any]:
    """A behaviour record whose broker side misbehaves `times` calls (`error`: 503, `slow`: held
    `slow_ms`, past the connector's 1 s timeout), then accepts; the car answers at once."""
    return {"vehicle": STEADY, "broker": {"mode": mode, "times": times, "slowMs": slow_ms}}


@contextlib.contextmanager
def throttled(cloud: LocalCloud, function: str) -> Iterator[None]:
    """Every invocation of `function` refused (reserved concurrency 0): its Function URL answers 429,
    as a receiver that is down; the limit comes back afterwards."""
    limit = cloud.host.set_concurrency(function, 0)
    try:
        yield
    finally:
        cloud.host.set_concurrency(function, limit)


@contextlib.contextmanager
def held(cloud: LocalCloud, function: str, seconds: float) -> Iterator[None]:
    """`function`'s instances stopped for `seconds` from now (in the background): a call reaching it
    meanwhile is held past its caller's timeout, then answered (as a slow receiver)."""
    cloud.host.warm(function)
    done = threading.Event()

    def hold() -> None:
        with paused(cloud, function):
            done.wait(seconds)

    thread = threading.Thread(target=hold, name=f"held-{function}", daemon=True)
    thread.start()
    time.sleep(0.2)  # stopped before the test goes on
    try:
        yield
    finally:
        thread.join(timeout=seconds + 10)
        done.set()
        thread.join(timeout=10)


def broker_accepted(cloud: LocalCloud, event_id: str) -> int:
    """How many times the broker mock accepted the command (its log: "command accepted" per call
    it handed to the car)."""
    log = cloud.host.log_dir / "BrokerMockFunction.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if "command accepted" in line and event_id in line)


def command(cloud: LocalCloud, vehicle: Vehicle, service: str = "HORN_BLOW") -> str:
    """POST a command as the vehicle's owner; the event id of the 202."""
    result = request_service(cloud, vehicle.owner, vehicle.vin, service)
    assert result.status == 202, (result.status, result.body)
    event_id = result.body["eventId"]
    assert isinstance(event_id, str)
    return event_id


@contextlib.contextmanager
def visibility(cloud: LocalCloud, logical_id: str, seconds: int) -> Iterator[None]:
    """A shorter visibility timeout on one queue for the test (a crashed batch comes back in
    `seconds`, not in the template's 60 s); the template's value comes back afterwards."""
    sqs = cloud.client("sqs")
    url = cloud.physical(logical_id)
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
    # moto reads the queue's visibility timeout when a ReceiveMessage arrives, not when it returns:
    # the pollers' long polls already waiting (1 s) would still hand out the old one
    time.sleep(1.5)
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": before["VisibilityTimeout"]})


class Killer:
    """SIGKILLs instances of one function while they hold an invocation (mid-batch), `limit` times.

    A watcher thread polls the host's instances; the first busy one dies the way a Lambda
    execution environment dies (the process group, no clean-up). The host reports the invocation
    as failed, the SQS event source leaves the whole batch for a redelivery."""

    def __init__(
        self, cloud: LocalCloud, function: str, limit: int = 1, when: Callable[[], bool] | None = None
    ) -> None:
        """`when`: kill only once this holds too (e.g. the claim is written), checked while busy."""
        self.cloud, self.function, self.limit, self.when = cloud, function, limit, when
        self.killed: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"killer-{function}", daemon=True)

    def __enter__(self) -> Killer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.killed) < self.limit:
            for pid, busy in self.cloud.host.processes(self.function):
                if busy and (self.when is None or self.when()):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)
                        self.killed.append(pid)
                    break
            else:
                time.sleep(0.0005)
                continue
            time.sleep(0.05)

    def wait(self, timeout_s: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self.killed) < self.limit and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.killed) >= self.limit


@contextlib.contextmanager
def paused(cloud: LocalCloud, function: str) -> Iterator[list[int]]:
    """SIGSTOP every live instance of a function (and, while paused, keep the host from starting a
    fresh one: the pool may only reuse the stopped ones); SIGCONT afterwards."""
    pids = [pid for pid, _ in cloud.host.processes(function)]
    limit = cloud.host.set_concurrency(function, max(1, len(pids)))
    for pid in pids:
        os.killpg(pid, signal.SIGSTOP)
    try:
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGCONT)
        cloud.host.set_concurrency(function, limit)


def final_state(cloud: LocalCloud, event_id: str, timeout_s: float = FINAL_TIMEOUT_S) -> dict[str, Any]:
    state = cloud.events.wait_final(event_id, timeout_s)
    assert state is not None, (
        f"{event_id}: no final state within {timeout_s} s: {cloud.events.items(event_id)}"
    )
    return state


def pushes(cloud: LocalCloud, event_id: str, timeout_s: float = FINAL_TIMEOUT_S) -> list[dict[str, Any]]:
    """Every push of the event (its body), once at least one came (at-least-once), after a short
    settle: the subscription mock's records (PushesTable)."""
    deadline = time.monotonic() + timeout_s
    while not cloud.mocks.pushes(event_id):
        assert time.monotonic() < deadline, f"{event_id}: the owner never heard of the final state"
        time.sleep(0.1)
    time.sleep(1.0)
    return [p["body"] for p in cloud.mocks.pushes(event_id)]


def history(cloud: LocalCloud, event_id: str, want: list[str], timeout_s: float = FINAL_TIMEOUT_S) -> None:
    """The persisted history (H# items) reaches exactly `want`: nothing lost, nothing extra."""
    deadline = time.monotonic() + timeout_s
    while cloud.events.history(event_id) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cloud.events.history(event_id) == want, (event_id, cloud.events.items(event_id))


def wait_item(
    cloud: LocalCloud, event_id: str, match: Callable[[dict[str, Any]], bool], timeout_s: float = 60.0
) -> dict[str, Any]:
    """The first item of the event that `match`es, waiting for it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [i for i in cloud.events.items(event_id) if match(i)]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"{event_id}: no such item: {cloud.events.items(event_id)}")


def assert_true_end(
    cloud: LocalCloud,
    event_id: str,
    status: str,
    reason: str | None = None,
    statuses: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The promise: one final STATE, pushed at least once, every push with the same notificationId and
    the same result as STATE, and (if given) the complete history. Returns the pushes."""
    state = final_state(cloud, event_id)
    assert (state["status"], state.get("failureReason")) == (status, reason), state
    got = pushes(cloud, event_id)
    assert {p["notificationId"] for p in got} == {event_id}
    assert {(p["result"], p.get("reason")) for p in got} == {(status, reason)}
    if statuses is not None:
        history(cloud, event_id, statuses)
    return got
