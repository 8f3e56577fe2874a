"""From what provisioning found in the template to the emulators that run it: one builder per kind
(`LocalCloud` starts and stops them), and the template parameters of the local stage throttle.

    function_spec(FunctionConfig) -> FunctionSpec                      # for the Lambda function host
    sqs_event_source(EventSourceMappingConfig, ...) -> SqsEventSource  # not started
    pipe_runner(PipeConfig, ...) -> PipeRunner                         # not started
    ttl_sweeper(TtlTableConfigs, ...) -> TtlSweeper                    # not started
    rest_api_server(ApiConfig, ...) -> RestApiServer                   # not started
    function_url_server(host, name, auth_type, region) -> FunctionUrlServer  # not started
    signed_request(url, method, path, body, region) -> (status, JSON)  # SigV4, service lambda
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from localcloud.apigateway import RestApiServer, UserPool, stage_settings
from localcloud.apigateway.stage_source import StageSource
from localcloud.aws.dynamodb_ttl import TtlSweeper
from localcloud.aws.function_urls import FunctionUrlServer
from localcloud.eventsources.pipes import PipeRunner
from localcloud.eventsources.sqs import SqsEventSource
from localcloud.lambda_host import FunctionHost, FunctionSpec
from localcloud.provision import (
    ApiConfig,
    EventSourceMappingConfig,
    FunctionConfig,
    PipeConfig,
    Provisioned,
    TtlTableConfig,
)

# The local stage throttle (commands/s, burst): what this 2-core development machine finishes with
# no error (docs/local-cloud.md, "Overload"); the template's 200/400 are for AWS.
LOCAL_API_RATE = 6.0
LOCAL_API_BURST = 20


def throttle_parameters(rate: float | None, burst: int | None) -> dict[str, str]:
    """The template parameter overrides for a local stage throttle (None: keep the template's value)."""
    out: dict[str, str] = {}
    if rate is not None:
        out["ApiThrottleRate"] = f"{rate:g}"
    if burst is not None:
        out["ApiThrottleBurst"] = str(burst)
    return out


def local_parameters(
    declared: set[str], time_scale: float, rate: float | None, burst: int | None, harness: bool
) -> dict[str, str]:
    """The template parameters the local cloud sets (those the template declares): the time scale,
    the local stage throttle and, with the harness, DeployTestHarness "true"."""
    scale = {"LifecycleTimeScale": str(time_scale), "TimeScale": str(time_scale)}
    harness_on = {"DeployTestHarness": "true"} if harness else {}
    wanted = {**scale, **throttle_parameters(rate, burst), **harness_on}
    return {k: v for k, v in wanted.items() if k in declared}


def local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client at the local AWS endpoint, with the local credentials (testing/testing)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 2}, max_pool_connections=50),
    )


def count_kinds(not_emulated: Sequence[str]) -> str:
    """``"Name (AWS::Kind)"`` entries counted per kind: ``"2 x AWS::IAM::Role, ..."``."""
    kinds: dict[str, int] = {}
    for item in not_emulated:
        kind = item.rsplit("(", 1)[-1].rstrip(")")
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{n} x {k}" for k, n in sorted(kinds.items()))


def function_spec(fn: FunctionConfig) -> FunctionSpec:
    return FunctionSpec(
        logical_id=fn.logical_id,
        function_name=fn.name,
        arn=fn.arn,
        artifact_dir=fn.artifact_dir,
        handler=fn.handler,
        environment=fn.env,
        timeout_s=float(fn.timeout_s),
        memory_mb=fn.memory_mb,
        reserved_concurrency=fn.reserved_concurrency,
        layer_dirs=fn.layer_dirs,
    )


def sqs_event_source(
    esm: EventSourceMappingConfig,
    function_name: str,
    endpoint_url: str,
    host: FunctionHost,
    region: str,
    default_concurrency: int,
) -> SqsEventSource:
    return SqsEventSource(
        endpoint_url=endpoint_url,
        queue_url=esm.queue_url,
        function_name=function_name,
        host=host,
        batch_size=esm.batch_size,
        maximum_batching_window_s=esm.batching_window_s,
        report_batch_item_failures=esm.report_batch_item_failures,
        region=region,
        queue_arn=esm.queue_arn,
        concurrency=esm.maximum_concurrency or default_concurrency,
    )


def pipe_runner(
    p: PipeConfig, endpoint_url: str, host: FunctionHost, region: str, concurrency: int
) -> PipeRunner:
    return PipeRunner(
        endpoint_url=endpoint_url,
        host=host,
        source_queue_url=p.source_queue_url,
        source_queue_arn=p.source_queue_arn,
        enrichment_function=p.enrichment_function,
        target_arn=p.target_arn,
        batch_size=p.batch_size,
        maximum_batching_window_s=p.batching_window_s,
        invocation_type=p.invocation_type,
        region=region,
        name=p.name,
        concurrency=concurrency,  # Pipes scales its pollers as Lambda's do
    )


