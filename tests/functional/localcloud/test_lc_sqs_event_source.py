"""SQS event-source pollers: batch size, batching window, partial batch failures, redrive to the DLQ."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localcloud.aws.json_client import AwsCallError, JsonApi
from localcloud.eventsources.sqs import SqsEventSource, failed_ids
from tests.functional.localcloud.lc_support import ACCOUNT, REGION, Cloud, spec


def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _calls(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line]


def _bodies(calls: list[dict[str, Any]]) -> list[str]:
    return [r["body"] for c in calls for r in c["event"]["Records"]]


def _queues(cloud: Cloud, name: str, max_receive: int = 2, visibility: int = 1) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(visibility),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive)}
            ),
        },
    )["QueueUrl"]
    return url, dlq


def _drain(cloud: Cloud, url: str) -> list[str]:
    sqs = cloud.client("sqs")
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        )
        if not got:
            return bodies
        bodies.extend(m["Body"] for m in got)


def _count(cloud: Cloud, url: str) -> int:
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_batches_respect_the_batch_size_and_carry_lambdas_record_shape(cloud: Cloud, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("BatchSize", environment={"RECORD_FILE": str(record)}))
    url, _ = _queues(cloud, "batch-size")
    sqs = cloud.client("sqs")
    for i in range(7):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps({"i": i}),
            MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}},
        )
    with SqsEventSource(cloud.endpoint.url, url, "lc-BatchSize", cloud.host, batch_size=3, concurrency=1):
        assert _wait_for(lambda: len(_bodies(_calls(record))) >= 7)
        assert _wait_for(lambda: _count(cloud, url) == 0)
    calls = _calls(record)
    assert all(1 <= len(c["event"]["Records"]) <= 3 for c in calls)
    assert sorted(json.loads(b)["i"] for b in _bodies(calls)) == list(range(7))
    rec = calls[0]["event"]["Records"][0]
    assert set(rec) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert rec["eventSource"] == "aws:sqs" and rec["awsRegion"] == REGION
    assert rec["eventSourceARN"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:batch-size"
    assert set(rec["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert rec["attributes"]["ApproximateReceiveCount"] == "1"
    assert rec["messageAttributes"]["colour"] == {
        "stringValue": "blue",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }


def test_batching_window_gathers_messages_sent_apart(cloud: Cloud, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("Window", environment={"RECORD_FILE": str(record)}))
    url, _ = _queues(cloud, "window", visibility=30)
    sqs = cloud.client("sqs")
    with SqsEventSource(
        cloud.endpoint.url,
        url,
        "lc-Window",
        cloud.host,
        batch_size=10,
        maximum_batching_window_s=3,
        concurrency=1,
    ):
        sqs.send_message(QueueUrl=url, MessageBody='{"i": 0}')
        time.sleep(0.3)
        sqs.send_message(QueueUrl=url, MessageBody='{"i": 1}')
        sqs.send_message(QueueUrl=url, MessageBody='{"i": 2}')
        assert _wait_for(lambda: len(_bodies(_calls(record))) >= 3)
    calls = _calls(record)
    assert len(calls) == 1 and len(calls[0]["event"]["Records"]) == 3


def test_partial_batch_failure_deletes_the_others_and_the_failed_one_comes_back(
    cloud: Cloud, tmp_path: Path
) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("Partial", environment={"RECORD_FILE": str(record)}))
    url, dlq = _queues(cloud, "partial", max_receive=2)
    sqs = cloud.client("sqs")
    for body in ({"id": "a", "fail": True}, {"id": "b"}, {"id": "c"}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    with SqsEventSource(
        cloud.endpoint.url,
        url,
        "lc-Partial",
        cloud.host,
        batch_size=10,
        maximum_batching_window_s=0.5,
        function_response_types=["ReportBatchItemFailures"],
        concurrency=1,
    ):
        assert _wait_for(lambda: _count(cloud, dlq) == 1)
    seen = [json.loads(b)["id"] for b in _bodies(_calls(record))]
    assert seen.count("a") == 2  # delivered, failed, came back after the visibility timeout, failed again
    assert seen.count("b") == 1 and seen.count("c") == 1  # deleted after the first batch
    assert _count(cloud, url) == 0
    assert [json.loads(b)["id"] for b in _drain(cloud, dlq)] == ["a"]


def test_crashing_function_loses_no_message_retry_then_dlq(cloud: Cloud, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("Crashing", environment={"RECORD_FILE": str(record)}))
    url, dlq = _queues(cloud, "crashing", max_receive=2)
    sqs = cloud.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "x", "crash": True}))
    with SqsEventSource(
        cloud.endpoint.url,
        url,
        "lc-Crashing",
        cloud.host,
        batch_size=1,
        report_batch_item_failures=True,
        concurrency=1,
    ) as source:
        assert _wait_for(lambda: _count(cloud, dlq) == 1)
    assert source.stats["failed_batches"] == 2 and source.stats["deleted"] == 0
    assert [json.loads(b)["id"] for b in _bodies(_calls(record))] == ["x", "x"]
    assert _count(cloud, url) == 0
    assert [json.loads(b)["id"] for b in _drain(cloud, dlq)] == ["x"]
    log = (cloud.log_dir / "Crashing.log").read_text()
    assert log.count("Runtime.ExitError") == 2


def test_an_invalid_batch_response_fails_the_whole_batch() -> None:
    ids = {"m1", "m2"}
    assert failed_ids(b"", ids) == set()
    assert failed_ids(b"null", ids) == set()
    assert failed_ids(b"{}", ids) == set()
    assert failed_ids(b'{"batchItemFailures": []}', ids) == set()
    assert failed_ids(b'{"batchItemFailures": [{"itemIdentifier": "m2"}]}', ids) == {"m2"}
    assert failed_ids(b"not json", ids) is None
    assert failed_ids(b'{"batchItemFailures": [{"itemIdentifier": ""}]}', ids) is None
    assert failed_ids(b'{"batchItemFailures": [{"itemIdentifier": null}]}', ids) is None
    assert failed_ids(b'{"batchItemFailures": [{"id": "m1"}]}', ids) is None
    assert failed_ids(b'{"batchItemFailures": [{"itemIdentifier": "other"}]}', ids) is None
    assert failed_ids(b"[1]", ids) is None


def test_invalid_response_keeps_every_message(cloud: Cloud, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("Invalid", environment={"RECORD_FILE": str(record)}))
    url, dlq = _queues(cloud, "invalid", max_receive=1)
    sqs = cloud.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "p", "invalid_response": True}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "q"}))
    with SqsEventSource(
        cloud.endpoint.url,
        url,
        "lc-Invalid",
        cloud.host,
        batch_size=10,
        maximum_batching_window_s=0.5,
        report_batch_item_failures=True,
        concurrency=1,
    ):
        assert _wait_for(lambda: _count(cloud, dlq) == 2)
    assert sorted(json.loads(b)["id"] for b in _drain(cloud, dlq)) == ["p", "q"]


def test_poller_over_http_and_binary_attributes(cloud: Cloud, tmp_path: Path) -> None:
    """Endpoint not an AwsEndpoint of this process: the JSON calls go over HTTP (here straight to moto)."""
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("OverHttp", environment={"RECORD_FILE": str(record)}))
    url, _ = _queues(cloud, "poller-over-http", visibility=30)
    cloud.client("sqs").send_message(
        QueueUrl=url,
        MessageBody='{"i": 1}',
        MessageAttributes={"raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
    )
    source = SqsEventSource(cloud.moto.url, url, "lc-OverHttp", cloud.host, batch_size=10)
    assert not source.batcher.client.in_process
    with source:
        assert _wait_for(lambda: _count(cloud, url) == 0)
    (call,) = _calls(record)
    assert call["event"]["Records"][0]["messageAttributes"]["raw"] == {
        "binaryValue": "AAE=",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Binary",
    }


def test_json_api_errors_carry_the_aws_code(cloud: Cloud) -> None:
    for endpoint in (cloud.endpoint.url, cloud.moto.url):
        api = JsonApi(endpoint, REGION, "sqs", "AmazonSQS")
        with pytest.raises(AwsCallError) as err:
            api.call("GetQueueUrl", {"QueueName": "no-such-queue"})
        assert err.value.status == 400 and err.value.code == "QueueDoesNotExist"
