"""template.yaml (a colour's stack) and stacks/shared.yaml (the environment's shared stack) as
CloudFormation reads them, with the lookups the template tests share."""

from __future__ import annotations

from typing import Any

from tests.unit.template.cfn_yaml import ROOT, load

TEMPLATE = load(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBAL_FN: dict[str, Any] = TEMPLATE["Globals"]["Function"]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
SHARED_PATH = ROOT / "stacks" / "shared.yaml"
SHARED = load(SHARED_PATH)
SHARED_RESOURCES: dict[str, Any] = SHARED["Resources"]


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in RESOURCES.items() if res["Type"] == kind}


FUNCTIONS = of_type("AWS::Serverless::Function")
QUEUES = of_type("AWS::SQS::Queue")
STATE_MACHINES = of_type("AWS::Serverless::StateMachine")


def fn_prop(lid: str, name: str) -> Any:
    """A function property, falling back to Globals like SAM does."""
    props = FUNCTIONS[lid]["Properties"]
    return props[name] if name in props else GLOBAL_FN.get(name)


def getatt_target(value: Any) -> str:
    assert isinstance(value, dict) and "Fn::GetAtt" in value, value
    target: str = value["Fn::GetAtt"][0]
    return target
