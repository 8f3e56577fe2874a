"""One case against a target: give the vehicle its behaviour, send the command through the API, follow
it to its final status, read the pushes, and compare everything with the case's expectations."""

from __future__ import annotations

import itertools
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from remote_services.status import FailureReason
from simulator.runner.targets import push_body
from simulator.runner.vehicles import NoVehicle, Vehicle, VehiclePool

if TYPE_CHECKING:
    from simulator.runner.targets import Target
    from simulator.scenario import Case

FINAL = ("EXECUTED", "FAILED")
# How long after the final status the push may take to arrive: one redelivery of the distributor's
# record (a push that failed is retried after the queue's 60 s visibility timeout, with equal jitter:
# 30-60 s; docs/architecture.md "The push is at least once"). A push later than that is missing.
PUSH_GRACE_S = 65.0
HISTORY_SETTLE_S = 5.0  # how long GET's history may take to show a report the persister writes late
PUSH_SETTLE_S = 1.0  # how long the runner listens for a repeated (or unexpected) push
POLL_S = 0.25  # how often the runner looks for a command's push
GET_EVERY_S = 5.0  # a GET of its status at least this often (a final status that is never pushed)


@dataclass
class CaseResult:
    """What happened to one case, and why it failed (empty `reasons`: it passed)."""

    case_id: str
    file: str
    vin: str = ""
    event_id: str = ""
    http_status: int = 0
    final_status: str | None = None
    failure_reason: str | None = None
    history: list[str] = field(default_factory=list)
    pushes: int = 0  # notifications: the distinct notificationIds pushed (what the subscriber keeps)
    deliveries: int = 0  # every POST the subscription mock stored (a repeat has the same notificationId)
    end_to_end_ms: float | None = None  # API accepted -> final status seen (client side, polled)
    push_latency_ms: float | None = None  # first seen at the API -> pushed (the subscription mock's record)
    duration_s: float = 0.0
    reasons: list[str] = field(default_factory=list)
    in_flight: bool = False  # a command of this case had not ended when the case did
    @property
    def passed(self) -> bool:
        return not self.reasons

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def http_json(method: str, url: str, token: str, body: Any = None, headers: dict[str, str] | None = None,
              timeout_s: float = 30.0) -> tuple[int, Any]:
    """One API call; the answer's JSON (or text). A 429 (the stage's throttle) is retried with backoff
    for up to `timeout_s`, as a well-behaved client does: a throttled request was not processed."""
    data = None if body is None else json.dumps(body).encode()
    deadline = time.monotonic() + timeout_s
    for attempt in itertools.count():
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": token, "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                status, raw = int(response.status), response.read()
        except urllib.error.HTTPError as exc:
            status, raw = int(exc.code), exc.read()
        pause = min(2.0, 0.1 * 2**attempt) * (0.5 + random.random() / 2)
        if status != 429 or time.monotonic() + pause > deadline:
            break
        time.sleep(pause)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def run_case(target: Target, case: Case, pool: VehiclePool) -> CaseResult:
    """Run one case to its end; never raises for what the pipeline did (that is a failed case)."""
    started = time.monotonic()
    result = CaseResult(case.id, case.file)
    capability = _capability_needed(case)
    try:
        vehicle = pool.take(case.generation, capability, case.vin_pattern)
    except NoVehicle as exc:
        result.reasons.append(f"no vehicle: {exc}")
        return result
    before: dict[str, Any] | None = None
    recorded = False
    try:
        result.vin = vehicle.vin
        before, recorded = target.harness.record(vehicle.vin), True
        target.harness.set_behaviour(vehicle.vin, case.id, case.behaviour)
        if case.expect.http_status == 0:
            _run_vehicle_events(target, case, vehicle, result)
        else:
            _run_command(target, case, vehicle, result)
    except Exception as exc:  # the target itself failed: the case cannot pass
        result.reasons.append(f"{type(exc).__name__}: {exc}")
    finally:
        try:  # the vehicle answers as before the case (its standing behaviour, or the default)
            if recorded:
                target.harness.restore(vehicle.vin, before)
        except Exception as exc:
            result.reasons.append(f"restoring the behaviour: {type(exc).__name__}: {exc}")
        if result.in_flight:
            pool.retire(vehicle)
        else:
            pool.give_back(vehicle)
        result.duration_s = round(time.monotonic() - started, 3)
    return result


def _capability_needed(case: Case) -> str | None:
    """What the vehicle must be able to do: the command's service type when it must be accepted; the
    first command's for a 409 case; nothing for a refusal or a vehicle-initiated event."""
    if case.busy_with:
        return case.busy_with
    return case.service_type if case.expect.http_status == 202 else None


