"""LocalCloud: the whole chain on one machine, from the built template, with no Docker.

    with LocalCloud(build_dir=".aws-sam/build", time_scale=0.1) as cloud:
        token = cloud.token("alice")                  # Cognito id token (user from simulator/fleet.json)
        requests to cloud.api_url + "/v1/vehicles/{vin}/services/HORN_BLOW"
        cloud.client("dynamodb")                      # boto3 at the front
        cloud.subscriber.pushes                       # what the app's push channel received
        cloud.simulator.raise_event(vin)              # a theft alarm

Start order: moto -> function host + front (MOTO_PORT) -> broker/subscriber/disclosure mocks ->
provision (their URLs are the template parameters BrokerUrl / SubscriberUrl / DisclosureUrl) ->
functions registered -> fleet seeded (Cognito users, registry, weights) -> vehicle simulator ->
SQS pollers, pipes, TTL sweeper -> API Gateway front. `stop()` undoes it in reverse order.

The API stage is throttled as on AWS (token bucket -> 429), from the template's stage settings; by
default with the LOCAL rate and burst below (template parameters ApiThrottleRate/ApiThrottleBurst
overridden), because one machine finishes far fewer commands per second than the template's 200/s.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from localcloud.provision import Provisioned, provision
from remote_services.events_table import HISTORY_PREFIX, STATE_SK
from remote_services.status import RANKS
from simulator.broker import BrokerMock
from simulator.fleet import DEFAULT_FLEET, Fleet, load_fleet
from simulator.subscriber import SubscriberMock
from simulator.vehicle import VehicleSimulator

__all__ = ["LOCAL_API_BURST", "LOCAL_API_RATE", "LocalCloud", "LocalCloudError", "throttle_parameters"]

PASSWORD = "Local-cloud-1!"
# The local stage throttle (commands/s, burst): what this 2-core development machine finishes with
# no error (docs/local-cloud.md, "Overload"); the template's 200/400 are for AWS.
LOCAL_API_RATE = 3.0
LOCAL_API_BURST = 20


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
    ) -> None:
        self.build_dir = Path(build_dir)
        self.template_path = self.build_dir / "template.yaml"
        self.parameters = dict(parameters or {})
        self.api_rate = api_rate  # None: the template's ApiThrottleRate (an explicit parameter wins)
        self.api_burst = api_burst
        self.api_throttle: tuple[float, float] | None = None  # (rate, burst) the API front applies
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
        self.moto: Any = None
        self.host: Any = None
        self.front: Any = None
        self.api: Any = None
        self.pollers: list[Any] = []
        self.pipes: list[Any] = []
        self.ttl: Any = None
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
        from localcloud.front import Front
        from localcloud.functions import FunctionHost
        from localcloud.motoserver import MotoServer

        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._progress("starting moto, the function host and the front")
        self.moto = self._step("moto", lambda: MotoServer().start())
        self._stack.append(self.moto.stop)
        self.moto.reset()  # moto's backends are per process: forget a previous cloud's resources
        self.host = FunctionHost(
            log_dir=self.state_dir / "logs",
            region=self.region,
            default_concurrency=self.concurrency,
        )
        self._stack.append(self.host.stop)
        self.front = self._step("front", lambda: Front(moto_url=self.moto.url, host=self.host).start())
        self._stack.append(self.front.stop)
        self.endpoint_url = self.front.url
        self.host.endpoint_url = self.front.url
        for mock in (self.subscriber, self.disclosure, self.broker):
            mock.start()
            self._stack.append(mock.stop)
        self.simulator.start()
        self._stack.append(self.simulator.stop)

        self._progress(f"provisioning from {self.template_path}")
        prov: Provisioned = self._step("provision", self._provision)
        self.resources = prov
        if prov.not_emulated:
            kinds: dict[str, int] = {}
            for item in prov.not_emulated:
                kind = item.rsplit("(", 1)[-1].rstrip(")")
                kinds[kind] = kinds.get(kind, 0) + 1
            self._progress("not emulated: " + ", ".join(f"{n} x {k}" for k, n in sorted(kinds.items())))
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
    def _declared_parameters(self) -> set[str]:
        from localcloud.cfn import load_template

        return set((load_template(self.template_path).get("Parameters") or {}).keys())

    def _provision(self) -> Provisioned:
        declared = self._declared_parameters()
        params: dict[str, str] = {}
        mock_urls = {
            "BrokerUrl": self.broker.url,
            "SubscriberUrl": self.subscriber.url,
            "DisclosureUrl": self.disclosure.url,
        }
        scale = {"LifecycleTimeScale": str(self.time_scale), "TimeScale": str(self.time_scale)}
        throttle = throttle_parameters(self.api_rate, self.api_burst)
        for name, value in {**mock_urls, **scale, **throttle}.items():
            if name in declared:
                params[name] = value
        params.update(self.parameters)
        env = {"LIFECYCLE_TIME_SCALE": str(self.time_scale)}
        return provision(
            self.template_path,
            self.front.url,
            params,
            stack_name=self.stack_name,
            region=self.region,
            env_overrides=env,
        )

    def _register_functions(self) -> None:
        from localcloud.functions import FunctionSpec

        assert self.resources is not None
        specs = []
        for fn in self.resources.functions.values():
            if not (fn.artifact_dir / "bootstrap").exists():
                raise LocalCloudError(
                    f"{fn.logical_id}: {fn.artifact_dir}/bootstrap not found: rebuild (sam build)"
                )
            specs.append(
                FunctionSpec(
                    logical_id=fn.logical_id,
                    function_name=fn.name,
                    arn=fn.arn,
                    artifact_dir=fn.artifact_dir,
                    handler=fn.handler,
                    environment=fn.env,
                    timeout_s=float(fn.timeout_s),
                    memory_mb=fn.memory_mb,
                    reserved_concurrency=fn.reserved_concurrency,
                )
            )
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
        ddb = self.client("dynamodb")
        registry = self.resources.physical_ids.get("VehicleRegistryTable")
        if registry:
            items = list(self.fleet.registry_items(self.subs))
            for i in range(0, len(items), 25):
                ddb.batch_write_item(
                    RequestItems={registry: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
                )
        weights = self.resources.physical_ids.get("WeightsTable")
        if weights:
            item = {"id": {"S": "current"}, **{k: {"N": str(v)} for k, v in self.fleet.weights.items()}}
            ddb.put_item(TableName=weights, Item=item)
        self._incoming_url = self.resources.physical_ids.get("IncomingQueue", "")

    def _new_user(self, username: str) -> tuple[str, str]:
        pool_id = self.physical(self._of_type("AWS::Cognito::UserPool")[0])
        client_id = self.physical(self._of_type("AWS::Cognito::UserPoolClient")[0])
        idp = self.client("cognito-idp")
        idp.admin_create_user(
            UserPoolId=pool_id, Username=username, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
        attrs = idp.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
        sub = next(a["Value"] for a in attrs if a["Name"] == "sub")
        auth = idp.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        return sub, str(auth["AuthenticationResult"]["IdToken"])

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

    def _start_event_sources(self) -> None:
        from localcloud.pollers import SqsEventSource

        assert self.resources is not None
        for esm in self.resources.event_source_mappings:
            if not esm.enabled:
                continue
            fn = self.resources.functions[esm.function]
            src = SqsEventSource(
                endpoint_url=self.front.url,
                queue_url=esm.queue_url,
                function_name=fn.name,
                host=self.host,
                batch_size=esm.batch_size,
                maximum_batching_window_s=esm.batching_window_s,
                report_batch_item_failures=esm.report_batch_item_failures,
                region=self.region,
                queue_arn=esm.queue_arn,
                concurrency=esm.maximum_concurrency or self.poller_concurrency,
            ).start()
            self.pollers.append(src)
            self._stack.append(src.stop)
        if self.resources.pipes:
            pipes_mod: Any = importlib.import_module("localcloud.pipes")
            for p in self.resources.pipes:
                runner = pipes_mod.PipeRunner(
                    endpoint_url=self.front.url,
                    host=self.host,
                    source_queue_url=p.source_queue_url,
                    source_queue_arn=p.source_queue_arn,
                    enrichment_function=p.enrichment_function,
                    target_arn=p.target_arn,
                    batch_size=p.batch_size,
                    maximum_batching_window_s=p.batching_window_s,
                    invocation_type=p.invocation_type,
                    region=self.region,
                    name=p.name,
                    concurrency=self.poller_concurrency,  # Pipes scales its pollers as Lambda's do
                ).start()
                self.pipes.append(runner)
                self._stack.append(runner.stop)
        if self.resources.ttl_tables:
            ttl_mod: Any = importlib.import_module("localcloud.ttl")
            sweeper = ttl_mod.TtlSweeper(
                endpoint_url=self.front.url,
                tables={t.table_name: t.attribute for t in self.resources.ttl_tables},
                region=self.region,
                interval_s=self.ttl_interval_s,
            ).start()
            self.ttl = sweeper
            self._stack.append(sweeper.stop)

    def _start_api(self) -> None:
        from localcloud.apigateway import ApiGatewayFront, UserPool, stage_settings

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
        self.api_throttle = stage_settings(api.properties).get("throttle")
        front = ApiGatewayFront(
            api.openapi,
            aws_endpoint_url=self.front.url,
            region=self.region,
            stage=api.stage_name,
            user_pool=user_pool,
            access_log=str(self.state_dir / "logs" / "api-access.log"),
            api_id=api.rest_api_id,
            throttle=self.api_throttle,
        )
        self.api_url = front.start(port=self.api_port)
        self.api = front
        self._stack.append(front.stop)

    def _warm(self) -> None:
        assert self.resources is not None
        names = [fn.name for fn in self.resources.functions.values()]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda n: self.host.warm(n, 1), names))

    # -- helpers ------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client at the front (thread-safe, cached per service)."""
        with self._client_lock:
            if service not in self._clients:
                boto3: Any = importlib.import_module("boto3")
                botocore_config: Any = importlib.import_module("botocore.config")
                self._clients[service] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.endpoint_url or None,
                    region_name=self.region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                    config=botocore_config.Config(
                        inject_host_prefix=False, retries={"max_attempts": 2}, max_pool_connections=50
                    ),
                )
            return self._clients[service]

    def event_items(self, event_id: str) -> list[dict[str, Any]]:
        """Every EventsTable item of one event (STATE, H#..., PUSH), in plain JSON."""
        table = self.physical("EventsTable")
        resp = self.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="eventId = :e",
            ExpressionAttributeValues={":e": {"S": event_id}},
            ConsistentRead=True,
        )
        return [_plain(i) for i in resp.get("Items", [])]

    def state(self, event_id: str) -> dict[str, Any] | None:
        """The STATE item of an event, or None."""
        return next((i for i in self.event_items(event_id) if i.get("sk") == STATE_SK), None)

    def history(self, event_id: str) -> list[str]:
        """The statuses of the event's history entries in time order, as GET returns them: once the
        event is final, the history ends with its final status (later H# items are audit only)."""
        items = self.event_items(event_id)
        state = next((i for i in items if i.get("sk") == STATE_SK), None)
        end = int(state["updatedMs"]) if state and state.get("status") in ("EXECUTED", "FAILED") else None
        entries = [i for i in items if str(i.get("sk", "")).startswith(HISTORY_PREFIX)]
        hist = sorted(
            (i for i in entries if end is None or int(i.get("updatedMs", 0)) <= end),
            key=lambda i: (int(i.get("updatedMs", 0)), RANKS.get(str(i.get("status")), 9)),
        )
        return [str(i["status"]) for i in hist]

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
        }


def throttle_parameters(rate: float | None, burst: int | None) -> dict[str, str]:
    """The template parameter overrides for a local stage throttle (None: keep the template's value)."""
    out: dict[str, str] = {}
    if rate is not None:
        out["ApiThrottleRate"] = f"{rate:g}"
    if burst is not None:
        out["ApiThrottleBurst"] = str(burst)
    return out


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in item.items():
        ((t, val),) = v.items()
        if t == "N":
            out[k] = int(val) if val.lstrip("-").isdigit() else float(val)
        elif t == "M":
            out[k] = _plain(val)
        elif t == "L":
            out[k] = [_plain({"x": x})["x"] for x in val]
        elif t == "NULL":
            out[k] = None
        elif t in ("SS", "NS"):
            out[k] = list(val)
        else:
            out[k] = val
    return out
