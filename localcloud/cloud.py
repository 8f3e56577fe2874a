"""LocalCloud: the whole chain on one machine, from the built template, with no Docker.

    with LocalCloud(build_dir=".aws-sam/build", time_scale=0.1) as cloud:
        token = cloud.token("alice")                  # Cognito id token (user from simulator/fleet.json)
        requests to cloud.api_url + "/v1/vehicles/{vin}/services/HORN_BLOW"
        cloud.client("dynamodb")                      # boto3 at the AWS endpoint
        cloud.pushes(event_id)                        # what the app's push channel received
        cloud.raise_event(vin)                        # a theft alarm, through the broker mock

By default the template's test harness runs (DeployTestHarness "true", docs/test-harness.md): the
connector, the distributor and the disclosure module call the deployed broker and subscription mocks
(native functions behind SigV4 Function URLs: `cloud.call_url("SubscriptionMockFunctionUrl", "GET",
"/stats")`), every vehicle of the fleet gets its behaviour record in HarnessTable at seed time (from
`simulator/scenarios/fleet-*.yaml`, delays at the time scale; `cloud.behave(vin, behaviour)` changes
it). `harness=False`: the in-process broker, subscriber and disclosure mocks and vehicle simulator
(`cloud.broker`, `cloud.subscriber`, `cloud.disclosure`, `cloud.simulator`) instead, until the
benchmark reads its pushes from the harness too.

Start order: moto -> function host + AWS endpoint (MOTO_PORT) -> (harness=False: the in-process
mocks, their URLs the template parameters BrokerUrl / SubscriberUrl / DisclosureUrl) -> provision
(every AWS::Lambda::Url gets its HTTP front, `localcloud.aws.function_urls`) -> functions registered
-> fleet seeded (Cognito users, registry, weights, behaviour records) -> SQS pollers, pipes, TTL
sweeper -> the REST API. `stop()` undoes it in reverse order.

The API stage is throttled as on AWS (token bucket -> 429), from the template's stage settings; by
default with the LOCAL rate and burst below (template parameters ApiThrottleRate/ApiThrottleBurst
overridden), because one machine finishes far fewer commands per second than the template's 200/s.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from localcloud import fleet_seed, readback, wiring
from localcloud.apigateway import UserPool
from localcloud.aws.dynamodb_ttl import TtlSweeper
from localcloud.aws.endpoint import AwsEndpoint
from localcloud.aws.function_urls import FunctionUrlServer
from localcloud.aws.moto_server import MotoServer
from localcloud.eventsources.pipes import PipeRunner
from localcloud.eventsources.sqs import SqsEventSource
from localcloud.lambda_host import FunctionHost
from localcloud.provision import Provisioned, provision
from localcloud.provision.template import load_template
from localcloud.wiring import LOCAL_API_BURST, LOCAL_API_RATE, throttle_parameters
from simulator.broker import BrokerMock
from simulator.fleet import DEFAULT_FLEET, Fleet, load_fleet
from simulator.scenario.seeds import fleet_behaviours, scaled
from simulator.subscriber import SubscriberMock
from simulator.vehicle import VehicleSimulator

__all__ = ["LOCAL_API_BURST", "LOCAL_API_RATE", "LocalCloud", "LocalCloudError", "throttle_parameters"]


class LocalCloudError(RuntimeError):
    """The local cloud could not start (missing build, provisioning failure, ...)."""


def _plain_numbers(value: Any) -> Any:
    """DynamoDB's Decimals as int (or float), in nested maps and lists too: plain JSON."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


def _stderr_progress(msg: str) -> None:
    print(f"[localcloud] {msg}", file=sys.stderr, flush=True)


