"""statemachines/*.asl.json as AWS reads them: cfn-lint's Amazon States Language schema (E3601),
and a graph check (every transition lands on a state of its scope, every state is reachable)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.template.cfn_yaml import ROOT

MACHINES = sorted((ROOT / "statemachines").glob("*.asl.json"))
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def scopes(asl: dict[str, Any], name: str = "top") -> list[tuple[str, dict[str, Any]]]:
    """The machine and every nested state machine (Parallel branches, Map processors)."""
    found = [(name, asl)]
    for state_name, state in asl["States"].items():
        for index, branch in enumerate(state.get("Branches", [])):
            found += scopes(branch, f"{state_name}[{index}]")
        if "ItemProcessor" in state:
            found += scopes(state["ItemProcessor"], f"{state_name}.ItemProcessor")
    return found


def transitions(state: dict[str, Any]) -> list[str]:
    targets = [state[k] for k in ("Next", "Default") if k in state]
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    targets += [catch["Next"] for catch in state.get("Catch", [])]
    return targets


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.name)
def test_every_transition_lands_and_every_state_is_reachable(path: Path) -> None:
    for scope, machine in scopes(json.loads(path.read_text())):
        states = machine["States"]
        assert machine["StartAt"] in states, scope
        reached, todo = set(), [machine["StartAt"]]
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            reached.add(name)
            for target in transitions(states[name]):
                assert target in states, f"{scope}: {name} -> {target}"
                todo.append(target)
            if states[name]["Type"] not in ("Choice", "Fail", "Succeed"):
                assert states[name].get("End") is True or "Next" in states[name], f"{scope}: {name}"
        assert reached == set(states), f"{scope}: unreachable {sorted(set(states) - reached)}"


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.name)
def test_jsonpath_only_no_jsonata(path: Path) -> None:
    """moto's interpreter has no JSONata (docs/architecture.md, local fidelity notes)."""
    asl = json.loads(path.read_text())
    assert asl["QueryLanguage"] == "JSONPath"
    assert "{%" not in path.read_text()


@pytest.mark.skipif(not CFN_LINT.exists(), reason="cfn-lint is not installed in this venv")
def test_the_asl_passes_the_states_language_schema(tmp_path: Path) -> None:
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}
    for index, path in enumerate(MACHINES):
        text = path.read_text()
        template["Resources"][f"Machine{index}"] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/workflow",
                "StateMachineType": "EXPRESS",
                "Definition": json.loads(text),
                "DefinitionSubstitutions": {name: "x" for name in set(re.findall(r"\$\{(\w+)\}", text))},
            },
        }
    inlined = tmp_path / "asl.json"
    inlined.write_text(json.dumps(template))
    result = subprocess.run(
        [str(CFN_LINT), str(inlined)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
