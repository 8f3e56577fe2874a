"""process_partial_batch: failed records are reported by messageId, the others are not."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from remote_services.obs.logger import Logger
from remote_services.partial_batch import process_partial_batch


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m-{i}", "body": body, "eventSource": "aws:sqs"} for i, body in enumerate(bodies)
        ]
    }


def handler(record: dict[str, Any]) -> None:
    if record["body"] != "ok":
        raise ValueError(f"cannot handle {record['body']!r}")


def test_only_failed_records_are_reported() -> None:
    buf = io.StringIO()
    result = process_partial_batch(sqs_event("ok", "bad", "ok", "worse"), handler, Logger(stream=buf))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}
    logged = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [line["messageId"] for line in logged if line["level"] == "ERROR"] == ["m-1", "m-3"]
    assert "cannot handle 'bad'" in logged[0]["message"]


def test_all_ok_and_all_failed() -> None:
    assert process_partial_batch(sqs_event("ok", "ok"), handler) == {"batchItemFailures": []}
    assert process_partial_batch(sqs_event("x", "y"), handler) == {
        "batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-1"}]
    }


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, [], {"Records": [{"body": "ok"}]}])
def test_malformed_batches_raise(event: Any) -> None:
    with pytest.raises(ValueError, match=r"Records|messageId"):
        process_partial_batch(event, handler)
