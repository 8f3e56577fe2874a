"""validate, enrich and vehicle_decoder over every sample event of their folders (in-process, pure),
plus the JSON Schemas against the sample envelopes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from functions.enrich.app import handler as enrich
from functions.validate.app import handler as validate
from functions.vehicle_decoder.app import handler as decode
from remote_services import catalog
from remote_services.envelope import parse_event
from remote_services.errors import ValidationError
from tests.functional.handlers.aws_events import T0, VIN_G1, VIN_G2, eid
from tests.functional.handlers.conftest import EVENTS_DIR, Context, event_files, load
from tests.functional.handlers.make_events import main

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"

VALIDATE: dict[str, dict[str, Any] | tuple[str, str]] = {
    "horn-blow": {"vin": VIN_G2, "serviceType": "HORN_BLOW", "parameters": {}},
    "climate-start": {
        "vin": VIN_G1,
        "serviceType": "CLIMATE_START",
        "parameters": {"targetTemperatureC": 21.5, "durationMin": 10},
    },
    "door-lock-lowercase-vin": {"vin": VIN_G1, "serviceType": "DOOR_LOCK", "parameters": {}},
    "invalid-vin": ("ValidationError", "vin"),
    "invalid-climate-temperature": ("ValidationError", "parameters.targetTemperatureC"),
    "invalid-unknown-parameter": ("ValidationError", "parameters.force"),
    "invalid-unknown-service": ("ValidationError", "serviceType"),
    "invalid-theft-alarm-requested": ("ValidationError", "serviceType"),
}

ENRICH: dict[str, dict[str, str] | tuple[str, str]] = {
    "g1-horn-blow": {"generation": "G1", "country": "DE", "topic": f"vw/g1/{VIN_G1}/rs/horn_blow"},
    "g2-climate-start": {
        "generation": "G2",
        "country": "DE",
        "topic": f"vehicles/{VIN_G2}/v2/remote-services",
    },
    "invalid-not-owner": ("NotOwnerError", "not the owner"),
    "invalid-unknown-vin": ("NotOwnerError", "not the owner"),  # existence is not leaked
    "invalid-unsupported-service": ("UnsupportedServiceError", "does not support CLIMATE_START"),
}

# per record: ("update", status, event number or None, failureReason or None) | ("undecodable", words)
DECODER: dict[str, list[tuple[Any, ...]]] = {
    "g1-ack": [("update", "RUNNING", 1, None)],
    "g2-done-and-late-ack": [("update", "EXECUTED", 2, None), ("update", "RUNNING", 2, None)],
    "g1-rejected": [("update", "FAILED", 3, "REJECTED_BY_VEHICLE")],
    "theft-alarms": [("vehicle-event", "EXECUTED", None, None), ("vehicle-event", "EXECUTED", None, None)],
    "batch-with-undecodable": [("update", "EXECUTED", 4, None), ("undecodable", "G2 frame")],
    "invalid-g2-garbage": [("undecodable", "not base64")],
    "invalid-unknown-topic": [("undecodable", "matches no vehicle generation")],
    "invalid-body-not-json": [("undecodable", "body is not JSON")],
}


def ids(files: list[Path]) -> list[str]:
    return [f.stem for f in files]


@pytest.mark.parametrize("path", event_files("validate"), ids=ids(event_files("validate")))
def test_validate(path: Path) -> None:
    expected = VALIDATE[path.stem]
    if isinstance(expected, tuple):
        assert "invalid" in path.stem
        with pytest.raises(ValidationError) as info:
            validate(load(path), Context())
        assert type(info.value).__name__ == expected[0]  # the ASL maps errorType = class name
        assert info.value.field == expected[1] and str(info.value).startswith(f"{expected[1]}: ")
    else:
        assert validate(load(path), Context()) == expected


@pytest.mark.parametrize("path", event_files("enrich"), ids=ids(event_files("enrich")))
def test_enrich(path: Path) -> None:
    expected = ENRICH[path.stem]
    if isinstance(expected, tuple):
        assert "invalid" in path.stem
        with pytest.raises(Exception) as info:
            enrich(load(path), Context())
        assert type(info.value).__name__ == expected[0] and expected[1] in str(info.value)
    else:
        assert enrich(load(path), Context()) == expected


@pytest.mark.parametrize("path", event_files("vehicle_decoder"), ids=ids(event_files("vehicle_decoder")))
def test_vehicle_decoder(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = load(path)
    out = decode(records, Context())
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    rejected = sum(1 for o in out if o["kind"] == "undecodable")
    assert [(d["Reason"], d["VehicleReportsRejected"]) for d in emf] == (
        [("UNDECODABLE", [float(rejected)])] if rejected else []
    )
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Reason"]] for d in emf)
    expected = DECODER[path.stem]
    assert len(out) == len(records) == len(expected)
    for record, got, want in zip(records, out, expected, strict=True):
        assert got["kind"] == want[0]
        if want[0] == "undecodable":
            assert want[1] in got["error"] and got["body"] == record["body"]
            assert got["reason"] == "UNDECODABLE"
            continue
        body = json.loads(record["body"])
        assert got["status"] == want[1] and got["receivedMs"] == body["receivedMs"] > T0
        if want[0] == "update":
            assert got["eventId"] == eid(want[2]) and got["statusRank"] == {"RUNNING": 2}.get(want[1], 3)
        else:  # vehicle-initiated: a stable id, so that the same message twice is the same event
            assert got["eventId"] == f"{got['vin']}-{got['serviceType']}-{got['vehicleTs']}"
        assert got["expiresAt"] == got["receivedMs"] // 1000 + 30 * 86400
        assert got.get("failureReason") == want[3]
        assert got["generation"] in ("G1", "G2") and len(got["vin"]) == 17
    if "invalid" in path.stem:
        assert all(o["kind"] == "undecodable" for o in out)


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (("validate", VALIDATE), ("enrich", ENRICH), ("vehicle_decoder", DECODER)):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder


def test_sample_events_are_what_the_generator_writes(tmp_path: Path) -> None:
    main(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.glob("*/*.json"))
    committed = sorted(p.relative_to(EVENTS_DIR) for p in EVENTS_DIR.glob("*/*.json"))
    assert fresh == committed
    for rel in fresh:
        assert (tmp_path / rel).read_text() == (EVENTS_DIR / rel).read_text(), rel


# ------------------------------------------------------------------------------------------- schemas
def envelopes() -> list[tuple[str, Any, bool]]:
    """(name, envelope, valid?) for every SQS body in the samples that is an envelope (or meant to be one)."""
    out = []
    for folder in ("persister", "distributor", "lifecycle_scheduler", "vehicle_connector", "disclosure"):
        for path in event_files(folder):
            for i, record in enumerate(load(path)["Records"]):
                try:
                    body = json.loads(record["body"])
                except ValueError:
                    continue
                try:
                    parse_event(body)
                    valid = True
                except ValidationError:
                    valid = False
                out.append((f"{folder}/{path.stem}#{i}", body, valid))
    for path in event_files("lifecycle_checker"):
        for i, record in enumerate(load(path)["Records"]):
            event = json.loads(record["body"])["event"]
            out.append((f"lifecycle_checker/{path.stem}#{i}", event, "invalid-event" not in path.stem))
    return out


ENVELOPES = envelopes()


def test_schemas_are_draft4() -> None:
    for name in ("event.schema.json", "service-request.schema.json"):
        schema = json.loads((SCHEMAS / name).read_text())
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
        jsonschema.Draft4Validator.check_schema(schema)


@pytest.mark.parametrize(("name", "event", "valid"), ENVELOPES, ids=[e[0] for e in ENVELOPES])
def test_event_schema_agrees_with_the_parser(name: str, event: Any, valid: bool) -> None:
    schema = json.loads((SCHEMAS / "event.schema.json").read_text())
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(event))
    assert (not errors) is valid, (name, [e.message for e in errors])
    if "invalid" not in name:
        assert valid, name


def test_event_schema_enums_match_the_domain() -> None:
    from remote_services.status import FAILURE_REASONS, STATUSES

    props = json.loads((SCHEMAS / "event.schema.json").read_text())["properties"]
    assert props["serviceType"]["enum"] == list(catalog.SERVICE_TYPES)
    assert props["status"]["enum"] == list(STATUSES)
    assert props["failureReason"]["enum"] == sorted(FAILURE_REASONS)


def test_service_request_schema_covers_the_catalog() -> None:
    schema = json.loads((SCHEMAS / "service-request.schema.json").read_text())
    validator = jsonschema.Draft4Validator(schema)
    params = schema["properties"]["parameters"]["properties"]
    for service, spec in catalog.SERVICES.items():
        for name, rule in spec["parameters"].items():
            assert params[name]["type"] == rule["type"], (service, name)
            assert params[name]["minimum"] <= rule["minimum"] and params[name]["maximum"] >= rule["maximum"]
    assert validator.is_valid({"parameters": {"targetTemperatureC": 21.5, "durationMin": 10}})
    assert validator.is_valid({})
    assert not validator.is_valid({"parameters": {"targetTemperatureC": 35}})
    assert not validator.is_valid({"parameters": {"force": True}})
    assert not validator.is_valid({"parameters": {}, "extra": 1})
    assert not validator.is_valid({"parameters": {"durationMin": "ten"}})
