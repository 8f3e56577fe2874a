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

import dataclasses
import functools
import gc
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from localcloud import fleet_seed, wiring
from localcloud.apigateway import UserPool
from localcloud.aws.dynamodb_ttl import TtlSweeper
from localcloud.aws.endpoint import AwsEndpoint
from localcloud.aws.function_urls import FunctionUrlServer
from localcloud.aws.moto_server import MotoServer
from localcloud.aws.stepfunctions_process import StepFunctionsProcess
from localcloud.cloud_access import CloudAccess, LocalCloudError
from localcloud.cloudwatch.metric_log import MetricLog
from localcloud.cloudwatch.sqs_sampler import SqsSampler
from localcloud.eventsources.pipes import PipeRunner
from localcloud.eventsources.sqs import SqsEventSource
from localcloud.harness_driver import HarnessDriver
from localcloud.lambda_host import FunctionHost
from localcloud.provision import Provisioned
from localcloud.readback import EventReader
from localcloud.stacks import Environment, EnvironmentPlan, colours_arg, provision_environment
from localcloud.users import LocalUsers
from localcloud.wiring import LOCAL_API_BURST, LOCAL_API_RATE, throttle_parameters
from simulator.fleet import DEFAULT_FLEET, Fleet, load_fleet
from simulator.scenario.seeds import fleet_behaviours, scaled

__all__ = ["LOCAL_API_BURST", "LOCAL_API_RATE", "LocalCloud", "LocalCloudError", "throttle_parameters"]


def _stderr_progress(msg: str) -> None:
    print(f"[localcloud] {msg}", file=sys.stderr, flush=True)


