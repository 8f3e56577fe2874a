"""Reading one scenario file: YAML, then the JSON Schema (schemas/scenario.schema.json); every
error becomes a ScenarioError naming the file, the case and the field."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml  # type: ignore[import-untyped, unused-ignore]

from simulator.scenario.model import ScenarioError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "scenario.schema.json"


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def dotted(parts: Iterable[object]) -> str:
    """["vehicle", "ack", "delayMs"] -> "vehicle.ack.delayMs"; list indexes as [i]."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def case_label(doc: Any, index: int) -> str:
    """The name of `cases[index]` (or "cases[i]" when it has none)."""
    cases = doc.get("cases") if isinstance(doc, dict) else None
    if isinstance(cases, list) and index < len(cases) and isinstance(cases[index], dict):
        name = cases[index].get("name")
        if isinstance(name, str) and name:
            return name
    return f"cases[{index}]"


def _error_field(error: Any) -> list[object]:
    """The path of the offending field: for an unknown or a missing key, that key itself."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in instance if k not in known)
        if extra:
            path.append(extra[0])
    elif error.validator == "required" and isinstance(instance, Mapping):
        missing = [k for k in error.validator_value if k not in instance]
        if missing:
            path.append(missing[0])
    return path


def _schema_error(file: str, doc: Any, error: Any) -> ScenarioError:
    path = _error_field(error)
    message = str(error.message)
    if error.validator == "additionalProperties":
        message = f"unknown field ({message})"
    if len(path) >= 2 and path[0] == "cases" and isinstance(path[1], int):
        return ScenarioError(file, case_label(doc, path[1]), dotted(path[2:]), message)
    if path and path[0] == "defaults":
        return ScenarioError(file, "defaults", dotted(path[1:]), message)
    return ScenarioError(file, None, dotted(path), message)


def read(path: Path) -> dict[str, Any]:
    """The parsed, schema-valid document of `path` (ScenarioError otherwise)."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(file, None, "(file)", f"cannot be read: {exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(yaml)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(file, None, where, f"not valid YAML: {problem}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(file, None, "(top)", "a scenario file is a mapping with version and cases")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is not None:
        raise _schema_error(file, doc, error)
    return doc
