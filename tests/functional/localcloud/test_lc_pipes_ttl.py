"""Pipes (SQS -> enrichment -> state machine) and the TTL sweeper."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from localcloud.aws.dynamodb_ttl import TtlSweeper
from localcloud.aws.endpoint import AwsEndpoint
from localcloud.aws.moto_tables import table_in_process
from localcloud.eventsources.pipes import PipeRunner
from tests.functional.localcloud.lc_support import ACCOUNT, Cloud, spec

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"


def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _sink_machine(cloud: Cloud, name: str, record: Path) -> str:
    """A state machine whose one Lambda task records its input (so the test can read it)."""
    cloud.host.register(spec(name, environment={"RECORD_FILE": str(record)}))
    definition = {
        "StartAt": "Sink",
        "States": {"Sink": {"Type": "Task", "Resource": spec(name).arn, "End": True}},
    }
    arn: str = cloud.client("stepfunctions").create_state_machine(
        name=name, roleArn=ROLE, type="EXPRESS", definition=json.dumps(definition)
    )["stateMachineArn"]
    return arn


def _inputs(record: Path) -> list[object]:
    if not record.exists():
        return []
    return [json.loads(line)["event"] for line in record.read_text().splitlines() if line]


def test_pipe_runs_source_enrichment_and_state_machine(cloud: Cloud, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("Decoder", environment={"RECORD_FILE": str(record)}))
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="pipe-source")["QueueUrl"]
    for mode in ("REQUEST_RESPONSE", "FIRE_AND_FORGET"):
        sink = tmp_path / f"sink-{mode}.jsonl"
        machine = _sink_machine(cloud, f"pipe-target-{mode.lower()}", sink)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"vin": "V1", "mode": mode}))
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"vin": "V2", "mode": mode}))
        with PipeRunner(
            endpoint_url=cloud.endpoint.url,
            host=cloud.host,
            source_queue_url=url,
            enrichment_function="lc-Decoder",
            target_arn=machine,
            batch_size=10,
            maximum_batching_window_s=0.5,
            invocation_type=mode,
            name="test-pipe",
        ) as pipe:
            assert _wait_for(lambda sink=sink: len(_inputs(sink)) >= 1)  # type: ignore[misc]
            assert _wait_for(lambda pipe=pipe: pipe.stats["deleted"] == 2)  # type: ignore[misc]
        (target_input,) = _inputs(sink)
        assert isinstance(target_input, list)
        assert [r["decoded"] for r in target_input] == [
            {"vin": "V1", "mode": mode},
            {"vin": "V2", "mode": mode},
        ]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (
            attrs["ApproximateNumberOfMessages"] == "0"
            and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
        )
    enrichment_event = json.loads(record.read_text().splitlines()[0])["event"]
    assert isinstance(enrichment_event, list) and enrichment_event[0]["eventSource"] == "aws:sqs"


def test_failing_enrichment_leaves_the_messages_for_the_dlq(cloud: Cloud, tmp_path: Path) -> None:
    cloud.host.register(spec("BadDecoder", environment={"INIT_FAIL": "1"}))
    sqs = cloud.client("sqs")
    dlq = sqs.create_queue(QueueName="pipe-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="pipe-failing",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}),
        },
    )["QueueUrl"]
    sink = tmp_path / "never.jsonl"
    machine = _sink_machine(cloud, "pipe-never", sink)
    sqs.send_message(QueueUrl=url, MessageBody='{"vin": "V3"}')
    with PipeRunner(
        endpoint_url=cloud.endpoint.url,
        host=cloud.host,
        source_queue_url=url,
        enrichment_function="lc-BadDecoder",
        target_arn=machine,
        invocation_type="REQUEST_RESPONSE",
    ) as pipe:

        def in_dlq() -> bool:
            got = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
            return bool(got["Attributes"]["ApproximateNumberOfMessages"] == "1")

        assert _wait_for(in_dlq)
    assert pipe.stats["failed_batches"] >= 1 and pipe.stats["deleted"] == 0
    assert _inputs(sink) == []


@pytest.mark.parametrize("moto_in_memory", [True, False], ids=["moto-in-memory", "scan"])
def test_ttl_sweeper_deletes_expired_items_only(cloud: Cloud, moto_in_memory: bool) -> None:
    """Both ways of finding expired items (moto's tables read in memory when moto is of this process,
    else a Scan) delete the same items."""
    ddb = cloud.client("dynamodb")
    table = f"ttl-table-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    now = int(time.time())
    items = {
        "expired": {"N": str(now - 10)},
        "future": {"N": str(now + 3600)},
        "ancient": {"N": str(now - 6 * 365 * 24 * 3600)},  # DynamoDB ignores > 5 years in the past
        "text": {"S": str(now - 10)},  # not a number: never expires
    }
    for name, ttl in items.items():
        ddb.put_item(TableName=table, Item={"pk": {"S": name}, "sk": {"S": "x"}, "expiresAt": ttl})
    ddb.put_item(TableName=table, Item={"pk": {"S": "none"}, "sk": {"S": "x"}})
    endpoint = cloud.endpoint if moto_in_memory else AwsEndpoint(cloud.moto.url, cloud.host, in_process=False)
    if not moto_in_memory:
        endpoint.start(set_moto_port=False)
    try:
        found = table_in_process(endpoint.url, table, "us-east-1", "localcloud")
        assert (found is not None) == moto_in_memory
        sweeper = TtlSweeper(endpoint.url, {table: "expiresAt"}, interval_s=0.2)
        with sweeper:
            assert _wait_for(lambda: sweeper.deleted >= 1)
        left = sorted(i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"])
        assert left == ["ancient", "future", "none", "text"]
        assert sweeper.sweep_once() == 0
    finally:
        if not moto_in_memory:
            endpoint.stop()
