"""Load a CloudFormation/SAM YAML template with its short-form tags (!Ref, !Sub, !GetAtt, ...)
as the long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``), as CloudFormation reads it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

yaml: Any = importlib.import_module("yaml")  # typed as Any: no stubs needed

ROOT = Path(__file__).resolve().parents[3]

_Loader: Any = type("_Loader", (yaml.SafeLoader,), {"__doc__": "SafeLoader + CloudFormation short tags."})


def _construct(loader: Any, tag_suffix: str, node: Any) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_Loader.add_multi_constructor("!", _construct)


def load(path: Path) -> dict[str, Any]:
    """The YAML document at `path` as plain data (CloudFormation long form)."""
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)
    return data


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, node) of a nested structure, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from walk(child, f"{path}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk(child, f"{path}[{index}]")
