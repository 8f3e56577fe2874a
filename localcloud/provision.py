"""The provisioner: creates the resources of the BUILT SAM template in moto, through the front.

    prov = provision(".aws-sam/build/template.yaml", endpoint_url, parameters={"BrokerUrl": ...})

It interprets the SAM resource types itself (AWS::Serverless::Function / StateMachine / Api /
SimpleTable, with `Globals`), resolves the intrinsics (see `localcloud.cfn`), creates DynamoDB
tables (keys, GSIs, TTL), SQS queues (attributes, redrive), SNS topics and subscriptions (raw
delivery, filter policies with their scope), Step Functions state machines (definition file with
`DefinitionSubstitutions`), Cognito user pools and clients, and returns what the runner needs
(`Provisioned`): function configurations, SQS event source mappings, pipes, TTL tables, the API's
OpenAPI document with intrinsics resolved, the logical -> physical id map and the list of resources
that are not emulated (WAF, alarms, log groups, IAM, ...). moto's CloudFormation is not used.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.cfn import ResolveError, Resolver, load_template, load_yaml, references

__all__ = [
    "ApiConfig",
    "EventSourceMappingConfig",
    "FunctionConfig",
    "PipeConfig",
    "ProvisionError",
    "Provisioned",
    "TtlTableConfig",
    "provision",
]

DEFAULT_ACCOUNT = "123456789012"


class ProvisionError(RuntimeError):
    """A resource of the template could not be created."""


@dataclass
class FunctionConfig:
    """One Lambda function of the template (SAM or plain), ready for the function host."""

    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    artifact_dir: Path
    env: dict[str, str]
    timeout_s: int = 3
    memory_mb: int = 128
    reserved_concurrency: int | None = None
    architecture: str = "x86_64"


@dataclass
class EventSourceMappingConfig:
    """An SQS -> Lambda event source mapping (SAM `Events: SQS` or AWS::Lambda::EventSourceMapping)."""

    logical_id: str
    function: str  # logical id of the function
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    batching_window_s: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True
    maximum_concurrency: int | None = None


@dataclass
class PipeConfig:
    """An EventBridge pipe: SQS source -> optional enrichment function -> Step Functions target."""

    logical_id: str
    name: str
    source_queue_url: str
    source_queue_arn: str
    enrichment_function: str | None  # function NAME (as in the enrichment ARN)
    target_arn: str
    invocation_type: str = "FIRE_AND_FORGET"
    batch_size: int = 1
    batching_window_s: float = 0.0
    input_template: str | None = None


@dataclass
class TtlTableConfig:
    """A DynamoDB table with TTL enabled."""

    table_name: str
    attribute: str


@dataclass
class ApiConfig:
    """A REST API: the OpenAPI document (intrinsics resolved) and its stage settings."""

    logical_id: str
    rest_api_id: str
    stage_name: str
    openapi: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Provisioned:
    """What the runner needs after provisioning."""

    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, Any]
    functions: dict[str, FunctionConfig] = field(default_factory=dict)
    event_source_mappings: list[EventSourceMappingConfig] = field(default_factory=list)
    pipes: list[PipeConfig] = field(default_factory=list)
    ttl_tables: list[TtlTableConfig] = field(default_factory=list)
    apis: list[ApiConfig] = field(default_factory=list)
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    not_emulated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def api(self) -> ApiConfig | None:
        """The first (usually only) REST API."""
        return self.apis[0] if self.apis else None

    def function_by_name(self, name_or_arn: str) -> FunctionConfig | None:
        """The function with this name, ARN (possibly qualified) or logical id."""
        name = name_or_arn
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else name
        for fn in self.functions.values():
            if name in (fn.name, fn.logical_id):
                return fn
        return None


def _http_post_json(url: str, body: Mapping[str, Any], timeout: float = 10.0) -> None:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        resp.read()


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _physical_name(stack: str, logical_id: str, limit: int) -> str:
    name = f"{stack}-{logical_id}"
    return name[:limit]


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


class _Provisioner:
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
    ) -> None:
        boto3: Any = importlib.import_module("boto3")

        self.path = template_path
        self.base = template_path.parent
        self.template = load_template(template_path)
        self.endpoint = endpoint_url.rstrip("/")
        self.region = region
        self.stack = stack_name
        self.env_overrides = dict(env_overrides)
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        self.r = Resolver(
            self.template, parameters, region=region, account_id=account_id, stack_name=stack_name
        )
        self.r.attr_fallback = self._attr_fallback
        self.out = Provisioned(
            stack_name=stack_name, region=region, account_id=account_id, parameters=dict(self.r.params)
        )
        self._clients: dict[str, Any] = {}
        self.resources: dict[str, dict[str, Any]] = dict(self.template["Resources"])
        self._add_implicit_resources()
        self._sfn_configured = False

    # helpers ------------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint)
        return self._clients[service]

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        reg = self.region if region else ""
        return f"arn:aws:{service}:{reg}:{self.out.account_id}:{resource}"

    def _attr_fallback(self, name: str, attr: str) -> Any:
        """GetAtt on a resource that is not emulated: a plausible ARN/value, noted."""
        rtype = self.out.types.get(name) or self.resources.get(name, {}).get("Type", "")
        if not rtype:
            return None
        ref = self.r.refs.get(name, f"{self.stack}-{name}")
        if attr == "Arn":
            service = rtype.split("::")[1].lower() if "::" in rtype else "unknown"
            if service == "iam":
                return f"arn:aws:iam::{self.out.account_id}:role/{ref}"
            return self.arn(service, ref)
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
        """Logical ids in dependency order (Ref/GetAtt/Sub/DependsOn), stable otherwise."""
        deps: dict[str, set[str]] = {}
        for lid, res in self.resources.items():
            d = references(res.get("Properties") or {})
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
        globals_ = self.template.get("Globals") or {}
        handlers = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::Serverless::SimpleTable": self._simple_table,
            "AWS::SQS::Queue": self._queue,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Serverless::Function": self._sam_function,
            "AWS::Lambda::Function": self._lambda_function,
            "AWS::Lambda::EventSourceMapping": self._esm,
            "AWS::Serverless::StateMachine": self._sam_state_machine,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::Serverless::Api": self._sam_api,
            "AWS::ApiGateway::RestApi": self._rest_api,
            "AWS::Pipes::Pipe": self._pipe,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
        }
        for lid in self._ordered():
            res = self.resources[lid]
            rtype = str(res.get("Type", ""))
            self.out.types[lid] = rtype
            cond = res.get("Condition")
            if cond is not None and not self.r.condition(cond):
                continue
            handler = handlers.get(rtype)
            if handler is None:
                self.r.refs.setdefault(lid, f"{self.stack}-{lid}")
                self.out.physical_ids[lid] = self.r.refs[lid]
                if not res.get("Implicit"):
                    self.out.not_emulated.append(f"{lid} ({rtype})")
                continue
            props = copy.deepcopy(res.get("Properties") or {})
            gkey = {
                "AWS::Serverless::Function": "Function",
                "AWS::Serverless::Api": "Api",
                "AWS::Serverless::SimpleTable": "SimpleTable",
                "AWS::Serverless::StateMachine": "StateMachine",
            }
            if rtype in gkey and gkey[rtype] in globals_:
                props = _merge_globals(props, globals_[gkey[rtype]])
            try:
                handler(lid, props)
            except ResolveError as exc:
                raise ProvisionError(f"{lid} ({rtype}): {exc}") from exc
            except OSError as exc:
                raise ProvisionError(f"{lid} ({rtype}): cannot read {exc.filename}: {exc.strerror}") from exc
            except Exception as exc:
                if type(exc).__name__ in ("ClientError", "ParamValidationError", "EndpointConnectionError"):
                    raise ProvisionError(f"{lid} ({rtype}): {exc}") from exc
                raise
            self.out.physical_ids[lid] = str(self.r.refs.get(lid, ""))
        self.out.attributes = self.r.attrs
        for name, output in (self.template.get("Outputs") or {}).items():
            cond = output.get("Condition")
            if cond is not None and not self.r.condition(cond):
                continue
            try:
                self.out.outputs[name] = self.r.resolve(output.get("Value"))
            except ResolveError as exc:
                self.out.notes.append(f"output {name} not resolved: {exc}")
        return self.out

    def _set(self, lid: str, ref: Any, **attrs: Any) -> None:
        self.r.refs[lid] = ref
        self.r.attrs[lid] = attrs

    # DynamoDB -----------------------------------------------------------------------------------
    def _table(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        name = p.get("TableName") or _physical_name(self.stack, lid, 255)
        billing = p.get("BillingMode", "PROVISIONED")
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": p["AttributeDefinitions"],
            "BillingMode": billing,
        }
        throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if billing != "PAY_PER_REQUEST":
            kwargs["ProvisionedThroughput"] = p.get("ProvisionedThroughput", throughput)
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if p.get(key):
                idx = []
                for i in p[key]:
                    i = {
                        k: v
                        for k, v in i.items()
                        if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                    }
                    if billing == "PAY_PER_REQUEST":
                        i.pop("ProvisionedThroughput", None)
                    elif key == "GlobalSecondaryIndexes":
                        i.setdefault("ProvisionedThroughput", throughput)
                    idx.append(i)
                kwargs[key] = idx
        if p.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        ddb = self.client("dynamodb")
        desc = ddb.create_table(**kwargs)["TableDescription"]
        ttl = p.get("TimeToLiveSpecification") or {}
        if _truthy(ttl.get("Enabled")) and ttl.get("AttributeName"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
            self.out.ttl_tables.append(TtlTableConfig(name, ttl["AttributeName"]))
        if p.get("PointInTimeRecoverySpecification"):
            self.out.notes.append(f"{lid}: point-in-time recovery is accepted but not emulated")
        self._set(
            lid,
            name,
            Arn=desc["TableArn"],
            StreamArn=desc.get("LatestStreamArn", desc["TableArn"] + "/stream/local"),
        )

    def _simple_table(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        pk = p.get("PrimaryKey", {"Name": "id", "Type": "String"})
        atype = {"String": "S", "Number": "N", "Binary": "B"}[pk.get("Type", "String")]
        table = {
            "TableName": p.get("TableName") or _physical_name(self.stack, lid, 255),
            "KeySchema": [{"AttributeName": pk["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": pk["Name"], "AttributeType": atype}],
            "BillingMode": "PAY_PER_REQUEST" if "ProvisionedThroughput" not in p else "PROVISIONED",
        }
        if "ProvisionedThroughput" in p:
            table["ProvisionedThroughput"] = p["ProvisionedThroughput"]
        self._table(lid, table)

    # SQS ----------------------------------------------------------------------------------------
    _QUEUE_ATTRS = (
        "DelaySeconds",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "MaximumMessageSize",
        "ReceiveMessageWaitTimeSeconds",
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
    )

    def _queue(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        fifo = _truthy(p.get("FifoQueue"))
        name = p.get("QueueName") or _physical_name(self.stack, lid, 75 if fifo else 80)
        if fifo and not name.endswith(".fifo"):
            name += ".fifo"
        attrs = {k: _attr_str(p[k]) for k in self._QUEUE_ATTRS if k in p}
        for k in ("RedrivePolicy", "RedriveAllowPolicy"):
            if k in p:
                attrs[k] = p[k] if isinstance(p[k], str) else json.dumps(p[k])
        ignored = [
            k for k in ("KmsMasterKeyId", "SqsManagedSseEnabled", "KmsDataKeyReusePeriodSeconds") if k in p
        ]
        if ignored:
            self.out.notes.append(f"{lid}: SQS encryption settings {ignored} ignored (not emulated)")
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.arn("sqs", name)
        self._set(lid, url, Arn=arn, QueueName=name, QueueUrl=url)

    # SNS ----------------------------------------------------------------------------------------
    def _topic(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        fifo = _truthy(p.get("FifoTopic"))
        name = p.get("TopicName") or _physical_name(self.stack, lid, 251 if fifo else 256)
        if fifo and not name.endswith(".fifo"):
            name += ".fifo"
        attrs: dict[str, str] = {}
        if fifo:
            attrs["FifoTopic"] = "true"
            if "ContentBasedDeduplication" in p:
                attrs["ContentBasedDeduplication"] = _attr_str(p["ContentBasedDeduplication"])
        if p.get("DisplayName"):
            attrs["DisplayName"] = str(p["DisplayName"])
        if p.get("KmsMasterKeyId"):
            self.out.notes.append(f"{lid}: SNS encryption (KmsMasterKeyId) accepted but not emulated")
        arn = self.client("sns").create_topic(Name=name, Attributes=attrs)["TopicArn"]
        self._set(lid, arn, TopicArn=arn, TopicName=name)
        for i, sub in enumerate(p.get("Subscription") or []):
            self._subscribe(f"{lid}Subscription{i}", {"TopicArn": arn, **sub})

    def _subscription(self, lid: str, raw: dict[str, Any]) -> None:
        self._subscribe(lid, self.r.resolve(raw))

    def _subscribe(self, lid: str, p: dict[str, Any]) -> None:
        attrs: dict[str, str] = {}
        if "RawMessageDelivery" in p:
            attrs["RawMessageDelivery"] = _attr_str(p["RawMessageDelivery"])
        if p.get("FilterPolicy") is not None:
            fp = p["FilterPolicy"]
            attrs["FilterPolicy"] = fp if isinstance(fp, str) else json.dumps(fp)
        if p.get("FilterPolicyScope"):
            attrs["FilterPolicyScope"] = str(p["FilterPolicyScope"])
        if p.get("RedrivePolicy"):
            rp = p["RedrivePolicy"]
            attrs["RedrivePolicy"] = rp if isinstance(rp, str) else json.dumps(rp)
        resp = self.client("sns").subscribe(
            TopicArn=p["TopicArn"],
            Protocol=p["Protocol"],
            Endpoint=p["Endpoint"],
            Attributes=attrs,
            ReturnSubscriptionArn=True,
        )
        sub_arn = resp["SubscriptionArn"]
        self._set(lid, sub_arn, Arn=sub_arn)
        self.out.physical_ids[lid] = sub_arn

    # Lambda -------------------------------------------------------------------------------------
    def _sam_function(self, lid: str, raw: dict[str, Any]) -> None:
        events = raw.pop("Events", None) or {}
        self._lambda_function(lid, raw, sam=True)
        for ename, ev in events.items():
            etype = ev.get("Type")
            if etype == "SQS":
                self._esm(
                    f"{lid}{ename}", {**(ev.get("Properties") or {}), "FunctionName": {"Ref": lid}}, sam=True
                )
            elif etype == "Api":
                continue  # routes come from the OpenAPI document
            else:
                self.out.not_emulated.append(f"{lid}.Events.{ename} ({etype} event source)")

    def _lambda_function(self, lid: str, raw: dict[str, Any], *, sam: bool = False) -> None:
        p = self.r.resolve(raw)
        name = p.get("FunctionName") or _physical_name(self.stack, lid, 64)
        code = p.get("CodeUri") if sam else p.get("Code")
        code_dir = code if isinstance(code, str) else lid
        artifact = (self.base / code_dir).resolve()
        env = {k: _attr_str(v) for k, v in ((p.get("Environment") or {}).get("Variables") or {}).items()}
        env.update(self.env_overrides)
        arch = (p.get("Architectures") or ["x86_64"])[0]
        arn = self.arn("lambda", f"function:{name}")
        rc = p.get("ReservedConcurrentExecutions")
        self.out.functions[lid] = FunctionConfig(
            logical_id=lid,
            name=name,
            arn=arn,
            handler=str(p.get("Handler", "bootstrap")),
            runtime=str(p.get("Runtime", "provided.al2023")),
            artifact_dir=artifact,
            env=env,
            timeout_s=int(p.get("Timeout", 3)),
            memory_mb=int(p.get("MemorySize", 128)),
            reserved_concurrency=int(rc) if rc is not None else None,
            architecture=str(arch),
        )
        self._set(lid, name, Arn=arn)

    def _esm(self, lid: str, raw: dict[str, Any], *, sam: bool = False) -> None:
        p = self.r.resolve(raw)
        source = p.get("Queue") if sam else p.get("EventSourceArn")
        if not isinstance(source, str) or ":sqs:" not in source:
            self.out.not_emulated.append(f"{lid} (event source {source!r}: only SQS is emulated)")
            return
        queue_name = source.rsplit(":", 1)[1]
        url = self.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]
        fn = self.out.function_by_name(str(p["FunctionName"]))
        if fn is None:
            raise ProvisionError(f"{lid}: event source mapping to unknown function {p['FunctionName']!r}")
        scaling = p.get("ScalingConfig") or {}
        mc = scaling.get("MaximumConcurrency")
        self.out.event_source_mappings.append(
            EventSourceMappingConfig(
                logical_id=lid,
                function=fn.logical_id,
                queue_url=url,
                queue_arn=source,
                batch_size=int(p.get("BatchSize", 10)),
                batching_window_s=float(p.get("MaximumBatchingWindowInSeconds", 0)),
                report_batch_item_failures="ReportBatchItemFailures"
                in (p.get("FunctionResponseTypes") or []),
                enabled=_truthy(p.get("Enabled", True)),
                maximum_concurrency=int(mc) if mc is not None else None,
            )
        )
        self._set(lid, f"{lid}-uuid")

    # Step Functions -----------------------------------------------------------------------------
    def _configure_sfn(self) -> None:
        if self._sfn_configured:
            return
        _http_post_json(
            f"{self.endpoint}/moto-api/config", {"stepfunctions": {"execute_state_machine": True}}
        )
        self._sfn_configured = True

    def _sam_state_machine(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        if "Definition" in p:
            definition = json.dumps(p["Definition"])
        elif "DefinitionUri" in p:
            uri = p["DefinitionUri"]
            if not isinstance(uri, str):
                raise ProvisionError(f"{lid}: DefinitionUri as an S3 location is not supported locally")
            definition = (self.base / uri).read_text(encoding="utf-8")
        else:
            raise ProvisionError(f"{lid}: no Definition/DefinitionUri")
        self._create_state_machine(
            lid,
            definition,
            p.get("DefinitionSubstitutions") or {},
            p.get("Name"),
            p.get("Type", "STANDARD"),
            p.get("Role"),
        )
        if p.get("Events"):
            self.out.not_emulated.append(f"{lid}.Events (state machine event sources)")

    def _state_machine(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        if "DefinitionString" in p:
            definition = p["DefinitionString"]
        elif "Definition" in p:
            definition = json.dumps(p["Definition"])
        else:
            raise ProvisionError(f"{lid}: DefinitionS3Location is not supported locally")
        self._create_state_machine(
            lid,
            definition,
            p.get("DefinitionSubstitutions") or {},
            p.get("StateMachineName"),
            p.get("StateMachineType", "STANDARD"),
            p.get("RoleArn"),
        )

    def _create_state_machine(
        self,
        lid: str,
        definition: str,
        subs: Mapping[str, Any],
        name: str | None,
        smtype: str,
        role: str | None,
    ) -> None:
        self._configure_sfn()
        for key, value in subs.items():
            definition = definition.replace("${" + key + "}", _attr_str(value))
        left = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition)))
        if left:
            self.out.notes.append(f"{lid}: placeholders without a DefinitionSubstitution: {left}")
        try:
            json.loads(definition)
        except ValueError as exc:
            raise ProvisionError(
                f"{lid}: the definition is not valid JSON after substitution: {exc}"
            ) from exc
        name = name or _physical_name(self.stack, lid, 80)
        role = role or f"arn:aws:iam::{self.out.account_id}:role/{self.stack}-{lid}Role"
        arn = self.client("stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=role, type=smtype
        )["stateMachineArn"]
        self._set(lid, arn, Arn=arn, Name=name, StateMachineRevisionId=arn)

    # API Gateway --------------------------------------------------------------------------------
    def _include(self, value: Any) -> Any:
        """Expand `Fn::Transform: {Name: AWS::Include, Parameters: {Location}}` (relative to the template)."""
        if isinstance(value, dict):
            if len(value) == 1 and "Fn::Transform" in value:
                spec = value["Fn::Transform"]
                if spec.get("Name") != "AWS::Include":
                    raise ProvisionError(f"transform {spec.get('Name')!r} is not supported locally")
                loc = self.r.resolve(spec["Parameters"]["Location"])
                if str(loc).startswith("s3://"):
                    raise ProvisionError(f"AWS::Include from S3 ({loc}) is not supported locally")
                text = (self.base / str(loc)).read_text(encoding="utf-8")
                return self._include(load_yaml(text))
            return {k: self._include(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._include(v) for v in value]
        return value

    def _sam_api(self, lid: str, raw: dict[str, Any]) -> None:
        body = raw.pop("DefinitionBody", None)
        p = self.r.resolve(raw)
        if body is not None:
            openapi = self.r.resolve(self._include(body))
        elif isinstance(p.get("DefinitionUri"), str):
            openapi = self.r.resolve(load_yaml((self.base / p["DefinitionUri"]).read_text(encoding="utf-8")))
        else:
            raise ProvisionError(f"{lid}: only DefinitionBody/DefinitionUri APIs are emulated")
        self._api(lid, openapi, str(p.get("StageName", "Prod")), p)

    def _rest_api(self, lid: str, raw: dict[str, Any]) -> None:
        body = raw.pop("Body", None)
        if body is None:
            self.out.not_emulated.append(f"{lid} (AWS::ApiGateway::RestApi without Body)")
            self._set(lid, f"{lid.lower()[:10]}")
            return
        openapi = self.r.resolve(self._include(body))
        self._api(lid, openapi, "Prod", self.r.resolve(raw))

    def _api(self, lid: str, openapi: dict[str, Any], stage: str, props: dict[str, Any]) -> None:
        rest_id = re.sub(r"[^a-z0-9]", "", lid.lower())[:10] or "api"
        self._set(lid, rest_id, RootResourceId="root")
        self.out.apis.append(ApiConfig(lid, rest_id, stage, openapi, props))

    # Pipes --------------------------------------------------------------------------------------
    def _pipe(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        source = str(p["Source"])
        if ":sqs:" not in source:
            self.out.not_emulated.append(f"{lid} (pipe source {source}: only SQS is emulated)")
            return
        url = self.client("sqs").get_queue_url(QueueName=source.rsplit(":", 1)[1])["QueueUrl"]
        sqs_params = (p.get("SourceParameters") or {}).get("SqsQueueParameters") or {}
        target = str(p["Target"])
        if ":states:" not in target:
            self.out.not_emulated.append(f"{lid} (pipe target {target}: only Step Functions is emulated)")
            return
        tparams = p.get("TargetParameters") or {}
        enrichment = p.get("Enrichment")
        fn_name = None
        if enrichment:
            fn = self.out.function_by_name(str(enrichment))
            fn_name = fn.name if fn else str(enrichment).split(":")[6]
        name = p.get("Name") or _physical_name(self.stack, lid, 64)
        if (p.get("SourceParameters") or {}).get("FilterCriteria"):
            self.out.not_emulated.append(f"{lid}.SourceParameters.FilterCriteria (pipe filtering)")
        self.out.pipes.append(
            PipeConfig(
                logical_id=lid,
                name=name,
                source_queue_url=url,
                source_queue_arn=source,
                enrichment_function=fn_name,
                target_arn=target,
                invocation_type=str(
                    (tparams.get("StepFunctionStateMachineParameters") or {}).get(
                        "InvocationType", "FIRE_AND_FORGET"
                    )
                ),
                batch_size=int(sqs_params.get("BatchSize", 1)),
                batching_window_s=float(sqs_params.get("MaximumBatchingWindowInSeconds", 0)),
                input_template=tparams.get("InputTemplate"),
            )
        )
        arn = self.arn("pipes", f"pipe/{name}")
        self._set(lid, name, Arn=arn)

    # Cognito ------------------------------------------------------------------------------------
    def _user_pool(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        name = p.get("UserPoolName") or _physical_name(self.stack, lid, 128)
        kwargs: dict[str, Any] = {"PoolName": name}
        for key in (
            "Policies",
            "AutoVerifiedAttributes",
            "UsernameAttributes",
            "AliasAttributes",
            "Schema",
            "MfaConfiguration",
            "AdminCreateUserConfig",
        ):
            if key in p:
                kwargs[key] = p[key]
        if "Schema" in kwargs:
            kwargs["Schema"] = [
                {
                    k: (_truthy(v) if k in ("Required", "Mutable", "DeveloperOnlyAttribute") else v)
                    for k, v in a.items()
                }
                for a in kwargs["Schema"]
            ]
        try:
            pool = self.client("cognito-idp").create_user_pool(**kwargs)["UserPool"]
        except Exception as exc:  # moto may refuse an exotic setting: fall back to the name only
            self.out.notes.append(f"{lid}: user pool created with defaults only ({exc})")
            pool = self.client("cognito-idp").create_user_pool(PoolName=name)["UserPool"]
        pid = pool["Id"]
        url = f"https://cognito-idp.{self.region}.amazonaws.com/{pid}"
        self._set(
            lid,
            pid,
            Arn=pool.get("Arn", self.arn("cognito-idp", f"userpool/{pid}")),
            ProviderName=url.removeprefix("https://"),
            ProviderURL=url,
            UserPoolId=pid,
        )

    def _user_pool_client(self, lid: str, raw: dict[str, Any]) -> None:
        p = self.r.resolve(raw)
        flows = list(p.get("ExplicitAuthFlows") or [])
        for needed in (
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ):
            if needed not in flows:
                flows.append(needed)
        kwargs: dict[str, Any] = {
            "UserPoolId": p["UserPoolId"],
            "ClientName": p.get("ClientName") or _physical_name(self.stack, lid, 128),
            "GenerateSecret": _truthy(p.get("GenerateSecret", False)),
            "ExplicitAuthFlows": flows,
        }
        client = self.client("cognito-idp").create_user_pool_client(**kwargs)["UserPoolClient"]
        self._set(
            lid, client["ClientId"], ClientSecret=client.get("ClientSecret", ""), Name=kwargs["ClientName"]
        )


def _attr_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def provision(
    template_path: str | Path,
    endpoint_url: str,
    parameters: Mapping[str, str] | None = None,
    *,
    stack_name: str = "remote-services",
    region: str = "us-east-1",
    account_id: str = DEFAULT_ACCOUNT,
    env_overrides: Mapping[str, str] | None = None,
) -> Provisioned:
    """Create every emulated resource of the built template at `endpoint_url` (the front / moto).

    `env_overrides` are added to every function's environment (e.g. LIFECYCLE_TIME_SCALE).
    Raises `ProvisionError` (or `localcloud.cfn.ResolveError` for bad parameters) with the logical id.
    """
    prov = _Provisioner(
        Path(template_path),
        endpoint_url,
        parameters or {},
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        env_overrides=env_overrides or {},
    )
    return prov.run()