def _run_command(target: Target, case: Case, vehicle: Vehicle, result: CaseResult) -> None:
    token = target.tokens(vehicle.owner)
    caller_token = token if case.caller == "owner" else target.tokens(_stranger(target, vehicle))
    headers = {target.colour_header: case.colour} if case.colour and target.colour_header else {}
    base = f"{target.api_url}/v1/vehicles/{vehicle.vin}/services"
    busy_id = ""
    if case.busy_with:  # a first command keeps the vehicle busy: the case's command must be refused
        status, body = http_json("POST", f"{base}/{case.busy_with}", token, {"parameters": {}}, headers)
        busy_id = str(body.get("eventId", "")) if status == 202 and isinstance(body, dict) else ""
        if not busy_id:
            result.reasons.append(f"the first command ({case.busy_with}) was not accepted: HTTP {status}")
            return
    try:
        _command(target, case, vehicle, result, caller_token, token, headers)
    finally:
        if busy_id and _follow(target, token, vehicle.vin, busy_id, case.timeout_s) is None:
            result.in_flight = True  # the vehicle is free again only once the first command has ended


def _command(target: Target, case: Case, vehicle: Vehicle, result: CaseResult, caller_token: str,
             owner_token: str, headers: dict[str, str]) -> None:
    expect = case.expect
    path = f"{target.api_url}/v1/vehicles/{vehicle.vin}/services/{case.service_type}"
    status, body = http_json("POST", path, caller_token, {"parameters": case.parameters}, headers)
    accepted_at = time.monotonic()
    result.http_status = status
    if status != expect.http_status:
        result.reasons.append(f"HTTP {status} (expected {expect.http_status}): {str(body)[:160]}")
        return
    if status != 202:  # refused at the API: the answer's error code is the reason
        error = body.get("error") if isinstance(body, dict) else None
        result.failure_reason = str(error) if error else None
        if expect.reason is not None and error != expect.reason:
            result.reasons.append(f"error {error} (expected {expect.reason}): {str(body)[:160]}")
        return
    result.event_id = str(body.get("eventId", "")) if isinstance(body, dict) else ""
    if not result.event_id:
        result.reasons.append(f"202 without an eventId: {str(body)[:160]}")
        return
    final = _follow(target, owner_token, vehicle.vin, result.event_id, case.timeout_s)
    if final is None:
        result.reasons.append(f"no final status within {case.timeout_s:.0f} s")
        result.in_flight = True
        return
    result.end_to_end_ms = round((time.monotonic() - accepted_at) * 1000, 1)
    final = _settled(_event_url(target, vehicle.vin, result.event_id), owner_token, final, expect.history)
    result.final_status = final.get("status")
    result.failure_reason = final.get("failureReason")
    result.history = [h.get("status", "") for h in final.get("history", [])]
    _check_final(case, result)
    _check_pushes(target, case, result, [result.event_id])


def _stranger(target: Target, vehicle: Vehicle) -> str:
    """A user of the fleet who does not own `vehicle`."""
    others = sorted({v.owner for v in target.fleet} - {vehicle.owner})
    if not others:
        raise RuntimeError("the fleet has a single owner: no stranger to send the command")
    return others[0]


def _follow(target: Target, token: str, vin: str, event_id: str, timeout_s: float) -> dict[str, Any] | None:
    """The event once its status is final, through the API's GET; None at the timeout.

    A final status is pushed (STATE is written before the push is published), so the runner waits on
    the subscription mock's records (DynamoDB, not the API's throttle) and then asks the API, where a
    GET every `POLL_S` per case would spend the stage's request budget on polling."""
    deadline = time.monotonic() + timeout_s
    url = _event_url(target, vin, event_id)
    next_get = time.monotonic() + GET_EVERY_S
    while True:
        pushed = bool(target.harness.pushes(event_id))
        now = time.monotonic()
        if pushed or now >= next_get or now >= deadline:
            status, body = http_json("GET", url, token)
            if status == 200 and isinstance(body, dict) and body.get("status") in FINAL:
                return body
            next_get = now + GET_EVERY_S
        if now >= deadline:
            return None
        time.sleep(POLL_S)


def _history(body: dict[str, Any]) -> tuple[str, ...]:
    return tuple(h.get("status", "") for h in body.get("history", []))


def _event_url(target: Target, vin: str, event_id: str) -> str:
    return f"{target.api_url}/v1/vehicles/{vin}/services/{event_id}"


