"""remote_services.harness: the behaviour record, the vehicle's plan, the broker side's decision, the
scheduling on SQS (delays, the chain past 900 s) and the push statistics, as pure functions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from remote_services.errors import DomainError, ValidationError
from remote_services.harness.behaviour import (
    DEFAULT_BEHAVIOUR,
    BehaviourError,
    broker_answer,
    parse_behaviour,
)
from remote_services.harness.plan import other_vin, plan_command, plan_raise
from remote_services.harness.schedule import delay_seconds, relay, schedule
from remote_services.harness.stats import latency_stats, nearest_rank
from remote_services.typedefs import Command
from remote_services.vehicles import decode_command, decode_vehicle_message, encode_command

VIN = "WVWZZZE1ZMP000002"
OTHER = "WVWZZZ1JZXW000001"
NOW = 1_764_000_000_000
INCOMING = "http://sqs.local/123456789012/incoming"
DELAY = "http://sqs.local/123456789012/harness-delay"


def command(generation: str = "G2", service: str = "HORN_BLOW") -> Command:
    envelope: Any = {
        "eventId": "e-1",
        "vin": VIN,
        "serviceType": service,
        "parameters": {},
        "updatedMs": NOW,
        "vehicle": {"generation": generation, "country": "DE"},
    }
    return decode_command(*encode_command(envelope))


def behaviour(**vehicle: Any) -> dict[str, Any]:
    return parse_behaviour({"vehicle": vehicle})


def decoded(planned: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str, str | None]]:
    out = []
    for delay, message in planned:
        update = decode_vehicle_message(message["topic"], message["payload"])
        out.append((delay, update["status"], update.get("failureReason")))
    return out


def zero() -> float:
    return 0.0


# ------------------------------------------------------------------------------------- behaviour
def test_defaults_fill_every_field_and_no_record_is_the_default() -> None:
    assert parse_behaviour("{}") == DEFAULT_BEHAVIOUR
    parsed = parse_behaviour(json.dumps({"vehicle": {"ack": {"delayMs": 100}}, "broker": {"mode": "error"}}))
    assert parsed["vehicle"]["ack"] == {"send": True, "delayMs": 100, "jitterMs": 0}
    assert parsed["vehicle"]["done"]["result"] == "EXECUTED"
    assert parsed["broker"] == {"mode": "error", "times": 0, "slowMs": 0}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("not json", "behaviour"),
        ([], "behaviour"),
        ({"vehicle": {"ack": {"delayMs": -1}}}, "vehicle.ack.delayMs"),
        ({"vehicle": {"ack": {"delayMs": True}}}, "vehicle.ack.delayMs"),
        ({"vehicle": {"done": {"result": "RUNNING"}}}, "vehicle.done.result"),
        ({"vehicle": {"done": {"result": "FAILED", "reason": "DOORS_OPEN"}}}, "vehicle.done.reason"),
        ({"vehicle": {"done": {"reason": "VEHICLE_BUSY"}}}, "vehicle.done.reason"),
        ({"vehicle": {"repeat": 0}}, "vehicle.repeat"),
        ({"vehicle": {"order": "random"}}, "vehicle.order"),
        ({"vehicle": {"topic": "own", "otherVin": "nope"}}, "vehicle.otherVin"),
        ({"vehicle": {"colour": "red"}}, "vehicle.colour"),
        ({"broker": {"mode": "crash"}}, "broker.mode"),
        ({"broker": {"slowMs": 10**9}}, "broker.slowMs"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_record_is_a_behaviour_error_naming_the_field(raw: object, field: str) -> None:
    with pytest.raises(BehaviourError) as info:
        parse_behaviour(raw)
    assert isinstance(info.value, ValidationError) and isinstance(info.value, DomainError)
    assert info.value.field == field


def test_a_failed_result_defaults_to_rejected_by_vehicle() -> None:
    done = behaviour(done={"result": "FAILED"})["vehicle"]["done"]
    assert done["reason"] == "REJECTED_BY_VEHICLE"


@pytest.mark.parametrize(
    ("mode", "times", "calls", "expected"),
    [
        ("accept", 0, [1, 2], ["accept", "accept"]),
        ("error", 0, [1, 2, 50], ["error", "error", "error"]),
        ("error", 2, [1, 2, 3, 4], ["error", "error", "accept", "accept"]),
        ("refuse", 1, [1, 2], ["refuse", "accept"]),
        ("slow", 1, [1, 2], ["slow", "accept"]),
    ],
)
def test_the_broker_misbehaves_times_calls_then_accepts(
    mode: str, times: int, calls: list[int], expected: list[str]
) -> None:
    broker = {"mode": mode, "times": times, "slowMs": 0}
    assert [broker_answer(broker, n) for n in calls] == expected


# ------------------------------------------------------------------------------------------ plan
@pytest.mark.parametrize("generation", ["G1", "G2"])
def test_ack_then_done_after_their_delays(generation: str) -> None:
    planned = plan_command(
        command(generation), behaviour(ack={"delayMs": 100}, done={"delayMs": 600}), NOW, zero
    )
    assert decoded(planned) == [(100, "RUNNING", None), (600, "EXECUTED", None)]
    assert [m["receivedMs"] for _, m in planned] == [NOW + 100, NOW + 600]
    assert decode_vehicle_message(planned[1][1]["topic"], planned[1][1]["payload"])["vehicleTs"] == NOW + 600


def test_jitter_adds_up_to_jitter_ms_and_the_done_never_precedes_the_ack() -> None:
    b = behaviour(ack={"delayMs": 100, "jitterMs": 20}, done={"delayMs": 50, "jitterMs": 0})
    planned = plan_command(command(), b, NOW, lambda: 0.999)
    assert [d for d, _ in planned] == [120, 120]


def test_send_flags_connectivity_and_failure_reason() -> None:
    assert plan_command(command(), behaviour(connected=False), NOW, zero) == []
    assert decoded(plan_command(command(), behaviour(ack={"send": False}), NOW, zero)) == [
        (0, "EXECUTED", None)
    ]
    assert decoded(plan_command(command(), behaviour(done={"send": False}), NOW, zero)) == [
        (0, "RUNNING", None)
    ]
    failed = behaviour(done={"result": "FAILED", "reason": "VEHICLE_BUSY", "delayMs": 5})
    assert decoded(plan_command(command("G1"), failed, NOW, zero))[-1] == (5, "FAILED", "VEHICLE_BUSY")


def test_repeat_order_malformed_and_other_vehicle() -> None:
    b = behaviour(ack={"delayMs": 100}, done={"delayMs": 600}, repeat=2, order="done-first")
    assert decoded(plan_command(command(), b, NOW, zero)) == [
        (100, "EXECUTED", None),
        (100, "EXECUTED", None),
        (600, "RUNNING", None),
        (600, "RUNNING", None),
    ]
    stamps = [m["receivedMs"] for _, m in plan_command(command(), b, NOW, zero)]
    assert stamps == [NOW + 100, NOW + 101, NOW + 600, NOW + 601]  # each repeat a delivery of its own
    malformed = plan_command(command("G1"), behaviour(payload="malformed"), NOW, zero)
    for _, message in malformed:
        with pytest.raises(DomainError):
            decode_vehicle_message(message["topic"], message["payload"])
    foreign = plan_command(command(), behaviour(topic="other-vehicle", otherVin=OTHER), NOW, zero)
    assert {decode_vehicle_message(m["topic"], m["payload"])["vin"] for _, m in foreign} == {OTHER}
    stand_in = plan_command(command(), behaviour(topic="other-vehicle"), NOW, zero)
    assert {decode_vehicle_message(m["topic"], m["payload"])["vin"] for _, m in stand_in} == {other_vin(VIN)}
    assert other_vin(VIN) != VIN


def test_raise_plans_count_vehicle_events_every_ms_apart() -> None:
    planned = plan_raise(VIN, "G2", "THEFT_ALARM", 3, 1000, NOW)
    assert [d for d, _ in planned] == [0, 1000, 2000]
    updates = [decode_vehicle_message(m["topic"], m["payload"]) for _, m in planned]
    assert {(u["serviceType"], u["status"], "eventId" in u) for u in updates} == {
        ("THEFT_ALARM", "EXECUTED", False)
    }
    for args, field in [
        ((VIN, "G2", "HORN_BLOW", 1, 0), "serviceType"),
        ((VIN, "G2", "THEFT_ALARM", 0, 0), "count"),
        ((VIN, "G2", "THEFT_ALARM", 1, -1), "everyMs"),
        ((VIN, "G3", "THEFT_ALARM", 1, 0), "vehicle.generation"),
        (("short", "G2", "THEFT_ALARM", 1, 0), "vin"),
    ]:
        with pytest.raises(ValidationError) as info:
            plan_raise(*args, NOW)
        assert info.value.field == field


# -------------------------------------------------------------------------------------- schedule
class Queues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, int]] = []

    def send(self, url: str, body: str, delay: int) -> None:
        self.sent.append((url, body, delay))


def test_delays_are_rounded_to_the_nearest_second_within_sqs_cap() -> None:
    assert [delay_seconds(ms) for ms in (0, 100, 499, 500, 600, 900_000, 900_400)] == [
        0,
        0,
        0,
        1,
        1,
        900,
        900,
    ]


def test_a_message_past_900_s_is_chained_through_the_delay_queue_until_due() -> None:
    q = Queues()
    late = {"topic": "t", "payload": "p", "receivedMs": NOW + 2_000_000}
    counts = schedule(
        [(600, {"topic": "t", "payload": "a"}), (2_000_000, late)], NOW, INCOMING, DELAY, q.send
    )
    assert counts == {"direct": 1, "chained": 1}
    assert q.sent[0][0] == INCOMING and q.sent[0][2] == 1
    url, wrapped, delay = q.sent[1]
    assert (url, delay) == (DELAY, 900)
    assert json.loads(wrapped) == {
        "dueMs": NOW + 2_000_000,
        "queueUrl": INCOMING,
        "body": json.dumps(late, separators=(",", ":")),
    }
    # the relay at +900 s: still 1100 s to go -> the delay queue again
    q2 = Queues()
    assert relay(wrapped, NOW + 900_000, DELAY, q2.send, allowed=(INCOMING,)) == "chained"
    assert (q2.sent[0][0], q2.sent[0][2]) == (DELAY, 900)
    # at +1800 s: 200 s to go -> the incoming queue with 200 s, the original body
    q3 = Queues()
    assert relay(q2.sent[0][1], NOW + 1_800_000, DELAY, q3.send, allowed=(INCOMING,)) == "direct"
    assert q3.sent == [(INCOMING, json.dumps(late, separators=(",", ":")), 200)]
    # overdue (a slow relay): at once
    q4 = Queues()
    relay(wrapped, NOW + 2_100_000, DELAY, q4.send)
    assert q4.sent[0][2] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("nope", "body"),
        ("[]", "body"),
        (json.dumps({"queueUrl": INCOMING, "body": "x"}), "dueMs"),
        (json.dumps({"dueMs": 1, "queueUrl": "x", "body": "x"}), "queueUrl"),
        (json.dumps({"dueMs": 1, "queueUrl": INCOMING, "body": {}}), "body"),
        (json.dumps({"dueMs": 1, "queueUrl": "http://sqs.local/1/other", "body": "x"}), "queueUrl"),
    ],
)
def test_the_relay_refuses_what_is_not_a_delayed_message_for_its_queue(body: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        relay(body, NOW, DELAY, Queues().send, allowed=(INCOMING,))
    assert info.value.field == field


# ----------------------------------------------------------------------------------------- stats
def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 101))
    assert [nearest_rank(values, p) for p in (50, 90, 99, 100)] == [50, 90, 99, 100]
    assert latency_stats([30, 10, 20]) == {"count": 3, "p50": 20, "p90": 30, "p99": 30, "max": 30}
    assert latency_stats([7]) == {"count": 1, "p50": 7, "p90": 7, "p99": 7, "max": 7}
    assert latency_stats([]) == {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
