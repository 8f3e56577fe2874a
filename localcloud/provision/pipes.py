"""EventBridge Pipes (SQS source, enrichment, Step Functions target): a configuration for
`localcloud.eventsources.pipes`."""

from __future__ import annotations

from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, physical_name
from localcloud.provision.model import PipeConfig


def create_pipe(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    source = str(p["Source"])
    if ":sqs:" not in source:
        ctx.out.not_emulated.append(f"{lid} (pipe source {source}: only SQS is emulated)")
        return
    url = ctx.client("sqs").get_queue_url(QueueName=source.rsplit(":", 1)[1])["QueueUrl"]
    sqs_params = (p.get("SourceParameters") or {}).get("SqsQueueParameters") or {}
    target = str(p["Target"])
    if ":states:" not in target:
        ctx.out.not_emulated.append(f"{lid} (pipe target {target}: only Step Functions is emulated)")
        return
    tparams = p.get("TargetParameters") or {}
    enrichment = p.get("Enrichment")
    fn_name = None
    if enrichment:
        fn = ctx.out.function_by_name(str(enrichment))
        fn_name = fn.name if fn else str(enrichment).split(":")[6]
    name = p.get("Name") or physical_name(ctx.stack, lid, 64)
    if (p.get("SourceParameters") or {}).get("FilterCriteria"):
        ctx.out.not_emulated.append(f"{lid}.SourceParameters.FilterCriteria (pipe filtering)")
    ctx.out.pipes.append(
        PipeConfig(
            logical_id=lid,
            name=name,
            source_queue_url=url,
            source_queue_arn=source,
            enrichment_function=fn_name,
            target_arn=target,
            invocation_type=str(
                (tparams.get("StepFunctionStateMachineParameters") or {}).get(
                    "InvocationType", "FIRE_AND_FORGET"
                )
            ),
            batch_size=int(sqs_params.get("BatchSize", 1)),
            batching_window_s=float(sqs_params.get("MaximumBatchingWindowInSeconds", 0)),
            input_template=tparams.get("InputTemplate"),
        )
    )
    arn = ctx.arn("pipes", f"pipe/{name}")
    ctx.set(lid, name, Arn=arn)


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::Pipes::Pipe": create_pipe,
}
