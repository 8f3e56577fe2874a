"""What a client of a started local cloud uses (`LocalCloud` is one): boto3 clients at the AWS
endpoint, the physical id of a template resource, each colour's view, users and their tokens, the
events table read back, the deployed test harness, the blue/green router, and `info()`, the
description another process reads (`.localcloud/running.json`: the scenario runner, `bluegreen`).
"""

from __future__ import annotations

import threading
from typing import Any

from bluegreen.router import Router
from localcloud import wiring
from localcloud.aws.function_urls import FunctionUrlServer
from localcloud.harness_driver import HarnessDriver
from localcloud.provision import Provisioned
from localcloud.readback import EventReader
from localcloud.stacks import Environment, EnvironmentPlan
from localcloud.users import LocalUsers, NoSuchUser


class LocalCloudError(RuntimeError):
    """The local cloud could not start (missing build, provisioning failure, ...)."""


class CloudAccess:
    """The accessors of a local cloud, over the state `LocalCloud` starts (declared here)."""

    region: str
    endpoint_url: str
    api_url: str
    startup_s: float
    timings: dict[str, float]
    state_dir: Any
    api_throttle: tuple[float, float] | None
    plan: EnvironmentPlan
    stacks: Environment | None
    resources: Provisioned | None
    users: LocalUsers
    behaviours: dict[str, dict[str, Any]]
    function_urls: dict[str, FunctionUrlServer]
    colour_function_urls: dict[str, dict[str, FunctionUrlServer]]
    neighbours: dict[str, Any]  # other environments in the same account (LocalCloud views)
    _clients: dict[str, Any]
    _client_lock: threading.Lock
    _events: EventReader | None
    _mocks: HarnessDriver | None

    def colour_view(self, colour: str) -> Provisioned:
        """One colour's stack with the shared one (LocalCloudError if that colour does not run)."""
        if self.stacks is None or colour not in self.stacks.colours:
            raise LocalCloudError(
                f"colour {colour!r} does not run here (colours: {', '.join(self.plan.colours)})"
            )
        return self.stacks.view(colour)

    def call_url(self, logical_id: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A SigV4-signed request (the local boto3 credentials) to a Function URL of the template, e.g.
        ``cloud.call_url("SubscriptionMockFunctionUrl", "GET", "/stats?sinceMs=0")`` -> (status, JSON)."""
        if logical_id not in self.function_urls:
            raise LocalCloudError(f"no Function URL {logical_id!r} (harness=True deploys the mocks)")
        return wiring.signed_request(self.function_urls[logical_id].url, method, path, body, self.region)

    def physical(self, logical_id: str) -> str:
        """The physical id (name, URL or ARN) of a resource of the template."""
        assert self.resources is not None
        try:
            return self.resources.physical_ids[logical_id]
        except KeyError:
            raise LocalCloudError(f"the template has no resource {logical_id!r}") from None

    def create_user(self, username: str) -> str:
        """A new Cognito user (owning nothing unless the registry says so); returns its id token."""
        try:
            return self.users.create(username)
        except NoSuchUser as exc:
            raise LocalCloudError(str(exc)) from None

    def token(self, username: str) -> str:
        """The id token of a user of the fleet (or of one made with `create_user`)."""
        try:
            return self.users.token(username)
        except NoSuchUser as exc:
            raise LocalCloudError(str(exc)) from None

    @property
    def tokens(self) -> dict[str, str]:
        return self.users.tokens

    @property
    def subs(self) -> dict[str, str]:
        """Each user's ``sub`` (the owner id in the vehicle registry)."""
        return self.users.subs

    def router(self) -> Router:
        """The blue/green router of this environment (the shared API stage, the weights table)."""
        return Router(
            self.client("apigateway"),
            self.client("dynamodb"),
            self.physical("Api"),
            self.resources.api.stage_name if self.resources and self.resources.api else "live",
            self.physical("WeightsTable"),
        )

    def client(self, service: str) -> Any:
        """A boto3 client at the AWS endpoint (thread-safe, cached per service)."""
        with self._client_lock:
            if service not in self._clients:
                self._clients[service] = wiring.local_client(service, self.endpoint_url, self.region)
            return self._clients[service]

    @property
    def events(self) -> EventReader:
        """The EventsTable read back: ``cloud.events.wait_final(event_id)``, ``.state``, ``.history``,
        ``.items`` (`localcloud.readback`)."""
        if self._events is None:
            self._events = EventReader(self.client("dynamodb"), self.physical("EventsTable"))
        return self._events

    @property
    def mocks(self) -> HarnessDriver:
        """The deployed test harness (harness=True): ``cloud.mocks.behave(vin, record)``,
        ``.pushes(event_id)``, ``.raise_event(vin)``, ``.send_raw(topic, payload)``
        (`localcloud.harness_driver`)."""
        assert self.resources is not None, "start the local cloud first"
        if self._mocks is None:
            self._mocks = HarnessDriver(
                self.client("dynamodb"),
                self.client("sqs"),
                self.resources.physical_ids,
                self.call_url,
                self.behaviours,
            )
        return self._mocks

    def info(self) -> dict[str, Any]:
        """A JSON-able summary (URLs, resources, timings)."""
        assert self.resources is not None and self.stacks is not None
        return {
            "apiUrl": self.api_url,
            "endpointUrl": self.endpoint_url,
            "startupS": self.startup_s,
            "timings": self.timings,
            "functions": sorted(self.resources.functions),
            "notEmulated": self.resources.not_emulated,
            "notes": self.resources.notes,
            "users": sorted(self.tokens),
            "stage": self.resources.api.stage_name if self.resources.api else "",
            "apiThrottle": list(self.api_throttle) if self.api_throttle else None,
            "logs": str(self.state_dir / "logs"),
            # what a client needs to use this cloud from another process (the scenario runner)
            "region": self.region,
            "tokens": dict(self.tokens),
            "resources": dict(self.resources.physical_ids),
            "functionUrls": {logical_id: server.url for logical_id, server in self.function_urls.items()},
            # other developers' environments in the same account, each described alike
            "neighbours": {name: other.info() for name, other in self.neighbours.items()},
            # blue/green (docs/bluegreen.md): the environment, its live colour, each colour's stack
            **self.stacks.describe(
                {
                    c: {lid: srv.url for lid, srv in urls.items()}
                    for c, urls in self.colour_function_urls.items()
                }
            ),
        }
