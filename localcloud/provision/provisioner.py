"""One provisioning run: the resources in dependency order, SAM `Globals` merged, each resource
handed to the handler of its type (`RESOURCE_HANDLERS`, joined from one module per AWS service),
the outputs resolved. `provision(...)` is the entry point (see the package docstring)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localcloud.provision import (
    apigateway,
    cognito,
    dynamodb,
    lambda_functions,
    pipes,
    sns,
    sqs,
    stepfunctions,
)
from localcloud.provision.context import FunctionUrlFactory, ProvisionContext, ResourceHandler
from localcloud.provision.intrinsics import ResolveError, references
from localcloud.provision.model import DEFAULT_ACCOUNT, Provisioned, ProvisionError
from localcloud.provision.template import load_template

#: every emulated resource type -> the handler that creates it (anything else: "not emulated")
RESOURCE_HANDLERS: dict[str, ResourceHandler] = {
    **dynamodb.HANDLERS,
    **sqs.HANDLERS,
    **sns.HANDLERS,
    **lambda_functions.HANDLERS,
    **stepfunctions.HANDLERS,
    **apigateway.HANDLERS,
    **pipes.HANDLERS,
    **cognito.HANDLERS,
}

#: SAM resource type -> its section of the template's `Globals`
GLOBALS_SECTIONS = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
}


def _merge_globals(props: dict[str, Any], glob: Mapping[str, Any]) -> dict[str, Any]:
    """SAM Globals: maps merge (resource wins), lists append, scalars: the resource wins."""
    out = copy.deepcopy(dict(glob))
    for k, v in props.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _merge_globals(v, out[k])
        elif k in out and isinstance(out[k], list) and isinstance(v, list):
            out[k] = out[k] + v
        else:
            out[k] = v
    return out


class Provisioner:
    """One provisioning run over a built template (`provision` below)."""

    def __init__(
        self,
        template_path: Path,
        endpoint_url: str,
        parameters: Mapping[str, str],
        *,
        stack_name: str,
        region: str,
        account_id: str,
        env_overrides: Mapping[str, str],
        function_url: FunctionUrlFactory | None = None,
    ) -> None:
        template = load_template(template_path)
        self.ctx = ProvisionContext(
            template_path,
            template,
            endpoint_url,
            parameters,
            stack_name=stack_name,
            region=region,
            account_id=account_id,
            env_overrides=env_overrides,
            function_url=function_url,
        )
        self.ctx.resolver.attr_fallback = self._attr_fallback
        self.resources: dict[str, dict[str, Any]] = dict(template["Resources"])
        self._add_implicit_resources()

    def _attr_fallback(self, name: str, attr: str) -> Any:
        """GetAtt on a resource that is not emulated: a plausible ARN/value, noted."""
        rtype = self.ctx.out.types.get(name) or self.resources.get(name, {}).get("Type", "")
        if not rtype:
            return None
        ref = self.ctx.resolver.refs.get(name, f"{self.ctx.stack}-{name}")
        if attr == "Arn":
            service = rtype.split("::")[1].lower() if "::" in rtype else "unknown"
            if service == "iam":
                return f"arn:aws:iam::{self.ctx.out.account_id}:role/{ref}"
            return self.ctx.arn(service, ref)
        return f"{ref}.{attr}"

    def _add_implicit_resources(self) -> None:
        """The implicit resources SAM would generate (roles, stages), so references to them resolve."""
        for lid, res in list(self.resources.items()):
            rtype = res.get("Type", "")
            props = res.get("Properties") or {}
            if (
                rtype in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
                and "Role" not in props
            ):
                self.resources.setdefault(f"{lid}Role", {"Type": "AWS::IAM::Role", "Implicit": True})
            if rtype == "AWS::Serverless::Api":
                stage = props.get("StageName", "Prod")
                stage_name = stage if isinstance(stage, str) else "Stage"
                self.resources.setdefault(
                    f"{lid}{stage_name}Stage", {"Type": "AWS::ApiGateway::Stage", "Implicit": True}
                )
                self.resources.setdefault(
                    f"{lid}Deployment", {"Type": "AWS::ApiGateway::Deployment", "Implicit": True}
                )

    def _ordered(self) -> list[str]:
        """Logical ids in dependency order (Ref/GetAtt/Sub/DependsOn, also through the `Globals`
        section a resource gets, e.g. `Layers: [!Ref NativeRuntimeLayer]`), stable otherwise."""
        globals_ = self.ctx.template.get("Globals") or {}
        deps: dict[str, set[str]] = {}
        for lid, res in self.resources.items():
            d = references(res.get("Properties") or {})
            section = GLOBALS_SECTIONS.get(str(res.get("Type", "")))
            if section is not None:
                d |= references(globals_.get(section) or {})
            dep_on = res.get("DependsOn") or []
            d |= {dep_on} if isinstance(dep_on, str) else set(dep_on)
            deps[lid] = {x for x in d if x in self.resources and x != lid}
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str, stack: list[str]) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                raise ProvisionError(f"circular dependency: {' -> '.join([*stack, n])}")
            state[n] = 1
            for m in sorted(deps[n]):
                visit(m, [*stack, n])
            state[n] = 2
            order.append(n)

        for lid in self.resources:
            visit(lid, [])
        return order

    # main ---------------------------------------------------------------------------------------
    def run(self) -> Provisioned:
        globals_ = self.ctx.template.get("Globals") or {}
        for lid in self._ordered():
            res = self.resources[lid]
            rtype = str(res.get("Type", ""))
            self.ctx.out.types[lid] = rtype
            cond = res.get("Condition")
            if cond is not None and not self.ctx.resolver.condition(cond):
                continue
            handler = RESOURCE_HANDLERS.get(rtype)
            if handler is None:
                self.ctx.resolver.refs.setdefault(lid, f"{self.ctx.stack}-{lid}")
                self.ctx.out.physical_ids[lid] = self.ctx.resolver.refs[lid]
                if not res.get("Implicit"):
                    self.ctx.out.not_emulated.append(f"{lid} ({rtype})")
                continue
            props = copy.deepcopy(res.get("Properties") or {})
            gkey = GLOBALS_SECTIONS.get(rtype)
            if gkey is not None and gkey in globals_:
                props = _merge_globals(props, globals_[gkey])
            try:
                handler(self.ctx, lid, props)
            except ResolveError as exc:
                raise ProvisionError(f"{lid} ({rtype}): {exc}") from exc
            except OSError as exc:
                raise ProvisionError(f"{lid} ({rtype}): cannot read {exc.filename}: {exc.strerror}") from exc
            except Exception as exc:
                if type(exc).__name__ in ("ClientError", "ParamValidationError", "EndpointConnectionError"):
                    raise ProvisionError(f"{lid} ({rtype}): {exc}") from exc
                raise
            self.ctx.out.physical_ids[lid] = str(self.ctx.resolver.refs.get(lid, ""))
        self.ctx.out.attributes = self.ctx.resolver.attrs
        for name, output in (self.ctx.template.get("Outputs") or {}).items():
            cond = output.get("Condition")
            if cond is not None and not self.ctx.resolver.condition(cond):
                continue
            try:
                self.ctx.out.outputs[name] = self.ctx.resolver.resolve(output.get("Value"))
            except ResolveError as exc:
                self.ctx.out.notes.append(f"output {name} not resolved: {exc}")
        return self.ctx.out


def provision(
    template_path: str | Path,
    endpoint_url: str,
    parameters: Mapping[str, str] | None = None,
    *,
    stack_name: str = "remote-services",
    region: str = "us-east-1",
    account_id: str = DEFAULT_ACCOUNT,
    env_overrides: Mapping[str, str] | None = None,
    function_url: FunctionUrlFactory | None = None,
) -> Provisioned:
    """Create every emulated resource of the built template at `endpoint_url` (the AWS endpoint, or moto).

    `env_overrides` are added to every function's environment (e.g. LIFECYCLE_TIME_SCALE).
    `function_url(url_lid, function_lid, auth_type)` serves each ``AWS::Lambda::Url`` and returns its URL.
    Raises `ProvisionError` (or `localcloud.provision.intrinsics.ResolveError` for bad parameters)
    with the logical id.
    """
    prov = Provisioner(
        Path(template_path),
        endpoint_url,
        parameters or {},
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        env_overrides=env_overrides or {},
        function_url=function_url,
    )
    return prov.run()
