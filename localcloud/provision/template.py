"""CloudFormation / SAM template files: `load_template(path)` reads YAML (short `!Ref` tags or
long `Fn::` form) or JSON; `load_yaml(text)` parses text that may use the short tags."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

from localcloud.provision.intrinsics import ResolveError

__all__ = ["load_template", "load_yaml"]

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Not": "Fn::Not",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Cidr": "Fn::Cidr",
    "Transform": "Fn::Transform",
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
}


_CfnLoader: Any = type("_CfnLoader", (yaml.SafeLoader,), {"__doc__": "SafeLoader + CFN short tags."})


def _make_constructor(name: str) -> Callable[[Any, Any], dict[str, Any]]:
    def construct(loader: Any, node: Any) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _tag, _name in _SHORT_TAGS.items():
    _CfnLoader.add_constructor(f"!{_tag}", _make_constructor(_name))


def load_yaml(text: str) -> Any:
    """Parse YAML (or JSON) text that may use CloudFormation short-form tags."""
    return yaml.load(text, Loader=_CfnLoader)


def load_template(path: str | Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM template file (YAML or JSON)."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if text.lstrip().startswith("{") else load_yaml(text)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ResolveError(f"{path}: not a CloudFormation template (no Resources mapping)")
    return data
