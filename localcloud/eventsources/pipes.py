"""EventBridge Pipes: SQS source -> optional enrichment function -> Step Functions target.

API::

    runner = PipeRunner(endpoint_url=endpoint.url, host=function_host,
                        source_queue_url=url, source_queue_arn=None,      # looked up if None
                        enrichment_function="rs-dev-vehicle-decoder",     # or None
                        target_arn=state_machine_arn,
                        batch_size=10, maximum_batching_window_s=0.0,
                        invocation_type="REQUEST_RESPONSE" | "FIRE_AND_FORGET",
                        region="us-east-1", name="IncomingPipe", concurrency=1)
    runner.start()      # returns self
    runner.stats        # {"batches", "records", "deleted", "failed_batches", "filtered_batches"}
    runner.process(messages)   # one batch (used by the poll loop; handy in tests)
    runner.stop()

As Pipes does: the batch's records (Lambda's SQS record shape) go to the enrichment function as
a JSON array; its output is the target's input (a batch is sent as one array; an empty array
or null ends the batch there, successfully). The target is the state machine:
FIRE_AND_FORGET -> StartExecution, REQUEST_RESPONSE -> StartSyncExecution (through the AWS endpoint's
emulation; FAILED / TIMED_OUT count as a failed invocation). On success the messages are deleted; on
any failure (enrichment error, target error) none is, so they come back after the visibility
timeout and the queue's redrive policy moves them to its DLQ. Not emulated: input templates,
filters, the pipe's own DLQ and retry settings.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from localcloud.aws.json_client import JsonApi
from localcloud.eventsources.sqs import BatchWorkers, SqsBatcher, failed_ids, sqs_client
from localcloud.lambda_host import FunctionHost

LOG = logging.getLogger("localcloud.eventsources.pipes")


class PipeRunner(BatchWorkers):
    """One pipe; see the module docstring."""

    def __init__(
        self,
        endpoint_url: str,
        host: FunctionHost,
        source_queue_url: str,
        target_arn: str,
        enrichment_function: str | None = None,
        source_queue_arn: str | None = None,
        batch_size: int = 1,
        maximum_batching_window_s: float = 0.0,
        invocation_type: str = "FIRE_AND_FORGET",
        region: str = "us-east-1",
        name: str = "pipe",
        concurrency: int = 1,
        wait_time_s: int = 1,
    ) -> None:
        if invocation_type not in ("FIRE_AND_FORGET", "REQUEST_RESPONSE"):
            raise ValueError(
                f"invocation_type must be FIRE_AND_FORGET or REQUEST_RESPONSE, not {invocation_type!r}"
            )
        self.name = name
        self.host = host
        self.enrichment_function = enrichment_function
        self.target_arn = target_arn
        self.invocation_type = invocation_type
        batcher = SqsBatcher(
            sqs_client(endpoint_url, region),
            source_queue_url,
            source_queue_arn,
            region,
            batch_size,
            maximum_batching_window_s,
            wait_time_s,
        )
        self._sfn = JsonApi(endpoint_url, region, "states", "AWSStepFunctions")
        stats = {"batches": 0, "records": 0, "deleted": 0, "failed_batches": 0, "filtered_batches": 0}
        super().__init__(batcher, concurrency, stats, f"pipe-{name}", f"pipe {name}")

    def process(self, messages: list[dict[str, Any]]) -> bool:
        """Run one batch through the pipe; returns whether it succeeded (and was deleted)."""
        self._count(batches=1, records=len(messages))
        records: Any = [self.batcher.record(m) for m in messages]
        to_delete = messages
        try:
            payload: Any = records
            if self.enrichment_function:
                result = self.host.invoke(self.enrichment_function, json.dumps(records).encode())
                if result.function_error:
                    raise PipeFailure(
                        f"enrichment {self.enrichment_function} failed: {result.payload[:300]!r}"
                    )
                payload = json.loads(result.payload) if result.payload.strip() else None
            if payload is None or payload == []:
                self._count(filtered_batches=1)
            else:
                failed = self._target(json.dumps(payload), {m["MessageId"] for m in messages})
                to_delete = [m for m in messages if m["MessageId"] not in failed]
        except Exception as exc:
            LOG.warning("pipe %s: batch of %d failed, left on the queue: %s", self.name, len(messages), exc)
            self._count(failed_batches=1)
            return False
        if to_delete:
            self._count(deleted=self.batcher.delete(to_delete))
        return len(to_delete) == len(messages)

    def _target(self, target_input: str, batch_ids: set[str]) -> set[str]:
        """Start the state machine; returns the message ids the target reported as failed."""
        start = {"stateMachineArn": self.target_arn, "input": target_input, "name": str(uuid.uuid4())}
        if self.invocation_type == "FIRE_AND_FORGET":
            self._sfn.call("StartExecution", start)
            return set()
        resp = self._sfn.call("StartSyncExecution", start)
        if resp.get("status") != "SUCCEEDED":
            raise PipeFailure(
                f"target execution {resp.get('status')}: {resp.get('error')}: {str(resp.get('cause'))[:300]}"
            )
        output = resp.get("output") or "null"
        failed = failed_ids(output.encode(), batch_ids) if '"batchItemFailures"' in output else set()
        if failed is None:
            raise PipeFailure("the target answered an invalid batchItemFailures")
        return failed


class PipeFailure(Exception):
    """A step of the pipe failed: the batch stays on the queue."""
