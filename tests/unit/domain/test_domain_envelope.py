"""The envelope: build, parse (clear errors), serialise, SNS attributes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from remote_services.envelope import (
    dumps,
    from_sqs_record,
    new_event,
    parse_event,
    sns_attributes,
    with_status,
)
from remote_services.errors import ValidationError

VIN = "WVWZZZ1JZXW000001"


def make(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = dict(
        new_event(
            event_id="8b0c3c9e-0d2f-4b4e-9b61-3f0e0c9d1a01",
            vin=VIN,
            service_type="HORN_BLOW",
            status="CREATED",
            colour="blue",
            first_seen_ms=1764000000000,
            trace_id="Root=1-6742c000-abcdef0123456789abcdef01",
        )
    )
    event.update(overrides)
    return event


def test_new_event_fills_defaults_and_round_trips() -> None:
    event = make()
    assert event["specVersion"] == "1.0"
    assert event["updatedMs"] == event["firstSeenMs"]
    assert event["parameters"] == {} and event["source"] == "APP"
    assert parse_event(dumps(parse_event(event))) == event


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"vin": "WVWZZZ1JZXW00000"}, "vin", "17 characters"),
        ({"vin": "WVWZZZ1JZXW00000I"}, "vin", "'I'"),
        ({"serviceType": "SUNROOF_OPEN"}, "serviceType", "unknown service type"),
        ({"status": "DONE"}, "status", "must be one of"),
        ({"colour": "red"}, "colour", "blue, green"),
        ({"source": "CLOUD"}, "source", "APP, VEHICLE"),
        ({"firstSeenMs": "yesterday"}, "firstSeenMs", "non-negative integer"),
        ({"updatedMs": -1}, "updatedMs", "non-negative integer"),
        ({"firstSeenMs": True}, "firstSeenMs", "non-negative integer"),
        ({"specVersion": "2.0"}, "specVersion", "'1.0'"),
        ({"parameters": []}, "parameters", "object"),
        ({"status": "FAILED"}, "failureReason", "needs one of"),
        ({"status": "FAILED", "failureReason": "BAD_LUCK"}, "failureReason", "needs one of"),
        ({"failureReason": "TIMEOUT"}, "failureReason", "only allowed on FAILED"),
        ({"vehicle": {"generation": "G9", "country": "DE"}}, "vehicle.generation", "G1, G2"),
        ({"vehicle": {"generation": "G1", "country": "germany"}}, "vehicle.country", "alpha-2"),
        ({"vehicle": {"generation": "G1"}}, "vehicle", "generation"),
        ({"colur": "blue"}, "colur", "unknown field"),
        ({"eventId": "a b"}, "eventId", "characters outside"),
        ({"eventId": ""}, "eventId", "1..128"),
    ],
)
def test_parse_rejects_with_a_clear_error(change: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(make(**change))
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(f"{field}: ")


def test_missing_field_is_named() -> None:
    event = make()
    del event["traceId"]
    with pytest.raises(ValidationError, match=r"^traceId: is required$"):
        parse_event(event)


def test_bad_json_and_non_object() -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        parse_event("{nope")
    with pytest.raises(ValidationError, match="must be a JSON object"):
        parse_event([1, 2])


def test_with_status_sets_and_clears_failure_reason() -> None:
    failed = with_status(parse_event(make()), "FAILED", 1764000005000, "TIMEOUT")
    assert failed["status"] == "FAILED" and failed["failureReason"] == "TIMEOUT"
    again = with_status(failed, "EXECUTED", 1764000006000)
    assert "failureReason" not in again


@pytest.mark.parametrize(
    ("status", "final"),
    [("CREATED", "false"), ("PENDING", "false"), ("RUNNING", "false"), ("EXECUTED", "true")],
)
def test_sns_attributes(status: str, final: str) -> None:
    attrs = sns_attributes(parse_event(make(status=status)))
    assert attrs == {
        "status": status,
        "serviceType": "HORN_BLOW",
        "source": "APP",
        "colour": "blue",
        "final": final,
        "push": "true",
    }
    assert all(isinstance(v, str) for v in attrs.values())


def test_from_sqs_record_raw_and_wrapped() -> None:
    event = make()
    assert from_sqs_record({"body": json.dumps(event)}) == event
    wrapped = {"Type": "Notification", "Message": json.dumps(event), "TopicArn": "arn:aws:sns:x"}
    assert from_sqs_record({"body": json.dumps(wrapped)}) == event
    with pytest.raises(ValidationError, match="no string body"):
        from_sqs_record({"messageId": "1"})
