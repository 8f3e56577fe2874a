"""The runner gives GET's history a moment to show a report the persister writes after the push (a
RUNNING that a concurrent pipe batch delivered after the FAILED joins the history once, later), and
still wants exactly the expected history."""

from __future__ import annotations

import json
from typing import Any

from simulator.runner import execute
from tests.support.http_fake import FakeHttpServer, Reply


def event(*statuses: str) -> dict[str, Any]:
    return {"eventId": "e1", "status": statuses[-1], "history": [{"status": s} for s in statuses]}


def reply(body: dict[str, Any]) -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, json.dumps(body).encode())


EXPECTED = ("CREATED", "PENDING", "RUNNING", "FAILED")


def test_a_history_that_settles_is_read_again() -> None:
    # the matrix: CLIMATE_START,G1,triplicates-rejected,steady: FAILED pushed at 10.147, RUNNING
    # persisted at 10.691
    seen = event("CREATED", "PENDING", "FAILED")
    with FakeHttpServer(script=[reply(seen), reply(event(*EXPECTED))]) as api:
        final = execute._settled(api.url, "token", seen, EXPECTED)
    assert [h["status"] for h in final["history"]] == list(EXPECTED) and len(api.requests) == 2


def test_a_history_that_stays_short_is_reported_as_it_is(monkeypatch: Any) -> None:
    monkeypatch.setattr(execute, "HISTORY_SETTLE_S", 0.6)
    seen = event("CREATED", "PENDING", "FAILED")
    with FakeHttpServer(default=reply(seen)) as api:
        final = execute._settled(api.url, "token", seen, EXPECTED)
    assert [h["status"] for h in final["history"]] == ["CREATED", "PENDING", "FAILED"]


def test_an_expected_history_is_not_read_again() -> None:
    with FakeHttpServer() as api:
        execute._settled(api.url, "token", event(*EXPECTED), EXPECTED)
    assert api.requests == []
