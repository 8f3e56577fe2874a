"""The functions to benchmark: read from ``template.yaml`` (CloudFormation short tags tolerated).

Until the template exists, the functions are found from ``functions/<name>/app.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

from localcloud.provision import template as cfn_template

# The functions that call AWS (folder -> the boto3 clients a conventional version creates at init).
AWS_CLIENTS: dict[str, tuple[str, ...]] = {
    "persister": ("dynamodb",),
    "distributor": ("dynamodb",),
    "lifecycle_scheduler": ("sqs",),
    "lifecycle_checker": ("dynamodb", "sns"),
    "vehicle_connector": ("sns",),
    "disclosure": (),
}


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` as the benchmark needs it."""

    logical_id: str
    handler: str
    folder: str
    memory_mb: int = 128
    architecture: str = "x86_64"
    environment: dict[str, str] = field(default_factory=dict)
    layers: tuple[str, ...] = ()  # logical ids of the template's layers it uses (Globals first, as SAM)

    @property
    def calls_aws(self) -> bool:
        """True for the functions that talk to AWS services or endpoints at run time."""
        return self.folder in AWS_CLIENTS

    @property
    def boto3_clients(self) -> tuple[str, ...]:
        """The boto3 clients a conventional (boto3) version of this function creates at init."""
        return AWS_CLIENTS.get(self.folder, ())


def load_template(path: Path) -> dict[str, Any]:
    """Parse a SAM/CloudFormation template (the local cloud's loader: short tags, YAML or JSON);
    ``ValueError`` with the reason if it is not one."""
    try:
        return cfn_template.load_template(path)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc


def folder_for(logical_id: str) -> str:
    """``VehicleDecoderFunction`` -> ``vehicle_decoder`` (the contract's naming rule)."""
    name = logical_id.removesuffix("Function")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def logical_id_for(folder: str) -> str:
    """``vehicle_decoder`` -> ``VehicleDecoderFunction``."""
    return "".join(part.capitalize() for part in folder.split("_")) + "Function"


def _placeholder(name: str) -> str:
    """A harmless stand-in for an environment value the template computes at deploy time."""
    upper = name.upper()
    if upper.endswith("_URL"):
        return "http://127.0.0.1:9/bench"  # the discard port: any call fails fast, never leaves the host
    if upper.endswith("_ARN"):
        return "arn:aws:sns:eu-west-1:123456789012:bench"
    return f"bench-{name.lower().replace('_', '-')}"


def _environment(*sources: Any, defaults: dict[str, str] | None = None) -> dict[str, str]:
    """The environment variables of ``sources`` (later ones win); ``!Ref Parameter`` is the
    parameter's default (``defaults``), any other computed value a placeholder."""
    env: dict[str, str] = {}
    for source in sources:
        variables = ((source or {}).get("Environment") or {}).get("Variables") or {}
        if not isinstance(variables, dict):
            continue
        for name, value in variables.items():
            if isinstance(value, bool):
                env[str(name)] = "true" if value else "false"
            elif isinstance(value, str | int | float):
                env[str(name)] = str(value)
            elif isinstance(value, dict) and str(value.get("Ref")) in (defaults or {}):
                env[str(name)] = (defaults or {})[str(value["Ref"])]
            else:
                env[str(name)] = _placeholder(str(name))
    return env


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _layer_ids(*sources: Any) -> tuple[str, ...]:
    """The ``!Ref`` layers of Globals and of the function (SAM puts the global ones first)."""
    ids: list[str] = []
    for source in sources:
        for layer in (source or {}).get("Layers") or []:
            if isinstance(layer, dict) and isinstance(layer.get("Ref"), str) and layer["Ref"] not in ids:
                ids.append(layer["Ref"])
    return tuple(ids)


def functions_from_template(template: dict[str, Any]) -> list[FunctionSpec]:
    """Every ``AWS::Serverless::Function`` in the template, in template order."""
    globals_fn = ((template.get("Globals") or {}).get("Function")) or {}
    defaults = {
        str(name): str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and isinstance(spec.get("Default"), str | int | float)
    }
    specs = []
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        handler = props.get("Handler", globals_fn.get("Handler"))
        if not isinstance(handler, str):
            handler = f"functions.{folder_for(logical_id)}.app.handler"
        parts = handler.split(".")
        folder = parts[1] if len(parts) >= 4 and parts[0] == "functions" else folder_for(logical_id)
        archs = props.get("Architectures", globals_fn.get("Architectures")) or ["x86_64"]
        arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else "x86_64"
        specs.append(
            FunctionSpec(
                logical_id=str(logical_id),
                handler=handler,
                folder=folder,
                memory_mb=_int(props.get("MemorySize", globals_fn.get("MemorySize")), 128),
                architecture=arch,
                environment=_environment(globals_fn, props, defaults=defaults),
                layers=_layer_ids(globals_fn, props),
            )
        )
    return specs


def functions_from_tree(root: Path) -> list[FunctionSpec]:
    """Without a template: one function per ``functions/<name>/app.py``."""
    return [
        FunctionSpec(
            logical_id_for(app.parent.name), f"functions.{app.parent.name}.app.handler", app.parent.name
        )
        for app in sorted((root / "functions").glob("*/app.py"))
    ]


def discover(root: Path, template_path: Path) -> tuple[list[FunctionSpec], str]:
    """The functions and where they came from (for the report)."""
    if template_path.is_file():
        return functions_from_template(load_template(template_path)), str(template_path.name)
    return functions_from_tree(root), "functions/*/app.py (no template.yaml yet)"


def sample_event(root: Path, spec: FunctionSpec) -> tuple[object, str]:
    """The event to invoke with, and where it came from.

    Functions that call AWS get an SQS batch with no records: init plus one invocation, no network.
    Others get their first valid sample from ``events/<folder>/`` (names with "invalid" are skipped).
    """
    if spec.calls_aws:
        return {"Records": []}, "empty SQS batch (the function calls AWS: no network in the benchmark)"
    folder = root / "events" / spec.folder
    for path in sorted(folder.glob("*.json")):
        if "invalid" in path.name.lower():
            continue
        try:
            import json

            return json.loads(path.read_text()), str(path.relative_to(root))
        except ValueError:
            continue
    raise LookupError(
        f"no valid sample event in {folder.relative_to(root)}/ (files named *invalid* are skipped)"
    )