class LocalCloud(CloudAccess):
    """A context manager that runs moto + the glue + the mocks; see the module docstring."""

    def __init__(
        self,
        build_dir: str | Path = ".aws-sam/build",
        parameters: Mapping[str, str] | None = None,
        time_scale: float = 1.0,
        concurrency: int = 4,
        *,
        fleet: str | Path | Fleet = DEFAULT_FLEET,
        colours: Sequence[str] = ("blue",),
        environment: str = "dev",
        neighbours: Sequence[str] = (),
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
        stepfunctions_process: bool = True,
    ) -> None:
        # stepfunctions_process: Step Functions (moto's and its ASL engine) in a process of its own, on
        # the second core (localcloud.aws.stepfunctions_process); False: in this process's moto
        self.stepfunctions_process = stepfunctions_process
        self.stepfunctions: StepFunctionsProcess | None = None
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
        # the environment's stacks (localcloud.stacks): shared + one per colour, the first colour live
        self.plan = EnvironmentPlan(
            self.template_path,
            environment=environment,
            colours=colours_arg(colours),
            time_scale=time_scale,
            api_rate=api_rate,
            api_burst=api_burst,
            harness=harness,
            parameters=self.parameters,
        )
        self.stacks: Environment | None = None
        self.colour_function_urls: dict[str, dict[str, FunctionUrlServer]] = {}  # colour -> lid -> server
        # other developers' environments in the same account (docs/bluegreen.md): the same templates,
        # their own names, users, registry and API; each one a LocalCloud view (`neighbour(name)`)
        self._neighbour_names = [n for n in neighbours if n != environment]
        self.neighbours: dict[str, LocalCloud] = {}
        self._is_neighbour = False  # a neighbour runs on another cloud's moto, host and endpoint
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
        self.users = LocalUsers(None, None)  # the fleet's owners once seeded (localcloud.users)
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
        if self.stepfunctions_process:  # it loads moto on the other core meanwhile
            self.stepfunctions = StepFunctionsProcess(self.state_dir / "logs" / "stepfunctions.log").start()
            self._stack.append(self.stepfunctions.stop)
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
        sfn = self.stepfunctions
        if sfn is not None:
            url = self._step("stepfunctions", lambda: sfn.connect(self.endpoint.url))
            self.endpoint.route_stepfunctions_to(url)
        self._start_environment(started_ms)

    def _start_environment(self, started_ms: int | None = None) -> None:
        """This environment's stacks, functions, seed, event sources and API, on started moto, host
        and endpoint; `started_ms`: also the local CloudWatch (the first environment's)."""
        self._progress(f"provisioning {self.plan.environment} from {self.template_path}")
        prov: Provisioned = self._step("provision", self._provision)
        self.resources = prov
        if started_ms is not None:
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
        if started_ms is not None:
            self.metrics_sampler = SqsSampler(self.metrics, prov.account_id, self.region).start()
            self._stack.append(self.metrics_sampler.stop)
        self._step("api", self._start_api)
        if self.warm_functions:
            self._progress(f"warming {len(self._all_functions())} functions")
            self._step("warm", self._warm)
        for name in self._neighbour_names:
            self._progress(f"a neighbour environment, {name}: its stacks, users, event sources and API")
            self.neighbours[name] = self._step(f"neighbour {name}", functools.partial(self._neighbour, name))

    def _neighbour(self, name: str) -> LocalCloud:
        """Another environment over this cloud's moto, function host and AWS endpoint."""
        other = LocalCloud(
            self.build_dir, self.parameters, self.time_scale, self.concurrency, fleet=self.fleet,
            colours=self.plan.colours, environment=name, region=self.region,
            state_dir=self.state_dir / name, poller_concurrency=self.poller_concurrency, warm=False,
            event_sources=self.event_sources, ttl_interval_s=self.ttl_interval_s, progress=self._progress,
            api_rate=self.api_rate, api_burst=self.api_burst, harness=self.harness,
            stepfunctions_process=False,
        )  # fmt: skip
        other.moto, other.host, other.endpoint = self.moto, self.host, self.endpoint
        other.endpoint_url, other._is_neighbour = self.endpoint_url, True
        (other.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        try:
            other._start_environment()
        finally:
            self._stack.append(other.stop)  # its own servers and pollers; the shared ones are ours
        return other

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
        """The shared stack, then each colour's (`localcloud.stacks`); `resources` is the live colour's
        view (its stack and the shared one)."""
        self.stacks = provision_environment(
            self.plan,
            self.endpoint.url,
            region=self.region,
            env_overrides={"LIFECYCLE_TIME_SCALE": str(self.time_scale)},
            function_url=self._serve_function_url,
        )
        self.function_urls = self.colour_function_urls.get(self.stacks.live, {})
        return self.stacks.view()

    def _serve_function_url(self, colour: str, logical_id: str, function_name: str, auth_type: str) -> str:
        """Start the Function URL front of one AWS::Lambda::Url; its URL goes into the template."""
        server = wiring.function_url_server(self.host, function_name, auth_type, self.region).start()
        self.colour_function_urls.setdefault(colour, {})[logical_id] = server
        self._stack.append(server.stop)
        return server.url

    def _all_functions(self) -> list[Any]:
        assert self.stacks is not None
        return self.stacks.functions()

    def _register_functions(self) -> None:
        # the live colour's functions log to <logical id>.log; another colour's or environment's, which
        # share its logical ids, to <function name>.log
        assert self.stacks is not None
        own_logs = (
            {fn.name for fn in self.stacks.view().functions.values()} if not self._is_neighbour else set()
        )
        specs = [
            dataclasses.replace(wiring.function_spec(fn), log_name=None if fn.name in own_logs else fn.name)
            for fn in self._all_functions()
        ]
        for spec in specs:  # its own bootstrap, or its layer's (/opt), of the same build
            problem = spec.not_runnable()
            if problem is not None:
                raise LocalCloudError(f"{spec.logical_id}: {problem}")
        self.host.register_all(specs)

    def _seed(self) -> None:
        assert self.resources is not None
        self.users = LocalUsers(self.client("cognito-idp"), self._user_pool())
        self.users.create_many(self.fleet.owners())
        fleet_seed.seed_tables(self.client("dynamodb"), self.resources.physical_ids, self.fleet, self.subs)
        self.router().sync()  # the weights table mirrors the router, as after `make deploy`
        assert self.stacks is not None
        harness_tables = [
            c.physical_ids["HarnessTable"]
            for c in self.stacks.colours.values()
            if "HarnessTable" in c.physical_ids
        ]
        if self.harness and harness_tables:
            self.behaviours = {
                vin: scaled(b, self.time_scale) for vin, b in fleet_behaviours(self.fleet).items()
            }
            for table in harness_tables:  # each colour's broker mock reads its own
                fleet_seed.seed_behaviours(self.client("dynamodb"), table, self.behaviours)

    def _user_pool(self) -> UserPool | None:
        assert self.resources is not None
        return wiring.user_pool_of(self.resources)

    def _start_event_sources(self) -> None:
        assert self.stacks is not None
        self.pollers, self.pipes, self.ttl = wiring.event_sources(
            self.stacks.all(),
            self.endpoint.url,
            self.host,
            self.region,
            self.poller_concurrency,
            self.ttl_interval_s,
        )
        sources: list[SqsEventSource | PipeRunner | TtlSweeper] = [*self.pollers, *self.pipes]
        for source in [*sources, *([self.ttl] if self.ttl else [])]:
            source.start()
            self._stack.append(source.stop)

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
        names = [fn.name for fn in self._all_functions()]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda n: self.host.warm(n, 1), names))
