"""DynamoDB's conditional writes are atomic per item on AWS, and so on the local cloud's moto (the
fidelity patch in localcloud/moto_patches.py): two deciders racing on one STATE item never both win
against the same old item, so RUNNING can never overwrite EXECUTED."""

from __future__ import annotations

import importlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from localcloud.aws.moto_server import MotoServer
from tests.support.moto import running_moto


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


def client(url: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t",
        aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


def advance(
    ddb: Any, event_id: str, status: str, rank: int, out: dict[str, str], start: threading.Barrier
) -> None:
    start.wait()
    try:
        ddb.update_item(
            TableName="state",
            Key={"eventId": {"S": event_id}, "sk": {"S": "STATE"}},
            UpdateExpression="SET #status = :status, statusRank = :rank",
            ConditionExpression="statusRank < :rank",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": {"S": status}, ":rank": {"N": str(rank)}},
        )
        out[status] = "won"
    except ddb.exceptions.ConditionalCheckFailedException:
        out[status] = "lost"


@pytest.fixture
def slow_conditions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen moto's window between a condition's check and the write (20 ms after every check), so a
    missing lock shows on every race instead of once in thousands."""
    import time

    models = importlib.import_module("moto.dynamodb.models")
    make_parser = models.create_condition_expression_parser

    class SlowCheck:
        def __init__(self, op: Any) -> None:
            self.op = op

        def expr(self, item: Any) -> Any:
            result = self.op.expr(item)
            time.sleep(0.02)
            return result

    class SlowParser:
        def __init__(self, parser: Any) -> None:
            self.parser = parser

        def parse(self) -> SlowCheck:
            return SlowCheck(self.parser.parse())

    monkeypatch.setattr(models, "create_condition_expression_parser", lambda *a: SlowParser(make_parser(*a)))


def test_two_racing_conditional_updates_are_serialised(moto: MotoServer, slow_conditions: None) -> None:
    setup, a, b = client(moto.url), client(moto.url), client(moto.url)
    setup.create_table(
        TableName="state",
        KeySchema=[
            {"AttributeName": "eventId", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "eventId", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    outcomes: Counter[tuple[str, str, str]] = Counter()
    for i in range(30):
        key = {"eventId": {"S": f"e{i}"}, "sk": {"S": "STATE"}}
        setup.put_item(TableName="state", Item={**key, "status": {"S": "PENDING"}, "statusRank": {"N": "1"}})
        out: dict[str, str] = {}
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=advance, args=(a, f"e{i}", "RUNNING", 2, out, start)),
            threading.Thread(target=advance, args=(b, f"e{i}", "EXECUTED", 3, out, start)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = setup.get_item(TableName="state", Key=key, ConsistentRead=True)["Item"]["status"]["S"]
        outcomes[(out["RUNNING"], out["EXECUTED"], final)] += 1
    # RUNNING first then EXECUTED (both won), or EXECUTED first and RUNNING refused: never RUNNING last
    assert set(outcomes) <= {("won", "won", "EXECUTED"), ("lost", "won", "EXECUTED")}, outcomes
