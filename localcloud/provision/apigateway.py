"""REST APIs: the OpenAPI document with `AWS::Include` expanded and intrinsics resolved, for
`localcloud.apigateway`; the API and its stage (variables, canary settings) are created in moto, where
the front reads the stage (docs/bluegreen.md)."""

from __future__ import annotations

import hashlib
from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler
from localcloud.provision.model import ApiConfig, ProvisionError
from localcloud.provision.template import load_yaml


def include(ctx: ProvisionContext, value: Any) -> Any:
    """Expand `Fn::Transform: {Name: AWS::Include, Parameters: {Location}}` (relative to the template)."""
    if isinstance(value, dict):
        if len(value) == 1 and "Fn::Transform" in value:
            spec = value["Fn::Transform"]
            if spec.get("Name") != "AWS::Include":
                raise ProvisionError(f"transform {spec.get('Name')!r} is not supported locally")
            loc = ctx.resolver.resolve(spec["Parameters"]["Location"])
            if str(loc).startswith("s3://"):
                raise ProvisionError(f"AWS::Include from S3 ({loc}) is not supported locally")
            text = (ctx.base / str(loc)).read_text(encoding="utf-8")
            return include(ctx, load_yaml(text))
        return {k: include(ctx, v) for k, v in value.items()}
    if isinstance(value, list):
        return [include(ctx, v) for v in value]
    return value


def create_sam_api(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    body = raw.pop("DefinitionBody", None)
    p = ctx.resolver.resolve(raw)
    if body is not None:
        openapi = ctx.resolver.resolve(include(ctx, body))
    elif isinstance(p.get("DefinitionUri"), str):
        openapi = ctx.resolver.resolve(load_yaml((ctx.base / p["DefinitionUri"]).read_text(encoding="utf-8")))
    else:
        raise ProvisionError(f"{lid}: only DefinitionBody/DefinitionUri APIs are emulated")
    add_api(ctx, lid, openapi, str(p.get("StageName", "Prod")), p)


def create_rest_api(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    body = raw.pop("Body", None)
    if body is None:
        ctx.out.not_emulated.append(f"{lid} (AWS::ApiGateway::RestApi without Body)")
        ctx.set(lid, f"{lid.lower()[:10]}")
        return
    openapi = ctx.resolver.resolve(include(ctx, body))
    add_api(ctx, lid, openapi, "Prod", ctx.resolver.resolve(raw))


def add_api(
    ctx: ProvisionContext, lid: str, openapi: dict[str, Any], stage: str, props: dict[str, Any]
) -> None:
    """The API (its id ten characters, as on AWS, stable per stack and logical id) and its stage, with
    the stage's variables and canary settings, in moto's API Gateway: the local front serves the
    document and reads the stage from there for each request (`localcloud.apigateway.stage_source`),
    so that UpdateStage (the canary shift, docs/bluegreen.md) steers it as it steers AWS's."""
    rest_id = hashlib.sha256(f"{ctx.stack}/{lid}".encode()).hexdigest()[:10]
    apigw = ctx.client("apigateway")
    name = str(props.get("Name") or f"{ctx.stack}-{lid}")
    apigw.create_rest_api(name=name, tags={"_custom_id_": rest_id})
    # moto holds the API and its stage, not its routes (the front serves the document): one MOCK
    # method, because a deployment needs at least one
    root = apigw.get_resources(restApiId=rest_id)["items"][0]["id"]
    apigw.put_method(restApiId=rest_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=rest_id, resourceId=root, httpMethod="ANY", type="MOCK")
    variables = {str(k): str(v) for k, v in (props.get("Variables") or {}).items()}
    apigw.create_deployment(restApiId=rest_id, stageName=stage, variables=variables)
    canary = props.get("CanarySetting")
    if isinstance(canary, dict):
        ops = [
            {
                "op": "replace",
                "path": "/canarySettings/percentTraffic",
                "value": str(canary.get("PercentTraffic", 0)),
            }
        ]
        for key, value in (canary.get("StageVariableOverrides") or {}).items():
            ops.append(
                {
                    "op": "replace",
                    "path": f"/canarySettings/stageVariableOverrides/{key}",
                    "value": str(value),
                }
            )
        apigw.update_stage(restApiId=rest_id, stageName=stage, patchOperations=ops)
    ctx.set(lid, rest_id, RootResourceId="root")
    ctx.out.apis.append(ApiConfig(lid, rest_id, stage, openapi, props))


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::Serverless::Api": create_sam_api,
    "AWS::ApiGateway::RestApi": create_rest_api,
}
