"""The runner counts notifications, not deliveries: the distributor pushes at least once under one
notificationId (a POST whose answer took longer than its 1 s timeout is sent again, and the subscriber
had it already), and the subscriber keeps one per notificationId. Repeats must say the same."""

from __future__ import annotations

from typing import Any

from simulator.runner.execute import _notifications, _repeats_differ


def push(notification_id: str, result: str, pushed_ms: int, received_ms: int) -> dict[str, Any]:
    """A PushesTable item as the subscription mock stores it."""
    body = {"notificationId": notification_id, "vin": "WVWZZZ1JZXW000006", "service": "WINDOW_CLOSE",
            "result": result, "source": "APP", "firstSeenMs": 1000, "pushedMs": pushed_ms}
    return {"receivedMs": received_ms, "latencyMs": received_ms - 1000, "body": body}


def test_three_deliveries_of_one_push_are_one_notification() -> None:
    # the matrix: WINDOW_CLOSE,G1,executes,sluggish: the same POST received at +9511, +10618, +11735 ms
    pushes = [push("e1", "EXECUTED", 10511, 10511), push("e1", "EXECUTED", 10511, 11618),
              push("e1", "EXECUTED", 10511, 12735)]
    by_id = _notifications(pushes)
    assert list(by_id) == ["e1"] and len(by_id["e1"]) == 3
    assert _repeats_differ(by_id) == []


def test_a_redelivered_push_may_differ_only_in_its_push_time() -> None:
    # the distributor's record redelivered after a failed push: a new pushedMs, the same notification
    pushes = [push("e1", "FAILED", 10, 20), push("e1", "FAILED", 50_000, 50_010)]
    assert _repeats_differ(_notifications(pushes)) == []


def test_two_results_under_one_notification_are_reported() -> None:
    by_id = _notifications([push("e1", "FAILED", 10, 20), push("e1", "EXECUTED", 30, 40)])
    assert _repeats_differ(by_id) == ["e1"]


def test_distinct_events_are_distinct_notifications() -> None:
    assert sorted(_notifications([push("a", "EXECUTED", 1, 2), push("b", "EXECUTED", 1, 2)])) == ["a", "b"]
