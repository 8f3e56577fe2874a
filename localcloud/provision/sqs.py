"""SQS queues (attributes, redrive policies)."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, attr_str, physical_name, truthy

QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


def create_queue(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    fifo = truthy(p.get("FifoQueue"))
    name = p.get("QueueName") or physical_name(ctx.stack, lid, 75 if fifo else 80)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attrs = {k: attr_str(p[k]) for k in QUEUE_ATTRIBUTES if k in p}
    for k in ("RedrivePolicy", "RedriveAllowPolicy"):
        if k in p:
            attrs[k] = p[k] if isinstance(p[k], str) else json.dumps(p[k])
    ignored = [
        k for k in ("KmsMasterKeyId", "SqsManagedSseEnabled", "KmsDataKeyReusePeriodSeconds") if k in p
    ]
    if ignored:
        ctx.out.notes.append(f"{lid}: SQS encryption settings {ignored} ignored (not emulated)")
    url = ctx.client("sqs").create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = ctx.arn("sqs", name)
    ctx.set(lid, url, Arn=arn, QueueName=name, QueueUrl=url)


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::SQS::Queue": create_queue,
}
