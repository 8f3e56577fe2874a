"""The benchmark's truth accounting: false timeouts, lost commands and repeated pushes are counted,
never hidden, from fake STATE items and pushes (no local cloud, no timing)."""

from __future__ import annotations

from typing import Any

from bench.local_truth import account, http_counts, percentiles, windows

SILENT = "SILENT00000000001"


def answers(vin: str) -> bool:
    return vin != SILENT


def state(status: str, reason: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"sk": "STATE", "status": status, "firstSeenMs": 1000}
    if reason:
        item["failureReason"] = reason
    return item


def push(eid: str, result: str, pushed_ms: int = 1200, reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "notificationId": eid,
        "result": result,
        "firstSeenMs": 1000,
        "pushedMs": pushed_ms,
    }
    if reason:
        body["reason"] = reason
    return body


def test_a_clean_run_has_nothing_to_report() -> None:
    accepted = {"e1": "VIN1", "e2": "VIN2"}
    states = {"e1": state("EXECUTED"), "e2": state("FAILED", "REJECTED_BY_VEHICLE")}
    pushes = [push("e2", "FAILED", 1500, "REJECTED_BY_VEHICLE"), push("e1", "EXECUTED", 1100)]
    got = account(accepted, states, pushes, answers)
    assert got["accepted"] == 2
    assert got["final_states"] == {"EXECUTED": 1, "FAILED": {"REJECTED_BY_VEHICLE": 1}}
    assert (got["false_timeouts"], got["lost"], got["repeated_pushes"]) == (0, 0, 0)
    assert got["push_disagrees_with_state"] == 0
    assert got["end_to_end_ms"]["count"] == 2
    assert (got["end_to_end_ms"]["min"], got["end_to_end_ms"]["max"]) == (100.0, 500.0)


def test_a_timeout_is_false_for_a_vehicle_that_answers_and_true_for_a_silent_one() -> None:
    accepted = {"answering": "VIN1", "silent": SILENT}
    states = {"answering": state("FAILED", "TIMEOUT"), "silent": state("FAILED", "TIMEOUT")}
    pushes = [push("answering", "FAILED", reason="TIMEOUT"), push("silent", "FAILED", reason="TIMEOUT")]
    got = account(accepted, states, pushes, answers)
    assert got["false_timeouts"] == 1 and got["false_timeout_ids"] == ["answering"]
    assert got["true_timeouts"] == 1
    assert got["final_states"]["FAILED"] == {"TIMEOUT": 2}


def test_lost_is_no_final_state_or_a_final_state_without_a_push() -> None:
    accepted = {"pending": "VIN1", "missing": "VIN2", "unpushed": "VIN3", "ok": "VIN4"}
    states = {
        "pending": state("PENDING"),
        "missing": None,
        "unpushed": state("EXECUTED"),
        "ok": state("EXECUTED"),
    }
    got = account(accepted, states, [push("ok", "EXECUTED")], answers)
    assert got["lost"] == 3
    assert (got["lost_no_final_state"], got["lost_no_push"]) == (2, 1)
    assert sorted(got["lost_ids"]) == ["missing", "pending", "unpushed"]
    assert got["not_final"] == {"PENDING": 1, "none": 1}


def test_repeated_pushes_are_counted_and_latency_comes_from_the_first() -> None:
    accepted = {"e1": "VIN1", "e2": "VIN2"}
    states = {"e1": state("EXECUTED"), "e2": state("EXECUTED")}
    pushes: list[Any] = [push("e1", "EXECUTED", 1300), push("e2", "EXECUTED", 1100)]
    pushes += [push("e1", "EXECUTED", 9000), push("e1", "EXECUTED", 9500), push("not-ours", "EXECUTED")]
    pushes += [{"no": "id"}, "not a dict"]
    got = account(accepted, states, pushes, answers)
    assert got["repeated_pushes"] == 2 and got["events_with_repeated_pushes"] == 1
    assert got["repeated_push_ids"] == ["e1"]
    assert got["end_to_end_ms"]["max"] == 300.0  # the repeats' later pushedMs are not latencies
    assert got["lost"] == 0


def test_a_push_that_contradicts_state_is_reported() -> None:
    accepted = {"e1": "VIN1"}
    got = account(accepted, {"e1": state("FAILED", "TIMEOUT")}, [push("e1", "EXECUTED")], answers)
    assert got["push_disagrees_with_state"] == 1 and got["push_disagree_ids"] == ["e1"]
    assert got["false_timeouts"] == 1


def test_http_counts_split_accepted_throttled_and_the_rest() -> None:
    got = http_counts([202, 429, 202, 409, 0, 500, 429, 429])
    assert got == {
        "sent": 8,
        "accepted": 2,
        "throttled": 3,
        "other_http": {"409": 1, "500": 1, "no_answer": 1},
    }


def test_windows_give_rates_per_second_and_latency_by_acceptance_time() -> None:
    sends = [(0.1, 202, "a"), (0.5, 429, None), (1.2, 202, "b"), (1.9, 409, None), (2.5, 202, "c")]
    latency = {"a": 100.0, "b": 300.0}  # c was never pushed
    rows = windows(sends, latency, pushed_at=[0.4, 1.5, 1.6, 7.0], width_s=2.0, until_s=3.0)
    assert [r["t_s"] for r in rows] == [0.0, 2.0]
    first, second = rows
    assert (first["offered_per_s"], first["accepted_per_s"], first["throttled_per_s"]) == (2.0, 1.0, 0.5)
    assert first["pushed_per_s"] == 1.5
    assert (first["e2e_p50_ms"], first["e2e_p99_ms"]) == (100.0, 300.0)
    assert (second["offered_per_s"], second["accepted_per_s"], second["pushed_per_s"]) == (0.5, 0.5, 0.0)
    assert second["e2e_p50_ms"] is None


def test_percentiles_of_nothing() -> None:
    assert percentiles([]) == {"count": 0}
    assert percentiles([5.0])["p99"] == 5.0
