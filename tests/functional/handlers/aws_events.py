"""The JSON that AWS sends the functions, built from envelopes: SQS event records (raw SNS delivery, so
SNS message attributes arrive as SQS message attributes, with their MD5), the Pipes enrichment batch
(a list of SQS records) and the vehicle's broker messages. Deterministic: stable ids from a namespace
UUID and a fixed clock (T0). The sample events (make_events.py) and the tests share it.
"""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from pathlib import Path
from typing import Any

from remote_services.envelope import sns_attributes
from remote_services.typedefs import VehicleUpdate
from remote_services.vehicles import encode_vehicle_message

ROOT = Path(__file__).resolve().parents[3] / "events"
REGION = "eu-central-1"
ACCOUNT = "123456789012"
NS = uuid.UUID("6f1f6a52-3c2e-4d8b-9a55-2f6c3b0e9d10")
T0 = 1764000000000  # 2025-11-24T16:00:00Z
VIN_G1 = "WVWZZZ1JZXW000001"
VIN_G2 = "WVWZZZE1ZMP000002"
VIN_FR = "VF1RFB00X67000003"


def eid(n: int) -> str:
    return str(uuid.uuid5(NS, f"event-{n}"))


def envelope(
    n: int,
    service: str,
    status: str,
    vin: str = VIN_G2,
    generation: str = "G2",
    country: str = "DE",
    dt: int = 0,
    reason: str | None = None,
    params: dict[str, Any] | None = None,
    source: str = "APP",
    colour: str = "blue",
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "specVersion": "1.0",
        "eventId": eid(n),
        "vin": vin,
        "serviceType": service,
        "status": status,
        "source": source,
        "colour": colour,
        "firstSeenMs": T0 + 1000 * n,
        "updatedMs": T0 + 1000 * n + dt,
        "traceId": f"Root=1-6924813{n % 10}-{hashlib.md5(str(n).encode()).hexdigest()[:24]}",
        "parameters": params or {},
    }
    if source == "APP":
        event["owner"] = "3f1c8a52-7d2b-4c1e-9f00-0a1b2c3d4e5f"
    if status != "CREATED":
        event["vehicle"] = {"generation": generation, "country": country}
    if reason:
        event["failureReason"] = reason
    return event


def _md5_attributes(attrs: dict[str, dict[str, Any]]) -> str:
    """SQS's MD5OfMessageAttributes algorithm (String attributes)."""
    digest = hashlib.md5()
    for name in sorted(attrs):
        value = attrs[name]
        for part in (name, value["dataType"]):
            data = part.encode()
            digest.update(struct.pack(">I", len(data)) + data)
        data = value["stringValue"].encode()
        digest.update(b"\x01" + struct.pack(">I", len(data)) + data)
    return digest.hexdigest()


def sqs_record(
    queue: str, body: str, key: str, attributes: dict[str, str] | None = None, sent_ms: int = T0
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messageId": str(uuid.uuid5(NS, key)),
        "receiptHandle": "AQEB" + hashlib.sha256(key.encode()).hexdigest() + "/Xq1Zc+Vd7mEXAMPLE==",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(sent_ms),
            "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
            "ApproximateFirstReceiveTimestamp": str(sent_ms + 12),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:rs-dev-blue-{queue}",
        "awsRegion": REGION,
    }
    if attributes:
        record["messageAttributes"] = {
            k: {"stringValue": v, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
            for k, v in attributes.items()
        }
        record["md5OfMessageAttributes"] = _md5_attributes(record["messageAttributes"])
    return record


def sns_records(queue: str, name: str, events: list[Any]) -> dict[str, Any]:
    """An SQS event from a raw-delivery SNS subscription; a str item is put in the body verbatim."""
    records = []
    for i, event in enumerate(events):
        if isinstance(event, str):
            records.append(sqs_record(queue, event, f"{queue}/{name}/{i}"))
        else:
            attrs = sns_attributes(event) if _looks_valid(event) else None
            records.append(
                sqs_record(
                    queue,
                    json.dumps(event, separators=(",", ":")),
                    f"{queue}/{name}/{i}",
                    attrs,
                    event.get("updatedMs", T0) + 40,
                )
            )
    return {"Records": records}


def _looks_valid(event: dict[str, Any]) -> bool:
    return all(isinstance(event.get(k), str) for k in ("status", "serviceType", "source", "colour"))


def incoming(name: str, messages: list[tuple[str, str, int] | str]) -> list[dict[str, Any]]:
    """The Pipes enrichment input: the IncomingQueue records (body from the broker)."""
    out = []
    for i, message in enumerate(messages):
        if isinstance(message, str):
            body = message
        else:
            topic, payload, received = message
            body = json.dumps(
                {"topic": topic, "payload": payload, "receivedMs": received}, separators=(",", ":")
            )
        out.append(sqs_record("IncomingQueue", body, f"incoming/{name}/{i}", sent_ms=T0 + 5000))
    return out


def vehicle_msg(update: VehicleUpdate) -> tuple[str, str]:
    return encode_vehicle_message(update)


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
