"""Regenerate the sample events in events/<function>/ (deterministic: same output every run).

    PYTHONPATH=src .venv/bin/python tests/functional/handlers/make_events.py

The files are what AWS sends: SQS event records (raw SNS delivery, so SNS message attributes arrive as
SQS message attributes), the Pipes enrichment batch (a list of SQS records), and the Step Functions
task inputs of validate/enrich. Names with "invalid" are expected to fail cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.functional.handlers.aws_events import (
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
from tests.functional.handlers.make_harness_events import harness_events
from tests.functional.handlers.make_task_events import task_input_events

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

    task_input_events(write)  # validate, enrich: Step Functions task inputs

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

    harness_events(write)


if __name__ == "__main__":
    main()
