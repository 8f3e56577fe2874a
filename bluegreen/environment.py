"""Where an environment's router is and how to reach its colours: the running local cloud (its
`.localcloud/running.json`) or a deployed environment (its stacks' outputs: `<env>-shared`,
`<env>-blue`, `<env>-green`, as `make deploy` names them).

    env = local_environment(info)                       # python -m localcloud serve --colours blue,green
    env = deployed_environment("alice", "eu-central-1")
    env.router(), env.client("sqs"), env.name
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]

from bluegreen.router import Router
from simulator.runner.targets import TargetError, stack_outputs

STAGE = "live"  # stacks/shared.yaml's StageName


@dataclass
class EnvironmentRef:
    """One environment: its name, region, AWS endpoint (None: AWS itself) and its router's ids."""

    name: str
    region: str
    endpoint_url: str | None
    rest_api_id: str
    weights_table: str
    stage: str = STAGE
    local: bool = False
    _session: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self._session is None:
                keys = (
                    {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if self.local else {}
                )
                self._session = boto3.session.Session(region_name=self.region, **keys)
            self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url)
        return self._clients[service]

    def router(self) -> Router:
        return Router(
            self.client("apigateway"),
            self.client("dynamodb"),
            self.rest_api_id,
            self.stage,
            self.weights_table,
        )


def local_environment(info: Mapping[str, Any]) -> EnvironmentRef:
    """The running local cloud's environment, from what it publishes (`LocalCloud.info()`)."""
    resources = info.get("resources") or {}
    missing = [r for r in ("Api", "WeightsTable") if r not in resources]
    if missing:
        raise TargetError(f"the local cloud publishes no {', '.join(missing)}: is it an older one?")
    return EnvironmentRef(
        name=str(info.get("environment", "dev")),
        region=str(info.get("region", "us-east-1")),
        endpoint_url=str(info["endpointUrl"]),
        rest_api_id=str(resources["Api"]),
        weights_table=str(resources["WeightsTable"]),
        local=True,
    )


def deployed_environment(name: str, region: str, shared_stack: str | None = None) -> EnvironmentRef:
    """A deployed environment, from its shared stack's outputs (ApiId, WeightsTableName)."""
    stack = shared_stack or f"{name}-shared"
    session = boto3.session.Session(region_name=region)
    outputs = stack_outputs(session.client("cloudformation"), stack, region)
    missing = [k for k in ("ApiId", "WeightsTableName") if k not in outputs]
    if missing:
        raise TargetError(f"stack {stack!r} has no output {', '.join(missing)}: is it stacks/shared.yaml?")
    return EnvironmentRef(
        name=name,
        region=region,
        endpoint_url=None,
        rest_api_id=outputs["ApiId"],
        weights_table=outputs["WeightsTableName"],
        _session=session,
    )
