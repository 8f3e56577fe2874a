"""SQS event-source mappings: queue -> Lambda, as the Lambda service's pollers do it.

API::

    source = SqsEventSource(endpoint_url=endpoint.url, queue_url=url, function_name="rs-dev-persister",
                            host=function_host, batch_size=10, maximum_batching_window_s=0.0,
                            report_batch_item_failures=True, region="us-east-1",
                            queue_arn=None,            # looked up if None
                            concurrency=2,             # poller threads (ScalingConfig.MaximumConcurrency)
                            wait_time_s=1)
    source.start()      # returns self
    source.stats        # {"batches", "records", "deleted", "failed_batches", "failed_records"}
    source.stop()       # finishes the batch in hand, then stops

    # shared with pipes.PipeRunner:
    batcher = SqsBatcher(sqs_client, queue_url, queue_arn, region, batch_size, window_s, wait_time_s)
    messages = batcher.receive_batch(stop_event)     # raw ReceiveMessage messages
    records = [batcher.record(m) for m in messages]  # the event record Lambda / Pipes send
    batcher.delete(messages)

Semantics (as on AWS): ReceiveMessage long polls (up to 10 messages a call) and accumulates
until the batch is full or the batching window (counted from the first message) elapsed. The
function gets ``{"Records": [...]}`` in Lambda's exact SQS shape. Success deletes the batch;
with ``ReportBatchItemFailures`` every message except the reported ``batchItemFailures`` is
deleted, and an invalid response (not JSON, unknown or empty itemIdentifier) fails the whole
batch. A function error deletes nothing: the messages come back after the visibility timeout
and moto's redrive moves them to the DLQ once received ``maxReceiveCount`` times (moto does
that on ReceiveMessage, like SQS). moto's own event-source mappings are never used.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

from localcloud.aws.json_client import JsonApi
from localcloud.lambda_host import FunctionHost

LOG = logging.getLogger("localcloud.eventsources.sqs")
MAX_PER_RECEIVE = 10


def sqs_client(endpoint_url: str, region: str) -> JsonApi:
    """The SQS JSON 1.0 API of the local cloud (in-process when the endpoint is of this process)."""
    return JsonApi(endpoint_url, region, "sqs", "AmazonSQS")


class SqsBatcher:
    """Receives batches from one queue and turns messages into event records."""

    def __init__(
        self,
        client: JsonApi,
        queue_url: str,
        queue_arn: str | None,
        region: str,
        batch_size: int,
        window_s: float,
        wait_time_s: int = 1,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.client = client
        self.queue_url = queue_url
        self.region = region
        self.batch_size = batch_size
        self.window_s = max(window_s, 0.0)
        self.wait_time_s = max(min(wait_time_s, 20), 0)
        self.queue_arn = queue_arn or self._arn()

    def _arn(self) -> str:
        attrs = self.client.call(
            "GetQueueAttributes", {"QueueUrl": self.queue_url, "AttributeNames": ["QueueArn"]}
        )
        return str(attrs["Attributes"]["QueueArn"])

    def _receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        resp = self.client.call(
            "ReceiveMessage",
            {
                "QueueUrl": self.queue_url,
                "MaxNumberOfMessages": max(1, min(count, MAX_PER_RECEIVE)),
                "WaitTimeSeconds": wait_s,
                "MessageSystemAttributeNames": ["All"],
                "MessageAttributeNames": ["All"],
            },
        )
        messages: list[dict[str, Any]] = resp.get("Messages", [])
        return messages

    def receive_batch(self, stop: threading.Event) -> list[dict[str, Any]]:
        """Up to `batch_size` messages; empty only if `stop` was set meanwhile."""
        batch: list[dict[str, Any]] = []
        first_at = 0.0
        while not stop.is_set():
            if not batch:
                got = self._receive(self.batch_size, self.wait_time_s)
                if got:
                    first_at = time.monotonic()
                    batch.extend(got)
            else:
                remaining = first_at + self.window_s - time.monotonic()
                if remaining <= 0:
                    break
                if remaining >= 1.0:
                    got = self._receive(self.batch_size - len(batch), int(min(remaining, 20)))
                else:
                    got = self._receive(self.batch_size - len(batch), 0)
                    if not got:
                        stop.wait(min(remaining, 0.05))
                _merge(batch, got)
            if batch and (len(batch) >= self.batch_size or self.window_s <= 0):
                break
        return batch

    def record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """The record Lambda (and Pipes) put in the event for one SQS message."""
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": {str(k): str(v) for k, v in (message.get("Attributes") or {}).items()},
            "messageAttributes": {
                str(name): _attribute(value)
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
        if message.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def delete(self, messages: Sequence[Mapping[str, Any]]) -> int:
        """DeleteMessageBatch, 10 at a time; returns how many were deleted."""
        deleted = 0
        for start in range(0, len(messages), MAX_PER_RECEIVE):
            chunk = messages[start : start + MAX_PER_RECEIVE]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            resp = self.client.call("DeleteMessageBatch", {"QueueUrl": self.queue_url, "Entries": entries})
            deleted += len(resp.get("Successful", []))
            for failure in resp.get("Failed", []):
                LOG.warning("%s: could not delete a message: %s", self.queue_url, failure)
        return deleted


def _merge(batch: list[dict[str, Any]], got: list[dict[str, Any]]) -> None:
    """Add received messages; one received again (its visibility timeout ran out while the batch
    was gathering) replaces the earlier copy, whose receipt handle is no longer valid."""
    index = {m["MessageId"]: i for i, m in enumerate(batch)}
    for message in got:
        at = index.get(message["MessageId"])
        if at is None:
            index[message["MessageId"]] = len(batch)
            batch.append(message)
        else:
            batch[at] = message


def _attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS's MessageAttributeValue (JSON protocol: binary values already base64) -> Lambda's shape."""
    out: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_b64(v) for v in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = _b64(value["BinaryValue"])
    return out


