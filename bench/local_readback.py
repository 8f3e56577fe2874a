"""What the benchmark reads back from a running local cloud: STATE items, queue depths, dead letters,
and which fleet vehicles answer commands."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped, unused-ignore]

from localcloud.cloud import LocalCloud
from remote_services.events_table import STATE_SK
from remote_services.harness.behaviour import parse_behaviour


def read_states(cloud: LocalCloud, event_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """The STATE item of each event, read back from DynamoDB (GetItem, strongly consistent: moto's
    Query walks the whole table, which costs minutes after a long run)."""
    ddb = cloud.client("dynamodb")
    table = cloud.physical("EventsTable")
    plain = TypeDeserializer()

    def get(eid: str) -> dict[str, Any] | None:
        key = {"eventId": {"S": eid}, "sk": {"S": STATE_SK}}
        item = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return {k: plain.deserialize(v) for k, v in item.items()} if item else None

    ids = list(event_ids)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(ids, pool.map(get, ids), strict=True))


def evidence(cloud: LocalCloud, event_ids: Iterable[str], limit: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Every EventsTable item (STATE, H#..., LATE#..., PUSH) of up to `limit` events, for the report:
    what each component decided about a command counted as a false timeout or lost."""
    return {eid: cloud.events.items(eid) for eid in list(event_ids)[:limit]}


def queue_urls(cloud: LocalCloud, dead_letter: bool) -> dict[str, str]:
    assert cloud.resources is not None
    return {
        lid: url
        for lid, url in cloud.resources.physical_ids.items()
        if cloud.resources.types.get(lid) == "AWS::SQS::Queue" and ("DeadLetter" in lid) == dead_letter
    }


def settle(cloud: LocalCloud, timeout_s: float = 120.0) -> float:
    """Wait until every queue but the DLQs is empty (delayed and in-flight included); seconds waited."""
    sqs = cloud.client("sqs")
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        busy = 0
        for url in queue_urls(cloud, dead_letter=False).values():
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            busy += sum(int(attrs.get(n, 0)) for n in names)
        if busy == 0:
            break
        time.sleep(1.0)
    return round(time.monotonic() - t0, 1)


def dead_letter_counts(cloud: LocalCloud) -> dict[str, int]:
    """Messages in each dead-letter queue (cumulative since the cloud started)."""
    sqs = cloud.client("sqs")
    out = {}
    for lid, url in queue_urls(cloud, dead_letter=True).items():
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        out[lid] = int(attrs["Attributes"].get("ApproximateNumberOfMessages", 0))
    return out


def answering(cloud: LocalCloud) -> Callable[[str], bool]:
    """answers(vin): the vehicle of the fleet is seeded to send its done (connected, not silent)."""
    records = {vin: parse_behaviour(record)["vehicle"] for vin, record in cloud.behaviours.items()}
    return lambda vin: vin in records and bool(records[vin]["connected"] and records[vin]["done"]["send"])


def answers_at_once(record: Mapping[str, Any]) -> bool:
    """The behaviour record makes the vehicle ack and execute at once, through an accepting broker."""
    b = parse_behaviour(record)
    vehicle = b["vehicle"]
    return (
        b["broker"]["mode"] == "accept"
        and bool(vehicle["connected"] and vehicle["ack"]["send"] and vehicle["done"]["send"])
        and vehicle["ack"]["delayMs"] == vehicle["done"]["delayMs"] == 0
        and vehicle["done"]["result"] == "EXECUTED"
        and vehicle["repeat"] == 1
    )


def bench_vins(cloud: LocalCloud) -> list[str]:
    """The benchmarks' vehicles: owner `bench`, seeded to answer at once (fleet-immediate.yaml)."""
    return [
        vin
        for vin, record in cloud.behaviours.items()
        if cloud.fleet.vehicles[vin].owner == "bench" and answers_at_once(record)
    ]
