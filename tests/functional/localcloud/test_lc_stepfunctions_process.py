"""Step Functions in a process of its own (localcloud.aws.stepfunctions_process), and the ASL
engine's cost patches (localcloud.aws.moto_asl_costs): the same answers as moto in one process."""

from __future__ import annotations

import copy
import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.aws.moto_asl_costs import json_deepcopy
from localcloud.aws.stepfunctions_process import StepFunctionsProcess
from tests.functional.localcloud.lc_support import ACCOUNT, Cloud, spec

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"


@pytest.fixture(scope="module")
def routed(cloud: Cloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StepFunctionsProcess]:
    """The module's cloud with its Step Functions calls sent to a process of its own."""
    process = StepFunctionsProcess(tmp_path_factory.mktemp("sfn") / "stepfunctions.log").start()
    cloud.endpoint.route_stepfunctions_to(process.connect(cloud.endpoint.url))
    try:
        yield process
    finally:
        cloud.endpoint.stepfunctions = None
        process.stop()


def _machine(cloud: Cloud, name: str, definition: dict[str, Any]) -> str:
    arn: str = cloud.client("stepfunctions").create_state_machine(
        name=name, roleArn=ROLE, type="EXPRESS", definition=json.dumps(definition)
    )["stateMachineArn"]
    return arn


def _sync(cloud: Cloud, arn: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    resp: dict[str, Any] = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(payload))
    return resp


def test_state_machines_live_in_the_other_process(cloud: Cloud, routed: StepFunctionsProcess) -> None:
    arn = _machine(cloud, "elsewhere", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    listed = cloud.client("stepfunctions").list_state_machines()["stateMachines"]
    assert arn in [m["stateMachineArn"] for m in listed]
    # the moto of the main process has none: every AWSStepFunctions.* call went to the process
    sfn_at_moto = cloud.moto.url
    import boto3  # type: ignore[import-untyped, unused-ignore]

    local = boto3.client(
        "stepfunctions", endpoint_url=sfn_at_moto, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    assert arn not in [m["stateMachineArn"] for m in local.list_state_machines()["stateMachines"]]
    assert routed.pid is not None and routed.pid != os.getpid()


def test_task_states_call_the_endpoint_lambda_dynamodb_and_sqs(
    cloud: Cloud, routed: StepFunctionsProcess
) -> None:
    cloud.host.register(spec("SfnProcTask"))
    ddb = cloud.client("dynamodb")
    ddb.create_table(
        TableName="sfn-proc", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    queue = cloud.client("sqs").create_queue(QueueName="sfn-proc")["QueueUrl"]
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": spec("SfnProcTask").arn, "Payload.$": "$"},
                "ResultSelector": {"pid.$": "$.Payload.pid"}, "ResultPath": "$.fn", "Next": "Put",
            },
            "Put": {
                "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "sfn-proc", "Item": {"pk": {"S.$": "$.vin"}}},
                "ResultPath": None, "Next": "Send",
            },
            "Send": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": queue, "MessageBody.$": "$"}, "ResultPath": None, "End": True,
            },
        },
    }  # fmt: skip
    arn = _machine(cloud, "elsewhere-tasks", definition)
    resp = _sync(cloud, arn, {"vin": "WVW1", "nested": {"a": [1, {"b": None}]}})
    assert resp["status"] == "SUCCEEDED", resp
    output = json.loads(resp["output"])
    assert output["vin"] == "WVW1" and output["nested"] == {"a": [1, {"b": None}]}
    assert output["fn"]["pid"] > 0
    assert ddb.get_item(TableName="sfn-proc", Key={"pk": {"S": "WVW1"}})["Item"] == {"pk": {"S": "WVW1"}}
    body = cloud.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]["Body"]
    assert json.loads(body)["fn"] == output["fn"]


def test_a_task_past_its_timeout_fails_with_states_timeout(
    cloud: Cloud, routed: StepFunctionsProcess
) -> None:
    cloud.host.register(spec("SfnProcSlow"))
    task = {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 1,
        "Parameters": {"FunctionName": spec("SfnProcSlow").arn, "Payload": {"sleep": 3}}, "End": True,
    }  # fmt: skip
    arn = _machine(cloud, "elsewhere-timeout", {"StartAt": "T", "States": {"T": task}})
    resp = _sync(cloud, arn, {})
    assert resp["status"] == "FAILED" and resp["error"] == "States.Timeout", resp


def test_parallel_branches_each_get_their_own_copy(cloud: Cloud, routed: StepFunctionsProcess) -> None:
    branch = {
        "StartAt": "Set",
        "States": {"Set": {"Type": "Pass", "Result": "x", "ResultPath": "$.shared.mark", "End": True}},
    }
    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [branch, branch], "End": True}},
    }
    arn = _machine(cloud, "elsewhere-parallel", definition)
    resp = _sync(cloud, arn, {"shared": {"kept": [1, 2]}})
    assert resp["status"] == "SUCCEEDED", resp
    assert json.loads(resp["output"]) == [{"shared": {"kept": [1, 2], "mark": "x"}}] * 2


def test_the_process_ends_when_the_cloud_does(tmp_path: Any) -> None:
    process = StepFunctionsProcess(tmp_path / "sfn.log").start()
    pid = process.pid
    assert pid is not None
    process.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the Step Functions process outlived stop()")


def test_json_deepcopy_copies_json_like_deepcopy() -> None:
    value: dict[str, Any] = {"a": [1, 2.5, {"b": None, "c": True}], "d": "s", "e": {}}
    copied = json_deepcopy(value)
    assert copied == copy.deepcopy(value)
    copied["a"][2]["b"] = "changed"
    assert value["a"][2]["b"] is None  # an independent copy
    odd = {"when": object()}
    assert json_deepcopy(odd)["when"] is not odd["when"]  # anything else: copy.deepcopy
