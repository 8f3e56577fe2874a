"""Step Functions state machines (definition or DefinitionUri, DefinitionSubstitutions)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, attr_str, physical_name, post_json
from localcloud.provision.model import ProvisionError


def _enable_executions(ctx: ProvisionContext) -> None:
    if ctx.sfn_configured:
        return
    post_json(f"{ctx.endpoint}/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
    ctx.sfn_configured = True


def create_sam_state_machine(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    if "Definition" in p:
        definition = json.dumps(p["Definition"])
    elif "DefinitionUri" in p:
        uri = p["DefinitionUri"]
        if not isinstance(uri, str):
            raise ProvisionError(f"{lid}: DefinitionUri as an S3 location is not supported locally")
        definition = (ctx.base / uri).read_text(encoding="utf-8")
    else:
        raise ProvisionError(f"{lid}: no Definition/DefinitionUri")
    create_state_machine(
        ctx,
        lid,
        definition,
        p.get("DefinitionSubstitutions") or {},
        p.get("Name"),
        p.get("Type", "STANDARD"),
        p.get("Role"),
    )
    if p.get("Events"):
        ctx.out.not_emulated.append(f"{lid}.Events (state machine event sources)")


def create_state_machine_resource(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    if "DefinitionString" in p:
        definition = p["DefinitionString"]
    elif "Definition" in p:
        definition = json.dumps(p["Definition"])
    else:
        raise ProvisionError(f"{lid}: DefinitionS3Location is not supported locally")
    create_state_machine(
        ctx,
        lid,
        definition,
        p.get("DefinitionSubstitutions") or {},
        p.get("StateMachineName"),
        p.get("StateMachineType", "STANDARD"),
        p.get("RoleArn"),
    )


def create_state_machine(
    ctx: ProvisionContext,
    lid: str,
    definition: str,
    subs: Mapping[str, Any],
    name: str | None,
    smtype: str,
    role: str | None,
) -> None:
    _enable_executions(ctx)
    for key, value in subs.items():
        definition = definition.replace("${" + key + "}", attr_str(value))
    left = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition)))
    if left:
        ctx.out.notes.append(f"{lid}: placeholders without a DefinitionSubstitution: {left}")
    try:
        json.loads(definition)
    except ValueError as exc:
        raise ProvisionError(f"{lid}: the definition is not valid JSON after substitution: {exc}") from exc
    name = name or physical_name(ctx.stack, lid, 80)
    role = role or f"arn:aws:iam::{ctx.out.account_id}:role/{ctx.stack}-{lid}Role"
    arn = ctx.client("stepfunctions").create_state_machine(
        name=name, definition=definition, roleArn=role, type=smtype
    )["stateMachineArn"]
    ctx.set(lid, arn, Arn=arn, Name=name, StateMachineRevisionId=arn)


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::Serverless::StateMachine": create_sam_state_machine,
    "AWS::StepFunctions::StateMachine": create_state_machine_resource,
}
