"""The state one provisioning run shares with the per-service modules (`ProvisionContext`), and
their small helpers. A service module is a table ``HANDLERS: {resource type: handler}``; a handler
``(ctx, logical_id, properties)`` creates the resource and records its Ref/GetAtt values (`set`)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]

from localcloud.provision.intrinsics import Resolver
from localcloud.provision.model import Provisioned

#: (url logical id, function name, auth type) -> the URL that serves it (LocalCloud starts a
#: server per Function URL); None: a placeholder URL in AWS's format, not served
FunctionUrlFactory = Callable[[str, str, str], str]


class ProvisionContext:
    """One run: the template, the resolver, boto3 clients at the endpoint, and the result so far."""

    def __init__(
        self,
        template_path: Path,
        template: dict[str, Any],
        endpoint_url: str,
        parameters: Mapping[str, str],
        *,
        stack_name: str,
        region: str,
        account_id: str,
        env_overrides: Mapping[str, str],
        function_url: FunctionUrlFactory | None = None,
    ) -> None:
        self.path = template_path
        self.function_url = function_url
        self.base = template_path.parent
        self.template = template
        self.endpoint = endpoint_url.rstrip("/")
        self.region = region
        self.stack = stack_name
        self.env_overrides = dict(env_overrides)
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        self.resolver = Resolver(
            template, parameters, region=region, account_id=account_id, stack_name=stack_name
        )
        self.out = Provisioned(
            stack_name=stack_name, region=region, account_id=account_id, parameters=dict(self.resolver.params)
        )
        self.sfn_configured = False
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """A boto3 client at the endpoint (one per service)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint)
        return self._clients[service]

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        reg = self.region if region else ""
        return f"arn:aws:{service}:{reg}:{self.out.account_id}:{resource}"

    def set(self, lid: str, ref: Any, **attrs: Any) -> None:
        """What Ref (`ref`) and Fn::GetAtt (`attrs`) give for this resource from now on."""
        self.resolver.refs[lid] = ref
        self.resolver.attrs[lid] = attrs


ResourceHandler = Callable[[ProvisionContext, str, dict[str, Any]], None]


def post_json(url: str, body: Mapping[str, Any], timeout: float = 10.0) -> None:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        resp.read()


def truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def physical_name(stack: str, logical_id: str, limit: int) -> str:
    """A generated name: ``<stack>-<LogicalId>`` (AWS adds a random suffix)."""
    name = f"{stack}-{logical_id}"
    return name[:limit]


def attr_str(value: Any) -> str:
    """A property value as a string attribute (booleans as true/false, structures as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
