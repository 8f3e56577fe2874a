"""Ended Express executions leave moto (localcloud.aws.moto_executions): AWS lists and describes none;
STANDARD executions and running ones stay."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from localcloud.aws.moto_executions import forget_ended_express_executions
from tests.functional.localcloud.lc_support import ACCOUNT, Cloud

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"


def _machine(cloud: Cloud, name: str, machine_type: str, seconds: int = 0) -> str:
    state = {"Type": "Wait", "Seconds": seconds, "End": True} if seconds else {"Type": "Pass", "End": True}
    definition = {"StartAt": "S", "States": {"S": state}}
    arn: str = cloud.client("stepfunctions").create_state_machine(
        name=name, roleArn=ROLE, type=machine_type, definition=json.dumps(definition)
    )["stateMachineArn"]
    return arn


def _ended(sfn: object, arn: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        status: str = sfn.describe_execution(executionArn=arn)["status"]  # type: ignore[attr-defined]
        if status != "RUNNING" or time.monotonic() > deadline:
            return status


def test_ended_express_executions_are_forgotten_standard_and_running_ones_kept(cloud: Cloud) -> None:
    sfn = cloud.client("stepfunctions")
    express = _machine(cloud, "forget-express", "EXPRESS")
    slow = _machine(cloud, "forget-slow", "EXPRESS", seconds=30)
    standard = _machine(cloud, "forget-standard", "STANDARD")
    done = [sfn.start_execution(stateMachineArn=express, input="{}")["executionArn"] for _ in range(3)]
    running = sfn.start_execution(stateMachineArn=slow, input="{}")["executionArn"]
    kept = sfn.start_execution(stateMachineArn=standard, input="{}")["executionArn"]
    assert [_ended(sfn, arn) for arn in [*done, kept]] == ["SUCCEEDED"] * 4

    assert forget_ended_express_executions(older_than_s=3600) == 0  # ended just now: still there
    assert forget_ended_express_executions(older_than_s=0) >= 3
    for arn in done:
        with pytest.raises(ClientError) as gone:
            sfn.describe_execution(executionArn=arn)
        assert gone.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    assert sfn.list_executions(stateMachineArn=express)["executions"] == []
    assert sfn.describe_execution(executionArn=running)["status"] == "RUNNING"
    assert sfn.describe_execution(executionArn=kept)["status"] == "SUCCEEDED"
    sfn.stop_execution(executionArn=running)