def _settled(url: str, token: str, final: dict[str, Any], expected: tuple[str, ...] | None) -> dict[str, Any]:
    """The final event once its history shows what is expected, or as it is after HISTORY_SETTLE_S.

    The history is written by the persister from the topic, apart from STATE and the push: a progress
    report that a concurrent pipe batch delivered after the final status (the car sent it earlier)
    joins the history once, a moment after the push (docs/architecture.md, rule 3). The expectation
    stays exact: only the time it may take to show is given."""
    if expected is None or _history(final) == tuple(expected):
        return final
    deadline = time.monotonic() + HISTORY_SETTLE_S
    while time.monotonic() < deadline:
        time.sleep(POLL_S * 2)
        status, body = http_json("GET", url, token)
        if status == 200 and isinstance(body, dict) and body.get("status") in FINAL:
            final = body
            if _history(final) == tuple(expected):
                break
    return final


def _check_final(case: Case, result: CaseResult) -> None:
    expect = case.expect
    if expect.final_status is not None and result.final_status != expect.final_status:
        result.reasons.append(f"final status {result.final_status} (expected {expect.final_status})")
    timed_out_instead = expect.or_timeout and result.failure_reason == FailureReason.TIMEOUT
    if expect.reason is not None and result.failure_reason != expect.reason and not timed_out_instead:
        result.reasons.append(f"reason {result.failure_reason} (expected {expect.reason})")
    if expect.history is not None and tuple(result.history) != tuple(expect.history):
        result.reasons.append(f"history {result.history} (expected {list(expect.history)})")


def _notifications(pushes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The pushes by notificationId (at least once: a push whose answer the distributor did not get
    in time is POSTed again, and the subscriber keeps one per notificationId)."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for push in pushes:
        body = push_body(push)
        by_id.setdefault(str(body.get("notificationId", "")), []).append(body)
    return by_id


def _repeats_differ(by_id: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Notifications whose deliveries do not say the same thing (a repeat may differ only in pushedMs)."""
    def said(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "pushedMs"}

    return [n for n, bodies in by_id.items() if any(said(b) != said(bodies[0]) for b in bodies)]


def _check_pushes(target: Target, case: Case, result: CaseResult, event_ids: list[str]) -> None:
    expect = case.expect
    wanted = expect.pushes if expect.pushes is not None else (1 if expect.push_result else 0)

    def read() -> list[dict[str, Any]]:
        return [p for event_id in event_ids for p in target.harness.pushes(event_id)]

    started = time.monotonic()
    while True:
        pushes = read()
        waited = time.monotonic() - started
        if wanted and len(_notifications(pushes)) >= wanted:
            time.sleep(PUSH_SETTLE_S)  # a repeat push would arrive now
            pushes = read()
            break
        if (not wanted and waited >= PUSH_SETTLE_S) or waited >= PUSH_GRACE_S:
            break
        time.sleep(0.2)
    by_id = _notifications(pushes)
    result.pushes, result.deliveries = len(by_id), len(pushes)
    latencies = [float(p["latencyMs"]) for p in pushes if "latencyMs" in p]
    result.push_latency_ms = min(latencies) if latencies else None
    if expect.pushes is not None and len(by_id) != expect.pushes:
        result.reasons.append(f"{len(by_id)} push(es) (expected {expect.pushes})")
    differ = _repeats_differ(by_id)
    if differ:
        result.reasons.append(f"repeated pushes of {differ} do not say the same")
    if expect.push_result is not None:
        results = {push_body(p).get("result") for p in pushes}
        if results != {expect.push_result}:
            result.reasons.append(f"push result {sorted(map(str, results))} (expected {expect.push_result})")


def _run_vehicle_events(target: Target, case: Case, vehicle: Vehicle, result: CaseResult) -> None:
    """A vehicle-initiated case: the vehicle raises its events; each must be pushed once."""
    since_ms = int(time.time() * 1000)
    expected = 0
    for event in case.raise_events:
        count = int(event.get("count", 1))
        expected += count
        every_ms = int(event.get("everyMs", 0))
        target.harness.raise_event(vehicle.vin, str(event["serviceType"]), count, every_ms)
    deadline = time.monotonic() + case.timeout_s
    ids: list[str] = []
    while time.monotonic() < deadline:
        ids = target.harness.notifications_of(vehicle.vin, since_ms)
        if len(ids) >= expected:
            break
        time.sleep(0.2)
    result.event_id = ",".join(ids)
    if len(ids) != expected:
        result.reasons.append(f"{len(ids)} vehicle event(s) pushed (expected {expected})")
        return
    _check_pushes(target, case, result, ids)