def _b64(data: Any) -> str:
    if isinstance(data, str):  # the JSON protocol carries binary values base64-encoded already
        return data
    return base64.b64encode(bytes(data)).decode()


def failed_ids(payload: bytes, batch_ids: set[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures response names; None = the whole batch failed."""
    text = payload.strip()
    if not text or text == b"null":
        return set()
    try:
        response = json.loads(text)
    except ValueError:
        return None
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    ids: set[str] = set()
    for item in failures:
        if not isinstance(item, dict):
            return None
        ident = item.get("itemIdentifier")
        if not isinstance(ident, str) or not ident or ident not in batch_ids:
            return None
        ids.add(ident)
    return ids


class BatchWorkers:
    """Worker threads that take batches from an ``SqsBatcher`` and hand each to ``process``:
    the loop, start/stop and the stats counter shared by event-source mappings and pipes."""

    def __init__(
        self, batcher: SqsBatcher, concurrency: int, stats: dict[str, int], label: str, what: str
    ) -> None:
        self.batcher = batcher
        self.concurrency = max(concurrency, 1)
        self.stats = stats
        self._label = label  # names the threads
        self._what = what  # names the worker in the log line of a failed batch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def process(self, messages: list[dict[str, Any]]) -> object:
        raise NotImplementedError

    def start(self) -> Self:
        if self._threads:
            return self
        self._stop.clear()
        for i in range(self.concurrency):
            thread = threading.Thread(target=self._run, name=f"{self._label}-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop polling; a batch in hand is finished first."""
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.1))
        self._threads = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for key, value in deltas.items():
                self.stats[key] += value

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self.batcher.receive_batch(self._stop)
                if messages:
                    self.process(messages)
            except Exception:
                LOG.exception("%s failed; retrying", self._what)
                self._stop.wait(1.0)


class SqsEventSource(BatchWorkers):
    """One event-source mapping; see the module docstring."""

    def __init__(
        self,
        endpoint_url: str,
        queue_url: str,
        function_name: str,
        host: FunctionHost,
        batch_size: int = 10,
        maximum_batching_window_s: float = 0.0,
        report_batch_item_failures: bool = False,
        region: str = "us-east-1",
        queue_arn: str | None = None,
        concurrency: int = 2,
        wait_time_s: int = 1,
        function_response_types: list[str] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.queue_url = queue_url
        self.function_name = function_name
        self.host = host
        self.report_batch_item_failures = report_batch_item_failures or "ReportBatchItemFailures" in (
            function_response_types or []
        )
        self._client = sqs_client(endpoint_url, region)
        self.batcher = SqsBatcher(
            self._client, queue_url, queue_arn, region, batch_size, maximum_batching_window_s, wait_time_s
        )
        super().__init__(
            self.batcher,
            concurrency,
            {"batches": 0, "records": 0, "deleted": 0, "failed_batches": 0, "failed_records": 0},
            f"sqs-poller-{function_name}",
            f"poller for {function_name} on {queue_url}",
        )

    def process(self, messages: list[dict[str, Any]]) -> None:
        """Invoke the function with one batch and delete what succeeded."""
        records = [self.batcher.record(m) for m in messages]
        payload = json.dumps({"Records": records}).encode()
        result = self.host.invoke(self.function_name, payload)
        self._count(batches=1, records=len(messages))
        if result.function_error:
            self._count(failed_batches=1, failed_records=len(messages))
            return
        to_delete = messages
        if self.report_batch_item_failures:
            failed = failed_ids(result.payload, {m["MessageId"] for m in messages})
            if failed is None:
                LOG.warning(
                    "%s: invalid batchItemFailures response: the whole batch failed", self.function_name
                )
                self._count(failed_batches=1, failed_records=len(messages))
                return
            to_delete = [m for m in messages if m["MessageId"] not in failed]
            if failed:
                self._count(failed_records=len(failed))
        if to_delete:
            self._count(deleted=self.batcher.delete(to_delete))
