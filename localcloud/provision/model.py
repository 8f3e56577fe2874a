"""What provisioning returns (`Provisioned` and the configurations in it) and its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    layer_dirs: tuple[Path, ...] = ()  # the built layers of the template it uses, in order


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


@dataclass(frozen=True)
class FunctionUrlConfig:
    """A Lambda Function URL (``AWS::Lambda::Url``): the function it invokes, its auth type, its URL."""

    logical_id: str
    function: str  # the function's logical id
    auth_type: str  # AWS_IAM | NONE
    url: str


@dataclass
class Provisioned:
    """What the runner needs after provisioning."""

    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, Any]
    functions: dict[str, FunctionConfig] = field(default_factory=dict)
    layers: dict[str, Path] = field(default_factory=dict)  # layer version ARN -> its built content
    event_source_mappings: list[EventSourceMappingConfig] = field(default_factory=list)
    pipes: list[PipeConfig] = field(default_factory=list)
    ttl_tables: list[TtlTableConfig] = field(default_factory=list)
    function_urls: list[FunctionUrlConfig] = field(default_factory=list)
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
