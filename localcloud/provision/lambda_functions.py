"""Lambda functions (SAM and plain), their layers and their SQS event source mappings:
configurations for the function host and the event sources (nothing is created in moto)."""

from __future__ import annotations

import hashlib
from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, attr_str, physical_name, truthy
from localcloud.provision.model import (
    EventSourceMappingConfig,
    FunctionConfig,
    FunctionUrlConfig,
    ProvisionError,
)


def create_sam_function(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    events = raw.pop("Events", None) or {}
    create_function(ctx, lid, raw, sam=True)
    for ename, ev in events.items():
        etype = ev.get("Type")
        if etype == "SQS":
            create_event_source_mapping(
                ctx, f"{lid}{ename}", {**(ev.get("Properties") or {}), "FunctionName": {"Ref": lid}}, sam=True
            )
        elif etype == "Api":
            continue  # routes come from the OpenAPI document
        else:
            ctx.out.not_emulated.append(f"{lid}.Events.{ename} ({etype} event source)")


def create_function(ctx: ProvisionContext, lid: str, raw: dict[str, Any], *, sam: bool = False) -> None:
    p = ctx.resolver.resolve(raw)
    name = p.get("FunctionName") or physical_name(ctx.stack, lid, 64)
    code = p.get("CodeUri") if sam else p.get("Code")
    code_dir = code if isinstance(code, str) else lid
    artifact = (ctx.base / code_dir).resolve()
    env = {k: attr_str(v) for k, v in ((p.get("Environment") or {}).get("Variables") or {}).items()}
    env.update(ctx.env_overrides)
    arch = (p.get("Architectures") or ["x86_64"])[0]
    arn = ctx.arn("lambda", f"function:{name}")
    rc = p.get("ReservedConcurrentExecutions")
    layers = []
    for layer in p.get("Layers") or []:  # with SAM Globals' first (merged by the provisioner)
        if str(layer) in ctx.out.layers:
            layers.append(ctx.out.layers[str(layer)])
        else:
            ctx.out.not_emulated.append(f"{lid}.Layers {layer} (a layer from outside the template)")
    ctx.out.functions[lid] = FunctionConfig(
        logical_id=lid,
        name=name,
        arn=arn,
        handler=str(p.get("Handler", "bootstrap")),
        runtime=str(p.get("Runtime", "provided.al2023")),
        artifact_dir=artifact,
        env=env,
        timeout_s=int(p.get("Timeout", 3)),
        memory_mb=int(p.get("MemorySize", 128)),
        reserved_concurrency=int(rc) if rc is not None else None,
        architecture=str(arch),
        layer_dirs=tuple(layers),
    )
    ctx.set(lid, name, Arn=arn)


def create_layer_version(ctx: ProvisionContext, lid: str, raw: dict[str, Any], *, sam: bool = False) -> None:
    """A layer of the template: its built content (``ContentUri`` of the built template), which
    the function host puts where Lambda puts ``/opt``. Ref: the layer version ARN."""
    p = ctx.resolver.resolve(raw)
    content = p.get("ContentUri") if sam else p.get("Content")
    name = p.get("LayerName") or physical_name(ctx.stack, lid, 64)
    arn = ctx.arn("lambda", f"layer:{name}:1")
    ctx.out.layers[arn] = (ctx.base / (content if isinstance(content, str) else lid)).resolve()
    ctx.set(lid, arn)


def create_sam_layer_version(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    create_layer_version(ctx, lid, raw, sam=True)


def create_event_source_mapping(
    ctx: ProvisionContext, lid: str, raw: dict[str, Any], *, sam: bool = False
) -> None:
    p = ctx.resolver.resolve(raw)
    source = p.get("Queue") if sam else p.get("EventSourceArn")
    if not isinstance(source, str) or ":sqs:" not in source:
        ctx.out.not_emulated.append(f"{lid} (event source {source!r}: only SQS is emulated)")
        return
    queue_name = source.rsplit(":", 1)[1]
    url = ctx.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]
    fn = ctx.out.function_by_name(str(p["FunctionName"]))
    if fn is None:
        raise ProvisionError(f"{lid}: event source mapping to unknown function {p['FunctionName']!r}")
    scaling = p.get("ScalingConfig") or {}
    mc = scaling.get("MaximumConcurrency")
    ctx.out.event_source_mappings.append(
        EventSourceMappingConfig(
            logical_id=lid,
            function=fn.logical_id,
            queue_url=url,
            queue_arn=source,
            batch_size=int(p.get("BatchSize", 10)),
            batching_window_s=float(p.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []),
            enabled=truthy(p.get("Enabled", True)),
            maximum_concurrency=int(mc) if mc is not None else None,
        )
    )
    ctx.set(lid, f"{lid}-uuid")


def create_function_url(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    """``AWS::Lambda::Url``: served by LocalCloud's Function URL front (``ctx.function_url``), else a
    placeholder URL. Ref: the function's ARN; GetAtt FunctionUrl (ends with "/"), FunctionArn."""
    p = ctx.resolver.resolve(raw)
    target = str(p.get("TargetFunctionArn", ""))
    fn = ctx.out.function_by_name(target)
    if fn is None:
        raise ProvisionError(f"{lid}: Function URL of unknown function {target!r}")
    auth = str(p.get("AuthType", "AWS_IAM"))
    if auth not in ("AWS_IAM", "NONE"):
        raise ProvisionError(f"{lid}: AuthType must be AWS_IAM or NONE, got {auth!r}")
    if ctx.function_url is not None:
        url = ctx.function_url(lid, fn.name, auth)
    else:
        url_id = hashlib.md5(f"{ctx.stack}/{lid}".encode()).hexdigest()
        url = f"https://{url_id}.lambda-url.{ctx.region}.on.aws/"
        ctx.out.notes.append(f"{lid}: Function URL {url} is not served (no Function URL front)")
    url = url if url.endswith("/") else url + "/"
    ctx.out.function_urls.append(FunctionUrlConfig(lid, fn.logical_id, auth, url))
    ctx.set(lid, fn.arn, FunctionUrl=url, FunctionArn=fn.arn)


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::Serverless::Function": create_sam_function,
    "AWS::Lambda::Function": create_function,
    "AWS::Lambda::EventSourceMapping": create_event_source_mapping,
    "AWS::Serverless::LayerVersion": create_sam_layer_version,
    "AWS::Lambda::LayerVersion": create_layer_version,
    "AWS::Lambda::Url": create_function_url,
}