class LocalCloud:
    """A context manager that runs moto + the glue + the mocks; see the module docstring."""

    def __init__(
        self,
        build_dir: str | Path = ".aws-sam/build",
        parameters: Mapping[str, str] | None = None,
        time_scale: float = 1.0,
        concurrency: int = 4,
        *,
        fleet: str | Path | Fleet = DEFAULT_FLEET,
        stack_name: str = "remote-services",
        region: str = "us-east-1",
        state_dir: str | Path = ".localcloud",
        api_port: int = 0,
        poller_concurrency: int = 2,
        warm: bool = True,
        event_sources: bool = True,
        ttl_interval_s: float = 10.0,
        progress: Callable[[str], None] | None = _stderr_progress,
        api_rate: float | None = LOCAL_API_RATE,
        api_burst: int | None = LOCAL_API_BURST,
        harness: bool = True,
    ) -> None:
        # harness=True: DeployTestHarness "true" (docs/test-harness.md): the deployed broker and
        # subscription mocks (Function URLs served by `function_urls`); the in-process ones are not started.
        self.harness = harness
        self.behaviours: dict[str, dict[str, Any]] = {}  # VIN -> the behaviour record seeded (harness)
        self.function_urls: dict[str, FunctionUrlServer] = {}  # AWS::Lambda::Url logical id -> its server
        self.build_dir = Path(build_dir)
        self.template_path = self.build_dir / "template.yaml"
        self.parameters = dict(parameters or {})
        self.api_rate = api_rate  # None: the template's ApiThrottleRate (an explicit parameter wins)
        self.api_burst = api_burst
        self.api_throttle: tuple[float, float] | None = None  # (rate, burst) the REST API applies
        self.time_scale = time_scale
        self.concurrency = concurrency
        self.fleet = fleet if isinstance(fleet, Fleet) else load_fleet(fleet)
        self.stack_name = stack_name
        self.region = region
        self.state_dir = Path(state_dir)
        self.api_port = api_port
        self.poller_concurrency = poller_concurrency
        self.warm_functions = warm
        self.event_sources = event_sources
        self.ttl_interval_s = ttl_interval_s
        self._progress = progress or (lambda _m: None)
        self._stack: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}
        self._client_lock = threading.Lock()
        self.timings: dict[str, float] = {}
        self.startup_s = 0.0
        self.tokens: dict[str, str] = {}
        self.subs: dict[str, str] = {}
        self.resources: Provisioned | None = None
        self.endpoint_url = ""
        self.api_url = ""
        self.moto: Any = None  # MotoServer
        self.host: Any = None  # FunctionHost
        self.endpoint: Any = None  # AwsEndpoint, at endpoint_url
        self.api: Any = None  # RestApiServer, at api_url
        self.pollers: list[SqsEventSource] = []
        self.pipes: list[PipeRunner] = []
        self.ttl: TtlSweeper | None = None
        self.subscriber = SubscriberMock("subscriber")
        self.disclosure = SubscriberMock("disclosure")
        self.simulator: VehicleSimulator = VehicleSimulator(
            self.fleet, send=self._send_incoming, time_scale=time_scale
        )
        self.broker = BrokerMock(on_command=self.simulator.on_command)
        self._incoming_url = ""

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _step(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        result = fn()
        self.timings[name] = round(time.perf_counter() - t0, 3)
        return result

    def start(self) -> LocalCloud:
        """Start everything (see the module docstring); LocalCloudError with the reason if it cannot."""
        if not self.template_path.is_file():
            raise LocalCloudError(f"{self.template_path} not found: build first (sam build, or make run)")
        t0 = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_s = round(time.perf_counter() - t0, 3)
        self._progress(f"local cloud up in {self.startup_s:.2f} s: API {self.api_url}")
        return self

    def _start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._progress("starting moto, the function host and the AWS endpoint")
        self.moto = self._step("moto", lambda: MotoServer().start())
        self._stack.append(self.moto.stop)
        self.moto.reset()  # moto's backends are per process: forget a previous cloud's resources
        self.host = FunctionHost(
            log_dir=self.state_dir / "logs",
            region=self.region,
            default_concurrency=self.concurrency,
        )
        self._stack.append(self.host.stop)
        self.endpoint = self._step(
            "front", lambda: AwsEndpoint(moto_url=self.moto.url, host=self.host).start()
        )
        self._stack.append(self.endpoint.stop)
        self.endpoint_url = self.endpoint.url
        self.host.endpoint_url = self.endpoint.url
        if not self.harness:
            for mock in (self.subscriber, self.disclosure, self.broker):
                mock.start()
                self._stack.append(mock.stop)
            self.simulator.start()
            self._stack.append(self.simulator.stop)

        self._progress(f"provisioning from {self.template_path}")
        prov: Provisioned = self._step("provision", self._provision)
        self.resources = prov
        if prov.not_emulated:
            self._progress("not emulated: " + wiring.count_kinds(prov.not_emulated))
        self._step("register", self._register_functions)
        self._progress(
            f"seeding the fleet ({len(self.fleet.vehicles)} vehicles, users {', '.join(self.fleet.owners())})"
        )
        self._step("seed", self._seed)
        self._progress("starting pollers, pipes, TTL sweeper and the API")
        if self.event_sources:
            self._step("event_sources", self._start_event_sources)
        self._step("api", self._start_api)
        if self.warm_functions:
            self._progress(f"warming {len(prov.functions)} functions")
            self._step("warm", self._warm)

    def stop(self) -> None:
        """Stop everything started so far (reverse order); safe to call twice."""
        while self._stack:
            undo = self._stack.pop()
            try:
                undo()
            except Exception as exc:  # keep stopping the rest
                self._progress(f"stop: {exc!r}")

    # -- steps --------------------------------------------------------------------------------
    def _provision(self) -> Provisioned:
        declared = set((load_template(self.template_path).get("Parameters") or {}).keys())
        mock_urls = (
            {}
            if self.harness  # the template points the callers at the deployed mocks
            else {
                "BrokerUrl": self.broker.url,
                "SubscriberUrl": self.subscriber.url,
                "DisclosureUrl": self.disclosure.url,
            }
        )
        scale = {"LifecycleTimeScale": str(self.time_scale), "TimeScale": str(self.time_scale)}
        throttle = throttle_parameters(self.api_rate, self.api_burst)
        params = {k: v for k, v in {**mock_urls, **scale, **throttle}.items() if k in declared}
        if self.harness and "DeployTestHarness" in declared:
            params["DeployTestHarness"] = "true"
        params.update(self.parameters)
        env = {"LIFECYCLE_TIME_SCALE": str(self.time_scale)}
        return provision(
            self.template_path,
            self.endpoint.url,
            params,
            stack_name=self.stack_name,
            region=self.region,
            env_overrides=env,
            function_url=self._serve_function_url,
        )

    def _serve_function_url(self, logical_id: str, function_name: str, auth_type: str) -> str:
        """Start the Function URL front of one AWS::Lambda::Url; its URL goes into the template."""
        server = wiring.function_url_server(self.host, function_name, auth_type, self.region).start()
        self.function_urls[logical_id] = server
        self._stack.append(server.stop)
        return server.url

    def call_url(self, logical_id: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A SigV4-signed request (the local boto3 credentials) to a Function URL of the template, e.g.
        ``cloud.call_url("SubscriptionMockFunctionUrl", "GET", "/stats?sinceMs=0")`` -> (status, JSON)."""
        if logical_id not in self.function_urls:
            raise LocalCloudError(f"no Function URL {logical_id!r} (harness=True deploys the mocks)")
        return wiring.signed_request(self.function_urls[logical_id].url, method, path, body, self.region)

    def _register_functions(self) -> None:
        assert self.resources is not None
        specs = [wiring.function_spec(fn) for fn in self.resources.functions.values()]
        for spec in specs:  # its own bootstrap, or its layer's (/opt), of the same build
            problem = spec.not_runnable()
            if problem is not None:
                raise LocalCloudError(f"{spec.logical_id}: {problem}")
        self.host.register_all(specs)

    def physical(self, logical_id: str) -> str:
        """The physical id (name, URL or ARN) of a resource of the template."""
        assert self.resources is not None
        try:
            return self.resources.physical_ids[logical_id]
        except KeyError:
            raise LocalCloudError(f"the template has no resource {logical_id!r}") from None

    def _of_type(self, rtype: str) -> list[str]:
        assert self.resources is not None
        return [
            lid
            for lid, t in self.resources.types.items()
            if t == rtype and lid in self.resources.physical_ids
        ]

    def _seed(self) -> None:
        assert self.resources is not None
        pools = self._of_type("AWS::Cognito::UserPool")
        clients = self._of_type("AWS::Cognito::UserPoolClient")
        if pools and clients:
            with ThreadPoolExecutor(max_workers=4) as pool:
                for name, (sub, token) in zip(
                    self.fleet.owners(), pool.map(self._new_user, self.fleet.owners()), strict=True
                ):
                    self.subs[name], self.tokens[name] = sub, token
        fleet_seed.seed_tables(self.client("dynamodb"), self.resources.physical_ids, self.fleet, self.subs)
        self._incoming_url = self.resources.physical_ids.get("IncomingQueue", "")
        harness_table = self.resources.physical_ids.get("HarnessTable")
        if self.harness and harness_table:
            self.behaviours = {
                vin: scaled(b, self.time_scale) for vin, b in fleet_behaviours(self.fleet).items()
            }
            fleet_seed.seed_behaviours(self.client("dynamodb"), harness_table, self.behaviours)

    def _new_user(self, username: str) -> tuple[str, str]:
        pool_id = self.physical(self._of_type("AWS::Cognito::UserPool")[0])
        client_id = self.physical(self._of_type("AWS::Cognito::UserPoolClient")[0])
        return fleet_seed.create_user(self.client("cognito-idp"), pool_id, client_id, username)

    def create_user(self, username: str) -> str:
        """A new Cognito user (owning nothing unless the registry says so); returns its id token."""
        sub, token = self._new_user(username)
        self.subs[username], self.tokens[username] = sub, token
        return token

    def token(self, username: str) -> str:
        """The id token of a user of the fleet (or of one made with `create_user`)."""
        if username not in self.tokens:
            raise LocalCloudError(f"no user {username!r} (fleet owners: {', '.join(self.fleet.owners())})")
        return self.tokens[username]

    def _send_incoming(self, body: str) -> None:
        if not self._incoming_url:
            raise LocalCloudError("the template has no IncomingQueue")
        self.client("sqs").send_message(QueueUrl=self._incoming_url, MessageBody=body)

    # -- the test harness (harness=True) ------------------------------------------------------
    def send_raw(self, topic: str, payload: str, received_ms: int | None = None) -> None:
        """One message on the IncomingQueue as the broker puts it there (any topic and payload,
        malformed ones too): ``{"topic", "payload", "receivedMs"}``."""
        received = int(time.time() * 1000) if received_ms is None else received_ms
        self._send_incoming(json.dumps({"topic": topic, "payload": payload, "receivedMs": received}))

    def behave(self, vin: str, behaviour: Mapping[str, Any] | None, case_id: str = "local") -> None:
        """The vehicle answers the next commands as `behaviour` says (a behaviour record, section 1 of
        docs/test-harness.md; its broker call counter starts again at 0); None: as it was seeded."""
        record = self.behaviours.get(vin, {}) if behaviour is None else behaviour
        self.client("dynamodb").put_item(
            TableName=self.physical("HarnessTable"), Item=fleet_seed.behaviour_item(vin, record, case_id)
        )

    def raise_event(
        self, vin: str, service_type: str = "THEFT_ALARM", count: int = 1, every_ms: int = 0
    ) -> None:
        """A vehicle-initiated event through the broker mock's ``POST /raise``."""
        body = {"vin": vin, "serviceType": service_type, "count": count, "everyMs": every_ms}
        status, answer = self.call_url("BrokerMockFunctionUrl", "POST", "/raise", body)
        if status != 202:
            raise LocalCloudError(f"POST /raise answered {status}: {answer}")

    def pushes(self, event_id: str) -> list[dict[str, Any]]:
        """The pushes the subscription mock received for one event, in arrival order: each
        ``{"receivedMs", "latencyMs", "body"}`` (``body``: the push as the subscriber got it). Read
        from PushesTable itself: it answers while a test holds or throttles the mock."""
        return self._pushes_table(
            {
                "KeyConditionExpression": "notificationId = :n",
                "ExpressionAttributeValues": {":n": {"S": event_id}},
            },
            "query",
        )

    def disclosures(self, record_id: str) -> list[dict[str, Any]]:
        """The disclosure records the subscription mock received under one ``recordId``."""
        status, answer = self.call_url(
            "SubscriptionMockFunctionUrl", "GET", f"/disclosures?recordId={quote(record_id)}"
        )
        if status != 200:
            raise LocalCloudError(f"GET /disclosures answered {status}: {answer}")
        return list(answer["records"])

    def all_pushes(self, since_ms: int = 0) -> list[dict[str, Any]]:
        """Every push received since `since_ms` (a Scan of PushesTable), in arrival order."""
        return self._pushes_table(
            {
                "FilterExpression": "receivedMs >= :t",
                "ExpressionAttributeValues": {":t": {"N": str(since_ms)}},
            },
            "scan",
        )

    def _pushes_table(self, request: dict[str, Any], operation: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped, unused-ignore]

        plain, items = TypeDeserializer(), []
        kwargs: dict[str, Any] = {
            "TableName": self.physical("PushesTable"),
            "ConsistentRead": True,
            **request,
        }
        while True:
            page = getattr(self.client("dynamodb"), operation)(**kwargs)
            items += [
                {k: _plain_numbers(plain.deserialize(v)) for k, v in raw.items()}
                for raw in page.get("Items", [])
            ]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        pushes = [item for item in items if "kind" not in item]  # a disclosure record has a kind
        return sorted(pushes, key=lambda item: str(item["sk"]))

    def _start_event_sources(self) -> None:
        assert self.resources is not None
        for esm in self.resources.event_source_mappings:
            if esm.enabled:
                fn = self.resources.functions[esm.function]
                src = wiring.sqs_event_source(
                    esm, fn.name, self.endpoint.url, self.host, self.region, self.poller_concurrency
                )
                self.pollers.append(src.start())
                self._stack.append(src.stop)
        for p in self.resources.pipes:
            runner = wiring.pipe_runner(p, self.endpoint.url, self.host, self.region, self.poller_concurrency)
            self.pipes.append(runner.start())
            self._stack.append(runner.stop)
        if self.resources.ttl_tables:
            sweeper = wiring.ttl_sweeper(
                self.resources.ttl_tables, self.endpoint.url, self.region, self.ttl_interval_s
            )
            self.ttl = sweeper.start()
            self._stack.append(sweeper.stop)

    def _start_api(self) -> None:
        assert self.resources is not None
        api = self.resources.api
        if api is None:
            self._progress("the template has no REST API: none served")
            return
        pools = self._of_type("AWS::Cognito::UserPool")
        clients = self._of_type("AWS::Cognito::UserPoolClient")
        user_pool = (
            UserPool(id=self.physical(pools[0]), client_ids=tuple(self.physical(c) for c in clients))
            if pools
            else None
        )
        access_log = str(self.state_dir / "logs" / "api-access.log")
        api_server, self.api_throttle = wiring.rest_api_server(
            api, user_pool, self.endpoint.url, self.region, access_log
        )
        self.api_url = api_server.start(port=self.api_port)
        self.api = api_server
        self._stack.append(api_server.stop)

    def _warm(self) -> None:
        assert self.resources is not None
        names = [fn.name for fn in self.resources.functions.values()]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda n: self.host.warm(n, 1), names))

    # -- helpers ------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client at the AWS endpoint (thread-safe, cached per service)."""
        with self._client_lock:
            if service not in self._clients:
                self._clients[service] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.endpoint_url or None,
                    region_name=self.region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                    config=Config(
                        inject_host_prefix=False, retries={"max_attempts": 2}, max_pool_connections=50
                    ),
                )
            return self._clients[service]

    def event_items(self, event_id: str) -> list[dict[str, Any]]:
        """Every EventsTable item of one event (STATE, H#..., PUSH), in plain JSON."""
        return readback.event_items(self.client("dynamodb"), self.physical("EventsTable"), event_id)

    def state(self, event_id: str) -> dict[str, Any] | None:
        """The STATE item of an event, or None."""
        return readback.state_of(self.event_items(event_id))

    def history(self, event_id: str) -> list[str]:
        """The statuses of the event's history entries in time order, as GET returns them: once the
        event is final, the history ends with its final status (later H# items are audit only)."""
        return readback.history_of(self.event_items(event_id))

    def wait_final(self, event_id: str, timeout: float = 30.0) -> dict[str, Any] | None:
        """Poll DynamoDB until the event's STATE is final (EXECUTED/FAILED); None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.state(event_id)
            if st and st.get("status") in ("EXECUTED", "FAILED"):
                return st
            time.sleep(0.05)
        return None

    def info(self) -> dict[str, Any]:
        """A JSON-able summary (URLs, resources, timings)."""
        assert self.resources is not None
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
        }