def event_sources(
    stacks: Sequence[Provisioned],
    endpoint_url: str,
    host: FunctionHost,
    region: str,
    poller_concurrency: int,
    ttl_interval_s: float,
) -> tuple[list[SqsEventSource], list[PipeRunner], TtlSweeper | None]:
    """Every enabled SQS event source, every pipe and the TTL sweeper of the stacks (not started)."""
    pollers, pipes, tables = [], [], []
    for prov in stacks:
        for esm in prov.event_source_mappings:
            if esm.enabled:
                fn = prov.functions[esm.function]
                pollers.append(sqs_event_source(esm, fn.name, endpoint_url, host, region, poller_concurrency))
        pipes += [pipe_runner(p, endpoint_url, host, region, poller_concurrency) for p in prov.pipes]
        tables += prov.ttl_tables
    ttl = ttl_sweeper(tables, endpoint_url, region, ttl_interval_s) if tables else None
    return pollers, pipes, ttl


def user_pool_of(prov: Provisioned) -> UserPool | None:
    """The (first) Cognito user pool of the stacks, with its app clients, or None."""

    def of_type(rtype: str) -> list[str]:
        return [lid for lid, t in prov.types.items() if t == rtype and lid in prov.physical_ids]

    pools = of_type("AWS::Cognito::UserPool")
    client_ids = tuple(prov.physical_ids[c] for c in of_type("AWS::Cognito::UserPoolClient"))
    return UserPool(id=prov.physical_ids[pools[0]], client_ids=client_ids) if pools else None


def ttl_sweeper(
    tables: Sequence[TtlTableConfig], endpoint_url: str, region: str, interval_s: float
) -> TtlSweeper:
    return TtlSweeper(
        endpoint_url=endpoint_url,
        tables={t.table_name: t.attribute for t in tables},
        region=region,
        interval_s=interval_s,
    )


def rest_api_server(
    api: ApiConfig,
    user_pool: UserPool | None,
    endpoint_url: str,
    region: str,
    access_log: str,
) -> tuple[RestApiServer, tuple[float, float] | None]:
    """The REST API's server and the stage throttle (rate, burst) it applies. Its stage variables and
    canary settings are read from API Gateway (moto) per request (`StageSource`)."""
    throttle = stage_settings(api.properties).get("throttle")
    apigw = local_client("apigateway", endpoint_url, region)
    stage_source = StageSource(lambda: apigw.get_stage(restApiId=api.rest_api_id, stageName=api.stage_name))
    server = RestApiServer(
        api.openapi,
        aws_endpoint_url=endpoint_url,
        region=region,
        stage=api.stage_name,
        stage_source=stage_source,
        user_pool=user_pool,
        access_log=access_log,
        api_id=api.rest_api_id,
        throttle=throttle,
    )
    return server, throttle


# The access keys a local Function URL accepts (AWS_IAM): the function host's (what the functions
# sign with) and the local boto3 clients' (LocalCloud.client, the tests, the runner).
LOCAL_SECRETS = {"ASIALOCALCLOUD000000": "localcloud-secret-access-key", "testing": "testing"}


def function_url_server(
    host: FunctionHost, function_name: str, auth_type: str, region: str
) -> FunctionUrlServer:
    return FunctionUrlServer(host, function_name, auth_type, region, LOCAL_SECRETS)


def signed_request(url: str, method: str, path: str, body: Any, region: str) -> tuple[int, Any]:
    """One SigV4-signed (service lambda, credentials testing/testing) JSON request to a Function URL."""
    from remote_services.aws.sigv4 import Credentials, amz_date, sign

    target = urllib.parse.urljoin(url, path.lstrip("/"))
    parts = urllib.parse.urlsplit(target)
    data = b"" if body is None else json.dumps(body).encode()
    headers = {"Host": parts.netloc, "Content-Type": "application/json"}
    headers.update(
        sign(
            method=method,
            path=parts.path or "/",
            query=urllib.parse.parse_qsl(parts.query, keep_blank_values=True),
            headers=headers,
            body=data,
            credentials=Credentials("testing", "testing"),
            region=region,
            service="lambda",
            timestamp=amz_date(),
        )
    )
    request = urllib.request.Request(
        target, data=data if body is not None else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def cloudwatch_context(prov: Provisioned, template_path: Path, started_ms: int) -> dict[str, Any]:
    """What the local dashboard needs to resolve the template's DashboardBody (`localcloud.cloudwatch`)."""
    api = prov.api
    api_name = str(api.properties.get("Name", api.logical_id)) if api else ""
    return {
        "template": str(template_path.resolve()),
        "startedMs": started_ms,
        "region": prov.region,
        "parameters": {k: str(v) for k, v in prov.parameters.items()},
        "physical": dict(prov.physical_ids),
        "attributes": {
            lid: {k: v for k, v in attrs.items() if isinstance(v, (str, int, float))}
            for lid, attrs in prov.attributes.items()
        },
        "apiDimensions": [["ApiName", api_name], ["Stage", api.stage_name if api else ""]],
    }
