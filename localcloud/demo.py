"""The demo scenario, run against a started LocalCloud through its HTTP API.

Expected outcomes (each one checked; `run_demo` returns the list of Outcome):
horn blow EXECUTED, light flash EXECUTED, a second command for a busy vehicle 409 (the first one
then EXECUTED), bad requests 400 (malformed JSON, unknown service type, bad VIN), a car without
connectivity FAILED/TIMEOUT, a theft alarm pushed to the subscriber.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localcloud.timeline import Timeline
from simulator.subscriber import Push

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

VIN_HORN = "WVWZZZ1JZXW000001"  # G2, answers at once
VIN_LIGHT = "WVWZZZ1JZXW000002"  # G1, answers at once
VIN_SILENT = "WVWZZZ1JZXW000003"  # no connectivity
VIN_LATE = "WVWZZZ1JZXW000004"  # answers late (busy for a while)
VIN_THEFT = "WVWZZZ1JZXW000009"


@dataclass
class Outcome:
    """One expected outcome and whether it happened."""

    name: str
    ok: bool
    detail: str


@dataclass
class HttpResult:
    status: int
    body: Any
    elapsed_ms: float


def call_api(
    api_url: str, method: str, path: str, token: str | None, body: bytes | None = None, timeout: float = 30.0
) -> HttpResult:
    """One request to the local API (JSON answer parsed when possible)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    req = urllib.request.Request(api_url + path, data=body, method=method, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = int(exc.code), exc.read()
    elapsed = (time.perf_counter() - t0) * 1000
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return HttpResult(status, parsed, elapsed)


def request_service(
    cloud: LocalCloud, user: str, vin: str, service: str, parameters: dict[str, Any] | None = None
) -> HttpResult:
    """POST /v1/vehicles/{vin}/services/{service} as `user`."""
    body = json.dumps({"parameters": parameters or {}}).encode()
    return call_api(cloud.api_url, "POST", f"/v1/vehicles/{vin}/services/{service}", cloud.token(user), body)


def is_push_for(event_id: str) -> Callable[[Push], bool]:
    return lambda p: isinstance(p.body, dict) and p.body.get("notificationId") == event_id


def run_demo(
    cloud: LocalCloud, out: Callable[[str], None] = print, final_timeout_s: float = 60.0
) -> list[Outcome]:
    """Run every step of the demo; print the live timeline and the outcomes."""
    outcomes: list[Outcome] = []
    tl = Timeline(cloud, out=out).start()
    finals: list[tuple[str, str, str, str | None]] = []  # (name, eventId, expected status, expected reason)

    def expect_accept(name: str, res: HttpResult, label: str, status: str, reason: str | None = None) -> None:
        eid = res.body.get("eventId") if isinstance(res.body, dict) else None
        if res.status == 202 and eid:
            tl.track(str(eid), label)
            finals.append((name, str(eid), status, reason))
            out(f"  POST {label:<30} -> 202 {eid} ({res.elapsed_ms:.0f} ms)")
        else:
            outcomes.append(Outcome(name, False, f"expected 202, got {res.status} {res.body}"))
            out(f"  POST {label:<30} -> {res.status} {res.body}  (expected 202)")

    def expect_refusal(name: str, res: HttpResult, label: str, code: int) -> None:
        msg = res.body.get("message") if isinstance(res.body, dict) else res.body
        ok = res.status == code and bool(msg)
        outcomes.append(Outcome(name, ok, f"{res.status} {json.dumps(res.body)}"))
        out(
            f"  POST {label:<30} -> {res.status} {msg}"
            + ("" if ok else f"  (expected {code} with a message)")
        )

    try:
        out("demo: horn blow and light flash (vehicles answer at once)")
        expect_accept(
            "horn blow EXECUTED",
            request_service(cloud, "alice", VIN_HORN, "HORN_BLOW"),
            f"HORN_BLOW {VIN_HORN}",
            "EXECUTED",
        )
        expect_accept(
            "light flash EXECUTED",
            request_service(cloud, "alice", VIN_LIGHT, "LIGHT_FLASH"),
            f"LIGHT_FLASH {VIN_LIGHT}",
            "EXECUTED",
        )

        out("demo: a second command while the vehicle is busy")
        expect_accept(
            "busy vehicle: first command EXECUTED",
            request_service(cloud, "alice", VIN_LATE, "DOOR_LOCK"),
            f"DOOR_LOCK {VIN_LATE}",
            "EXECUTED",
        )
        expect_refusal(
            "busy vehicle: second command 409",
            request_service(cloud, "alice", VIN_LATE, "HORN_BLOW"),
            f"HORN_BLOW {VIN_LATE}",
            409,
        )

        out("demo: bad requests")
        bad = call_api(
            cloud.api_url,
            "POST",
            f"/v1/vehicles/{VIN_HORN}/services/HORN_BLOW",
            cloud.token("alice"),
            b'{"parameters": ',
        )
        expect_refusal("malformed JSON 400", bad, "malformed JSON", 400)
        expect_refusal(
            "unknown service type 400",
            request_service(cloud, "alice", VIN_HORN, "TELEPORT"),
            "TELEPORT (unknown service)",
            400,
        )
        expect_refusal(
            "bad VIN 400",
            request_service(cloud, "alice", "NOT-A-VIN", "HORN_BLOW"),
            "HORN_BLOW NOT-A-VIN",
            400,
        )

        out("demo: a car without connectivity (times out)")
        expect_accept(
            "silent car FAILED/TIMEOUT",
            request_service(cloud, "alice", VIN_SILENT, "HORN_BLOW"),
            f"HORN_BLOW {VIN_SILENT}",
            "FAILED",
            "TIMEOUT",
        )

        out("demo: a theft alarm raised by a vehicle")
        since = len(cloud.subscriber.pushes)
        cloud.simulator.raise_event(VIN_THEFT, "THEFT_ALARM")

        deadline = time.monotonic() + final_timeout_s
        for name, eid, want, reason in finals:
            st = cloud.wait_final(eid, timeout=max(0.1, deadline - time.monotonic()))
            got = (st or {}).get("status")
            got_reason = (st or {}).get("failureReason")
            ok = got == want and (reason is None or got_reason == reason)
            push = cloud.subscriber.wait_for(
                is_push_for(eid),
                timeout=max(0.1, min(10.0, deadline - time.monotonic())),
            )
            ok = ok and push is not None
            outcomes.append(
                Outcome(
                    name,
                    ok,
                    f"status {got}{'/' + str(got_reason) if got_reason else ''}, "
                    f"push {'received' if push else 'MISSING'}",
                )
            )
        theft = cloud.subscriber.wait_for(
            lambda p: (
                p.body.get("service") == "THEFT_ALARM"
                and p.body.get("vin") == VIN_THEFT
                and cloud.subscriber.pushes.index(p) >= since
            ),
            timeout=max(0.1, deadline - time.monotonic()),
        )
        if theft is not None:
            tl.track(str(theft.body.get("notificationId")), f"THEFT_ALARM {VIN_THEFT}")
        outcomes.append(
            Outcome(
                "theft alarm pushed",
                theft is not None,
                json.dumps(theft.body) if theft else "no push within the timeout",
            )
        )
        time.sleep(1.5)  # late (stale) reports still show up in the timeline
    finally:
        tl.stop()
    out("")
    out("timeline (offsets from first sight at the API):")
    for line in tl.summary_lines():
        out(line)
    out("")
    out("expected outcomes:")
    for o in outcomes:
        out(f"  [{'ok' if o.ok else 'FAILED'}] {o.name}: {o.detail}")
    return outcomes
