"""The sample events of the test harness's functions (docs/test-harness.md): the broker mock's and the
subscription mock's Function URL requests, the relay's delayed messages. Written by make_events.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.functional.handlers.aws_events import (
    ACCOUNT,
    REGION,
    T0,
    VIN_G1,
    VIN_G2,
    eid,
    envelope,
    sqs_record,
    url_event,
)


def harness_events(write: Callable[[str, str, Any], None]) -> None:
    """The test harness's functions (docs/test-harness.md): the two Function URL mocks and the relay."""
    from remote_services.vehicles import encode_command

    g2 = envelope(70, "HORN_BLOW", "PENDING", dt=70)
    g1 = envelope(71, "LIGHT_FLASH", "PENDING", VIN_G1, "G1", dt=70)
    for name, env in (("publish-g2-horn-blow", g2), ("publish-g1-light-flash", g1)):
        topic, payload = encode_command(env)  # type: ignore[arg-type]
        write(
            "broker_mock",
            name,
            url_event(
                "POST", "/publish", {"topic": topic, "payload": payload, "correlationId": env["traceId"]}
            ),
        )
    write(
        "broker_mock",
        "raise-theft-alarm",
        url_event(
            "POST",
            "/raise",
            {"vin": VIN_G2, "generation": "G2", "serviceType": "THEFT_ALARM", "count": 2, "everyMs": 1000},
        ),
    )
    write(
        "broker_mock",
        "publish-undecodable",
        url_event("POST", "/publish", {"topic": "vehicles/x", "payload": "?"}),
    )
    write("broker_mock", "invalid-body-not-json", url_event("POST", "/publish", "{not json"))
    write("broker_mock", "invalid-missing-payload", url_event("POST", "/publish", {"topic": "t"}))
    write("broker_mock", "invalid-unknown-route", url_event("POST", "/other", {}))
    push = {
        "notificationId": eid(72),
        "vin": VIN_G2,
        "service": "HORN_BLOW",
        "result": "EXECUTED",
        "source": "APP",
        "firstSeenMs": T0,
        "pushedMs": T0 + 900,
    }
    write("subscription_mock", "push-executed", url_event("POST", "/push", push))
    write("subscription_mock", "get-pushes", url_event("GET", "/pushes", query=f"notificationId={eid(72)}"))
    write("subscription_mock", "get-stats", url_event("GET", "/stats", query=f"sinceMs={T0 - 1000}"))
    write(
        "subscription_mock",
        "invalid-push-without-first-seen",
        url_event("POST", "/push", {"notificationId": eid(73)}),
    )
    write("subscription_mock", "invalid-pushes-without-id", url_event("GET", "/pushes"))
    q = "HarnessDelayQueue"
    inner = json.dumps(
        {
            "topic": f"vehicles/{VIN_G2}/v2/remote-services/status",
            "payload": "x",
            "receivedMs": T0 + 1_000_000,
        },
        separators=(",", ":"),
    )
    incoming_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/rs-dev-blue-incoming"
    due_soon = json.dumps({"dueMs": T0 + 1_000_000, "queueUrl": incoming_url, "body": inner})
    due_later = json.dumps({"dueMs": T0 + 5_000_000, "queueUrl": incoming_url, "body": inner})
    write(
        "harness_relay",
        "delayed-messages",
        {"Records": [sqs_record(q, due_soon, f"{q}/soon"), sqs_record(q, due_later, f"{q}/later")]},
    )
    write(
        "harness_relay",
        "invalid-not-a-delayed-message",
        {"Records": [sqs_record(q, json.dumps({"dueMs": "soon"}), f"{q}/bad")]},
    )
