"""Regenerate the sample events in events/<function>/ (deterministic: same output every run).

    PYTHONPATH=src .venv/bin/python tests/functional/handlers/make_events.py

The files are what AWS sends: SQS event records (raw SNS delivery, so SNS message attributes arrive as
SQS message attributes), the Pipes enrichment batch (a list of SQS records), and the Step Functions
task inputs of validate/enrich. Names with "invalid" are expected to fail cleanly.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.functional.handlers.aws_events import (
    ACCOUNT,
    NS,
    REGION,
    T0,
    VIN_FR,
    VIN_G1,
    VIN_G2,
    eid,
    envelope,
    incoming,
    sns_records,
    sqs_record,
    vehicle_msg,
)

ROOT = Path(__file__).resolve().parents[3] / "events"
OUT = [ROOT]


def write(folder: str, name: str, data: Any) -> None:
    path = OUT[0] / folder / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def main(root: Path = ROOT) -> None:
    """Write every sample event under `root` (default: the repository's events/)."""
    OUT[0] = root
    for old in root.glob("*/*.json"):
        old.unlink()
    climate = {"targetTemperatureC": 21.5, "durationMin": 10}

    # ---- validate (task input from the event-creation workflow)
    write("validate", "horn-blow", {"vin": VIN_G2, "serviceType": "HORN_BLOW", "parameters": {}})
    write(
        "validate",
        "climate-start",
        {"vin": VIN_G1, "serviceType": "CLIMATE_START", "parameters": {"targetTemperatureC": 21.5}},
    )
    write("validate", "door-lock-lowercase-vin", {"vin": " wvwzzz1jzxw000001", "serviceType": "DOOR_LOCK"})
    write(
        "validate", "invalid-vin", {"vin": "WVWZZZ1JZXW00000O", "serviceType": "HORN_BLOW", "parameters": {}}
    )
    write(
        "validate",
        "invalid-climate-temperature",
        {"vin": VIN_G1, "serviceType": "CLIMATE_START", "parameters": {"targetTemperatureC": 35}},
    )
    write(
        "validate",
        "invalid-unknown-parameter",
        {"vin": VIN_G1, "serviceType": "DOOR_UNLOCK", "parameters": {"force": True}},
    )
    write(
        "validate",
        "invalid-unknown-service",
        {"vin": VIN_G1, "serviceType": "SUNROOF_OPEN", "parameters": {}},
    )
    write("validate", "invalid-theft-alarm-requested", {"vin": VIN_G1, "serviceType": "THEFT_ALARM"})

    # ---- enrich (task input: registry item as DynamoDB GetItem returns it)
    owner = "3f1c8a52-7d2b-4c1e-9f00-0a1b2c3d4e5f"

    def registry(
        vin: str, generation: str, country: str, caps: list[str], who: str = owner
    ) -> dict[str, Any]:
        return {
            "vin": {"S": vin},
            "owner": {"S": who},
            "generation": {"S": generation},
            "country": {"S": country},
            "capabilities": {"SS": caps},
        }

    all_caps = [
        "CLIMATE_START",
        "CLIMATE_STOP",
        "DOOR_LOCK",
        "DOOR_UNLOCK",
        "HORN_BLOW",
        "LIGHT_FLASH",
        "VEHICLE_FINDER",
        "WINDOW_CLOSE",
    ]
    write(
        "enrich",
        "g1-horn-blow",
        {
            "vin": VIN_G1,
            "serviceType": "HORN_BLOW",
            "owner": owner,
            "registryItem": registry(VIN_G1, "G1", "DE", ["HORN_BLOW", "LIGHT_FLASH"]),
        },
    )
    write(
        "enrich",
        "g2-climate-start",
        {
            "vin": VIN_G2,
            "serviceType": "CLIMATE_START",
            "owner": owner,
            "registryItem": registry(VIN_G2, "G2", "DE", all_caps),
        },
    )
    write(
        "enrich",
        "invalid-not-owner",
        {
            "vin": VIN_G2,
            "serviceType": "DOOR_UNLOCK",
            "owner": owner,
            "registryItem": registry(VIN_G2, "G2", "DE", all_caps, "someone-else"),
        },
    )
    write(
        "enrich",
        "invalid-unknown-vin",
        {"vin": VIN_FR, "serviceType": "HORN_BLOW", "owner": owner, "registryItem": None},
    )
    write(
        "enrich",
        "invalid-unsupported-service",
        {
            "vin": VIN_G1,
            "serviceType": "CLIMATE_START",
            "owner": owner,
            "registryItem": registry(VIN_G1, "G1", "DE", ["HORN_BLOW"]),
        },
    )

    # ---- vehicle_decoder (Pipes enrichment input)
    def up(
        generation: str,
        vin: str,
        service: str,
        status: str,
        n: int | None,
        ts: int,
        reason: str | None = None,
    ) -> tuple[str, str]:
        update: dict[str, Any] = {
            "generation": generation,
            "vin": vin,
            "serviceType": service,
            "status": status,
            "vehicleTs": ts,
        }
        if n is not None:
            update["eventId"] = eid(n)
        if reason:
            update["failureReason"] = reason
        return vehicle_msg(update)  # type: ignore[arg-type]

    t, p = up("G1", VIN_G1, "HORN_BLOW", "RUNNING", 1, T0 + 1800)
    write("vehicle_decoder", "g1-ack", incoming("g1-ack", [(t, p, T0 + 1900)]))
    t, p = up("G2", VIN_G2, "CLIMATE_START", "EXECUTED", 2, T0 + 9000)
    t2, p2 = up("G2", VIN_G2, "CLIMATE_START", "RUNNING", 2, T0 + 4000)
    write("vehicle_decoder", "g2-done-and-late-ack", incoming("g2", [(t, p, T0 + 9100), (t2, p2, T0 + 9150)]))
    t, p = up("G1", VIN_G1, "DOOR_LOCK", "FAILED", 3, T0 + 2500, "REJECTED_BY_VEHICLE")
    write("vehicle_decoder", "g1-rejected", incoming("g1-rejected", [(t, p, T0 + 2600)]))
    t, p = up("G2", VIN_G2, "THEFT_ALARM", "EXECUTED", None, T0 + 60000)
    t2, p2 = up("G1", VIN_G1, "THEFT_ALARM", "EXECUTED", None, T0 + 61000)
    write("vehicle_decoder", "theft-alarms", incoming("theft", [(t, p, T0 + 60050), (t2, p2, T0 + 61050)]))
    t, p = up("G1", VIN_G1, "LIGHT_FLASH", "EXECUTED", 4, T0 + 3000)
    write(
        "vehicle_decoder",
        "batch-with-undecodable",
        incoming(
            "mixed",
            [
                (t, p, T0 + 3100),
                ("vehicles/" + VIN_G2 + "/v2/remote-services/status", "bm90IGEgZnJhbWU=", T0 + 3200),
            ],
        ),
    )
    write(
        "vehicle_decoder",
        "invalid-g2-garbage",
        incoming(
            "garbage",
            [("vehicles/" + VIN_G2 + "/v2/remote-services/status", "%%% not base64 %%%", T0 + 3300)],
        ),
    )
    write("vehicle_decoder", "invalid-unknown-topic", incoming("topic", [("cars/x/y", "{}", T0 + 3400)]))
    write("vehicle_decoder", "invalid-body-not-json", incoming("notjson", ["<xml>nope</xml>"]))

    # ---- persister (all events)
    p = "PersisterQueue"
    write("persister", "created", sns_records(p, "created", [envelope(10, "HORN_BLOW", "CREATED")]))
    write(
        "persister",
        "lifecycle-with-late-running",
        sns_records(
            p,
            "lifecycle",
            [
                envelope(11, "CLIMATE_START", "CREATED", params=climate),
                envelope(11, "CLIMATE_START", "PENDING", dt=80, params=climate),
                envelope(11, "CLIMATE_START", "EXECUTED", dt=9000, params=climate),
                envelope(11, "CLIMATE_START", "RUNNING", dt=4000, params=climate),  # late: history only
            ],
        ),
    )
    write(
        "persister",
        "failed-timeout",
        sns_records(
            p, "timeout", [envelope(12, "DOOR_LOCK", "FAILED", VIN_G1, "G1", dt=22000, reason="TIMEOUT")]
        ),
    )
    write(
        "persister",
        "theft-alarm",
        sns_records(
            p,
            "theft",
            [envelope(13, "THEFT_ALARM", "EXECUTED", VIN_FR, "G1", "FR", source="VEHICLE", colour="green")],
        ),
    )
    dup = envelope(14, "LIGHT_FLASH", "EXECUTED", dt=2500)
    write("persister", "duplicate-delivery", sns_records(p, "dup", [dup, dup]))
    write(
        "persister",
        "two-finals-first-wins",
        sns_records(
            p,
            "finals",
            [
                envelope(19, "DOOR_UNLOCK", "EXECUTED", dt=1500),
                envelope(19, "DOOR_UNLOCK", "FAILED", dt=20000, reason="TIMEOUT"),
            ],
        ),
    )
    write("persister", "invalid-body-not-json", sns_records(p, "notjson", ['{"eventId": ']))
    bad_service = envelope(16, "HORN_BLOW", "CREATED")
    bad_service["serviceType"] = "SUNROOF_OPEN"
    no_vin = envelope(17, "HORN_BLOW", "CREATED")
    del no_vin["vin"]
    write(
        "persister",
        "invalid-batch-mixed",
        sns_records(p, "mixed", [envelope(15, "HORN_BLOW", "CREATED"), bad_service, no_vin]),
    )
    no_reason = envelope(18, "HORN_BLOW", "FAILED", dt=10)
    write("persister", "invalid-failed-without-reason", sns_records(p, "noreason", [no_reason]))

    # ---- distributor (final events)
    d = "DistributorQueue"
    write(
        "distributor", "executed", sns_records(d, "executed", [envelope(20, "HORN_BLOW", "EXECUTED", dt=310)])
    )
    write(
        "distributor",
        "failed-broker-unavailable",
        sns_records(
            d,
            "broker",
            [envelope(21, "WINDOW_CLOSE", "FAILED", VIN_G1, "G1", dt=3100, reason="BROKER_UNAVAILABLE")],
        ),
    )
    write(
        "distributor",
        "theft-alarm",
        sns_records(
            d,
            "theft",
            [envelope(22, "THEFT_ALARM", "EXECUTED", VIN_FR, "G1", "FR", source="VEHICLE", colour="green")],
        ),
    )
    final = envelope(23, "DOOR_UNLOCK", "EXECUTED", dt=900)
    late = envelope(23, "DOOR_UNLOCK", "FAILED", dt=20000, reason="TIMEOUT")
    write("distributor", "duplicate-finals", sns_records(d, "dupfinal", [final, final, late]))
    write("distributor", "invalid-not-an-envelope", sns_records(d, "notenv", ['{"hello":"world"}']))
    write(
        "distributor",
        "invalid-unknown-status",
        sns_records(d, "badstatus", [{**envelope(24, "HORN_BLOW", "EXECUTED"), "status": "DONE"}]),
    )

    # ---- lifecycle_scheduler (non-final events)
    s = "LifecycleQueue"
    write("lifecycle_scheduler", "created", sns_records(s, "created", [envelope(30, "HORN_BLOW", "CREATED")]))
    write(
        "lifecycle_scheduler",
        "pending-and-running",
        sns_records(
            s,
            "pr",
            [
                envelope(31, "CLIMATE_START", "PENDING", dt=90, params=climate),
                envelope(31, "CLIMATE_START", "RUNNING", dt=3000, params=climate),
            ],
        ),
    )
    write(
        "lifecycle_scheduler",
        "final-is-ignored",
        sns_records(s, "final", [envelope(32, "HORN_BLOW", "EXECUTED", dt=500)]),
    )
    write(
        "lifecycle_scheduler",
        "invalid-vehicle-initiated-running",
        sns_records(
            s, "theft", [envelope(33, "THEFT_ALARM", "RUNNING", VIN_FR, "G1", "FR", source="VEHICLE")]
        ),
    )
    write("lifecycle_scheduler", "invalid-body-not-json", sns_records(s, "notjson", ["not json"]))

    # ---- lifecycle_checker (delay queue)
    c = "LifecycleDelayQueue"

    def check(n: int, event: dict[str, Any], expect: str, due: int) -> dict[str, Any]:
        body = json.dumps({"event": event, "expectStatus": expect, "dueMs": due}, separators=(",", ":"))
        return sqs_record(c, body, f"{c}/{n}", sent_ms=event["updatedMs"] + 50)

    e40 = envelope(40, "HORN_BLOW", "PENDING", dt=80)
    write(
        "lifecycle_checker", "due-no-progress-times-out", {"Records": [check(40, e40, "PENDING", T0 + 60000)]}
    )
    e41 = envelope(41, "DOOR_LOCK", "PENDING", VIN_G1, "G1", dt=80)
    write("lifecycle_checker", "due-moved-on-dropped", {"Records": [check(41, e41, "PENDING", T0 + 61000)]})
    e42 = envelope(42, "CLIMATE_START", "RUNNING", dt=4000, params=climate)
    write(
        "lifecycle_checker", "not-yet-due-redelayed", {"Records": [check(42, e42, "RUNNING", 4102444800000)]}
    )
    e43 = envelope(43, "LIGHT_FLASH", "RUNNING", dt=1500)
    write(
        "lifecycle_checker", "due-already-final-dropped", {"Records": [check(43, e43, "RUNNING", T0 + 63000)]}
    )
    write(
        "lifecycle_checker",
        "invalid-missing-due",
        {"Records": [sqs_record(c, json.dumps({"event": e40, "expectStatus": "PENDING"}), f"{c}/bad1")]},
    )
    write(
        "lifecycle_checker",
        "invalid-event-not-an-envelope",
        {
            "Records": [
                sqs_record(
                    c,
                    json.dumps({"event": {"eventId": "x"}, "expectStatus": "PENDING", "dueMs": T0}),
                    f"{c}/bad2",
                )
            ]
        },
    )

    # ---- vehicle_connector (OutgoingQueue: PENDING envelopes with vehicle)
    o = "OutgoingQueue"
    write(
        "vehicle_connector",
        "g1-horn-blow",
        sns_records(o, "g1", [envelope(50, "HORN_BLOW", "PENDING", VIN_G1, "G1", dt=70)]),
    )
    write(
        "vehicle_connector",
        "g2-climate-start",
        sns_records(o, "g2", [envelope(51, "CLIMATE_START", "PENDING", dt=70, params=climate)]),
    )
    write(
        "vehicle_connector",
        "two-generations",
        sns_records(
            o,
            "both",
            [
                envelope(52, "DOOR_LOCK", "PENDING", VIN_G1, "G1", dt=60),
                envelope(53, "VEHICLE_FINDER", "PENDING", dt=65),
            ],
        ),
    )
    not_enriched = envelope(54, "HORN_BLOW", "PENDING", dt=70)
    del not_enriched["vehicle"]
    write("vehicle_connector", "invalid-not-enriched", sns_records(o, "noveh", [not_enriched]))
    write(
        "vehicle_connector",
        "invalid-not-pending",
        sns_records(o, "created", [envelope(55, "HORN_BLOW", "RUNNING", dt=70)]),
    )

    # ---- disclosure (MessageBody filter: vehicle.country + serviceType)
    x = "DisclosureQueue"
    write(
        "disclosure",
        "de-door-unlock-executed",
        sns_records(x, "de", [envelope(60, "DOOR_UNLOCK", "EXECUTED", dt=1200)]),
    )
    write(
        "disclosure",
        "fr-theft-alarm",
        sns_records(
            x,
            "fr",
            [envelope(61, "THEFT_ALARM", "EXECUTED", VIN_FR, "G1", "FR", source="VEHICLE", colour="green")],
        ),
    )
    write("disclosure", "invalid-body-not-json", sns_records(x, "notjson", ["\u0000"]))

    harness_events()


def url_event(method: str, path: str, body: Any = None, query: str = "") -> dict[str, Any]:
    """A Lambda Function URL request, payload format 2.0 (AWS_IAM: the caller in the authorizer)."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "content-type": "application/json",
            "host": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws",
            "x-amz-date": "20251124T160000Z",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAEXAMPLEEXAMPLE01",
                    "accountId": "123456789012",
                    "callerId": "AROAEXAMPLEEXAMPLE01:rs-dev-blue-vehicle-connector",
                    "userArn": "arn:aws:sts::123456789012:assumed-role/rs-dev-blue-connector/connector",
                    "userId": "AROAEXAMPLEEXAMPLE01:rs-dev-blue-vehicle-connector",
                }
            },
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "remote-services-lean-aws/1.0",
            },
            "requestId": str(uuid.uuid5(NS, f"url-{method}-{path}-{query}-{body!r}")),
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2025:16:00:00 +0000",
            "timeEpoch": T0,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return event


def harness_events() -> None:
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


if __name__ == "__main__":
    main()
