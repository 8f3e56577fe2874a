"""The ledger of AWS calls: every request through the AWS endpoint (`AwsEndpoint.on_call`), counted
by service and operation, with what each bills by.

    ledger = Ledger(); endpoint.on_call = ledger.record
    ledger.reset()                 # start of the measured run
    ledger.snapshot() -> {"calls": {"dynamodb": {"PutItem": 12, ...}, ...},
                          "dynamodb": {"readUnits", "writeUnits"}, "sqs": {"requests64k", "emptyReceives",
                          "messagesReceived"}, "lambda": {"Invoke": {function: n}},
                          "states": {"expressExecutions", "expressSeconds", "expressBilled100ms"}}

Express executions are counted from the StartSyncExecution answers (their startDate and stopDate):
on AWS, as locally since moto forgets ended Express executions (`localcloud.aws.moto_executions`),
ListExecutions does not list them.

The service comes from the request's SigV4 credential scope (or the Lambda Invoke path), the
operation from X-Amz-Target (JSON protocols: DynamoDB, SQS, Step Functions, Cognito) or the Action
parameter (query protocols: SNS).
"""

from __future__ import annotations

import json
import math
import re
import threading
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from localcloud.aws.http_common import header
from localcloud.aws.lambda_invoke import invoke_name
from localcloud.usage.dynamodb_units import units

SQS_CHUNK = 64 * 1024
SYNC_EXECUTION = ("states", "StartSyncExecution")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_TARGET_SERVICE = {
    "DynamoDB_20120810": "dynamodb",
    "AmazonSQS": "sqs",
    "AWSStepFunctions": "states",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}


def service_operation(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[str, str]:
    """(service, operation) of one AWS request."""
    function = invoke_name(method, path)
    if function is not None:
        return "lambda", "Invoke"
    target = header(headers, "X-Amz-Target") or ""
    if target and "." in target:
        prefix, operation = target.rsplit(".", 1)
        return _TARGET_SERVICE.get(prefix, prefix), operation
    scope = _SCOPE.search(header(headers, "Authorization") or "")
    service = scope.group(1) if scope else "unknown"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body[:1] not in (b"{", b"[") else {}
    action = (form.get("Action") or query.get("Action") or [f"{method} {urllib.parse.urlsplit(path).path}"])[
        0
    ]
    return service, action


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Ledger:
    """Thread-safe counters of the calls since the last `reset()`. `ignore_resources`: table and queue
    names whose calls are not counted (a test harness's), `ignore_operations`: (service, operation)
    pairs that only a measurement makes (GetQueueAttributes, while it waits for the queues)."""

    def __init__(
        self, ignore_resources: Iterable[str] = (), ignore_operations: Iterable[tuple[str, str]] = ()
    ) -> None:
        self._lock = threading.Lock()
        self.ignore_resources = set(ignore_resources)
        self.ignore_operations = set(ignore_operations)
        self.ignored = 0
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.calls: defaultdict[str, Counter[str]] = defaultdict(Counter)
            self.invocations: Counter[str] = Counter()
            self.read_units = self.write_units = 0.0
            self.sqs_chunks = self.empty_receives = self.messages_received = 0
            self.received_by_queue: Counter[str] = Counter()  # queue name -> messages received
            self.express_executions = self.express_billed_100ms = 0
            self.express_seconds = 0.0
            self.ignored = 0

    def record(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        status: int,
        response: bytes,
    ) -> None:
        service, operation = service_operation(method, path, headers, body)
        request = _json(body) if service in ("dynamodb", "sqs") else {}
        resource = str(request.get("TableName") or request.get("QueueUrl", "")).rsplit("/", 1)[-1]
        if (service, operation) in self.ignore_operations or resource in self.ignore_resources:
            with self._lock:
                self.ignored += 1
            return
        rru = wru = 0.0
        chunks = empty = received = 0
        queue = ""
        if service == "dynamodb":
            rru, wru = units(operation, request, _json(response) if status < 300 else {})
        elif service == "sqs":
            chunks = max(1, math.ceil(len(body) / SQS_CHUNK))
            if operation == "ReceiveMessage" and status < 300:
                received = len(_json(response).get("Messages") or [])
                empty = 1 if received == 0 else 0
                queue = resource
        express_ms = (
            _sync_duration_ms(response) if (service, operation) == SYNC_EXECUTION and status < 300 else None
        )
        with self._lock:
            self.calls[service][operation] += 1
            if express_ms is not None:
                self.express_executions += 1
                self.express_seconds += express_ms / 1000
                self.express_billed_100ms += math.ceil(max(express_ms, 1) / 100)
            if service == "lambda":
                self.invocations[invoke_name(method, path) or "?"] += 1
            self.read_units += rru
            self.write_units += wru
            self.sqs_chunks += chunks
            self.empty_receives += empty
            self.messages_received += received
            if queue:
                self.received_by_queue[queue] += received

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "ignoredCalls": self.ignored,
                "calls": {s: dict(sorted(ops.items())) for s, ops in sorted(self.calls.items())},
                "lambdaInvocations": dict(sorted(self.invocations.items())),
                "dynamodb": {"readUnits": self.read_units, "writeUnits": self.write_units},
                "sqs": {
                    "requests64k": self.sqs_chunks,
                    "emptyReceives": self.empty_receives,
                    "messagesReceived": self.messages_received,
                    "receivedByQueue": dict(sorted(self.received_by_queue.items())),
                },
                "states": {
                    "expressExecutions": self.express_executions,
                    "expressSeconds": round(self.express_seconds, 3),
                    "expressBilled100ms": self.express_billed_100ms,
                },
            }


def _sync_duration_ms(response: bytes) -> float | None:
    """An ended execution's duration from a StartSyncExecution answer (epoch-second dates)."""
    answer = _json(response)
    start, stop = answer.get("startDate"), answer.get("stopDate")
    if not isinstance(start, int | float) or not isinstance(stop, int | float):
        return None
    return max((stop - start) * 1000, 0.0)
