"""LocalCloud: the whole chain on one machine, from the built template, with no Docker.

    with LocalCloud(build_dir=".aws-sam/build", time_scale=0.1) as cloud:
        token = cloud.token("alice")                  # Cognito id token (user from simulator/fleet.json)
        requests to cloud.api_url + "/v1/vehicles/{vin}/services/HORN_BLOW"
        cloud.client("dynamodb")                      # boto3 at the AWS endpoint
        cloud.mocks.pushes(event_id)                        # what the app's push channel received
        cloud.mocks.raise_event(vin)                        # a theft alarm, through the broker mock

By default the template's test harness runs (DeployTestHarness "true", docs/test-harness.md): the
connector, the distributor and the disclosure module call the deployed broker and subscription mocks
(native functions behind SigV4 Function URLs: `cloud.call_url("SubscriptionMockFunctionUrl", "GET",
"/stats")`), every vehicle of the fleet gets its behaviour record in HarnessTable at seed time (from
`simulator/scenarios/fleet-*.yaml`, delays at the time scale; `cloud.mocks.behave(vin, behaviour)`
changes it). `harness=False`: DeployTestHarness stays "false", and `parameters` must point BrokerUrl,
SubscriberUrl and DisclosureUrl at endpoints of your own.

Start order (docs/local-cloud.md): moto, the function host and the AWS endpoint, provisioning (each
Function URL its HTTP front), functions, seeding, event sources, the REST API. `stop()` undoes it.

The API stage is throttled as on AWS (token bucket -> 429), from the template's stage settings; by
default with the LOCAL rate and burst below (template parameters ApiThrottleRate/ApiThrottleBurst
overridden), because one machine finishes far fewer commands per second than the template's 200/s.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from localcloud import fleet_seed, wiring
from localcloud.apigateway import UserPool
from localcloud.aws.dynamodb_ttl import TtlSweeper
from localcloud.aws.endpoint import AwsEndpoint
from localcloud.aws.function_urls import FunctionUrlServer
from localcloud.aws.moto_server import MotoServer
from localcloud.cloudwatch.metric_log import MetricLog
from localcloud.cloudwatch.sqs_sampler import SqsSampler
from localcloud.eventsources.pipes import PipeRunner
from localcloud.eventsources.sqs import SqsEventSource
from localcloud.harness_driver import HarnessDriver
from localcloud.lambda_host import FunctionHost
from localcloud.provision import Provisioned, provision
from localcloud.provision.template import load_template
from localcloud.readback import EventReader
from localcloud.wiring import LOCAL_API_BURST, LOCAL_API_RATE, throttle_parameters
from simulator.fleet import DEFAULT_FLEET, Fleet, load_fleet
from simulator.scenario.seeds import fleet_behaviours, scaled

__all__ = ["LOCAL_API_BURST", "LOCAL_API_RATE", "LocalCloud", "LocalCloudError", "throttle_parameters"]


class LocalCloudError(RuntimeError):
    """The local cloud could not start (missing build, provisioning failure, ...)."""


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
        # subscription mocks (Function URLs served by `function_urls`).
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
        self._events: EventReader | None = None
        self._mocks: HarnessDriver | None = None
        self.metrics: Any = None  # MetricLog: the datapoints of the local CloudWatch
        self.metrics_sampler: Any = None  # SqsSampler: AWS/SQS depth and age, every 5 s

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
        # what start-up made (modules, botocore's models, the provisioned resources: ~360k objects)
        # lives as long as the cloud: out of the garbage collector's full passes, which stop every
        # thread (~0.2 s each); the stack's last undo (stop) gives them back to it
        gc.freeze()
        self._stack.insert(0, gc.unfreeze)
        self._progress(f"local cloud up in {self.startup_s:.2f} s: API {self.api_url}")
        return self

    def _start(self) -> None:
        started_ms = int(time.time() * 1000)
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
        self.metrics = MetricLog(self.state_dir)  # CloudWatch, locally: make dashboard reads it
        self._stack.append(self.metrics.close)
        self.host.on_metric = self.metrics.lambda_metric
        self.endpoint = self._step(
            "front", lambda: AwsEndpoint(moto_url=self.moto.url, host=self.host).start()
        )
        self._stack.append(self.endpoint.stop)
        self.endpoint_url = self.endpoint.url
        self.host.endpoint_url = self.endpoint.url

        self._progress(f"provisioning from {self.template_path}")
        prov: Provisioned = self._step("provision", self._provision)
        self.resources = prov
        self.metrics.write_context(wiring.cloudwatch_context(prov, self.template_path, started_ms))
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
        self.metrics_sampler = SqsSampler(self.metrics, prov.account_id, self.region).start()
        self._stack.append(self.metrics_sampler.stop)
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
        rate, burst = self.api_rate, self.api_burst
        params = wiring.local_parameters(declared, self.time_scale, rate, burst, self.harness)
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
        user_pool = self._user_pool()
        if user_pool and user_pool.client_ids:
            idp, client_id = self.client("cognito-idp"), user_pool.client_ids[0]
            users = fleet_seed.create_users(idp, user_pool.id, client_id, self.fleet.owners())
            self.subs.update({name: sub for name, (sub, _token) in users.items()})
            self.tokens.update({name: token for name, (_sub, token) in users.items()})
        fleet_seed.seed_tables(self.client("dynamodb"), self.resources.physical_ids, self.fleet, self.subs)
        harness_table = self.resources.physical_ids.get("HarnessTable")
        if self.harness and harness_table:
            self.behaviours = {
                vin: scaled(b, self.time_scale) for vin, b in fleet_behaviours(self.fleet).items()
            }
            fleet_seed.seed_behaviours(self.client("dynamodb"), harness_table, self.behaviours)

    def _user_pool(self) -> UserPool | None:
        """The template's (first) user pool with its app clients, or None."""
        pools = self._of_type("AWS::Cognito::UserPool")
        client_ids = tuple(self.physical(c) for c in self._of_type("AWS::Cognito::UserPoolClient"))
        return UserPool(id=self.physical(pools[0]), client_ids=client_ids) if pools else None

    def create_user(self, username: str) -> str:
        """A new Cognito user (owning nothing unless the registry says so); returns its id token."""
        user_pool = self._user_pool()
        if user_pool is None or not user_pool.client_ids:
            raise LocalCloudError("the template has no Cognito user pool with an app client")
        idp, client_id = self.client("cognito-idp"), user_pool.client_ids[0]
        sub, token = fleet_seed.create_user(idp, user_pool.id, client_id, username)
        self.subs[username], self.tokens[username] = sub, token
        return token

    def token(self, username: str) -> str:
        """The id token of a user of the fleet (or of one made with `create_user`)."""
        if username not in self.tokens:
            raise LocalCloudError(f"no user {username!r} (fleet owners: {', '.join(self.fleet.owners())})")
        return self.tokens[username]

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
        user_pool = self._user_pool()
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
