"""`python -m bluegreen` against a deployed environment, dry-run on moto: the same code path as on
AWS (the shared stack's outputs from CloudFormation, the router's stage in API Gateway, the weights
table), with AWS_ENDPOINT_URL pointing boto3 at moto. The stacks' outputs are those of a deployed
environment; the router's stage and table are the shared stack as the local provisioner made them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bluegreen.__main__ import main
from localcloud.aws.moto_server import MotoServer
from localcloud.provision import provision
from tests.support.moto import client_at, running_moto

ROOT = Path(__file__).resolve().parents[3]
ENV = "deployed"


def stack_with_outputs(cloudformation: Any, name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Marker": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


@pytest.fixture(scope="module")
def deployed(moto: MotoServer) -> dict[str, str]:
    shared = provision(
        ROOT / "stacks" / "shared.yaml", moto.url, {"EnvironmentName": ENV}, stack_name="x-shared"
    )
    cloudformation = client_at(moto.url, "cloudformation")
    outputs = {"ApiId": shared.physical_ids["Api"], "WeightsTableName": shared.physical_ids["WeightsTable"],
               "ApiUrl": "http://127.0.0.1:9/live"}  # fmt: skip
    stack_with_outputs(cloudformation, f"{ENV}-shared", outputs)
    harness = {"HarnessTableName": f"{ENV}-green-harness", "PushesTableName": f"{ENV}-green-pushes",
               "BrokerMockUrl": "http://127.0.0.1:9/"}  # fmt: skip
    stack_with_outputs(cloudformation, f"{ENV}-green", harness)
    return outputs


@pytest.fixture
def aws_at_moto(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("SCENARIO_TOKEN_ALICE", "token-of-alice")
    monkeypatch.setenv("SCENARIO_TOKEN_BOB", "token-of-bob")


def test_status_and_sync_read_the_environment_from_its_shared_stack(
    deployed: dict[str, str], aws_at_moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--env", ENV, "--region", "us-east-1"]) == 0
    assert main(["status", "--env", ENV, "--region", "us-east-1"]) == 0
    status = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == {"environment": ENV, "stage": {"blue": 100, "green": 0}, "live": "blue",
                      "canaryPercent": 0.0, "table": {"blue": 100, "green": 0}}  # fmt: skip


def test_a_shift_whose_gate_cannot_pass_changes_nothing_and_exits_1(
    deployed: dict[str, str], aws_at_moto: None, tmp_path: Path
) -> None:
    """green's API is unreachable here: the gate's cases fail, the shift is refused, the stage stays."""
    report = tmp_path / "shift.json"
    scenarios = ROOT / "simulator" / "scenarios" / "gate.yaml"
    code = main(["shift", "--env", ENV, "--region", "us-east-1", "--colour", "green", "--steps", "10",
                 "--scenarios", str(scenarios), "--bake-s", "0", "--json", str(report)])  # fmt: skip
    assert code == 1
    written = json.loads(report.read_text())
    assert written["outcome"] == "refused" and written["after"] == {"blue": 100, "green": 0}
    (gate,) = [entry for entry in written["log"] if "gate" in entry]
    assert gate["colour"] == "green" and gate["failed"] and not gate["passed"]


def test_an_environment_without_a_shared_stack_is_a_setup_error(aws_at_moto: None, moto: MotoServer) -> None:
    assert main(["status", "--env", "nobody", "--region", "us-east-1"]) == 2
