"""The AWS endpoint: Lambda API -> function host, StartSyncExecution, everything else -> moto."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from tests.functional.localcloud.lc_support import ACCOUNT, Cloud, spec

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"


def test_lambda_invoke_through_boto3_reaches_the_function_host(cloud: Cloud) -> None:
    cloud.host.register(spec("FrontEcho"))
    lam = cloud.client("lambda")
    resp = lam.invoke(FunctionName="lc-FrontEcho", Payload=b'{"hello": "front"}')
    assert resp["StatusCode"] == 200 and resp["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in resp
    assert json.loads(resp["Payload"].read())["event"] == {"hello": "front"}
    failed = lam.invoke(FunctionName=spec("FrontEcho").arn, Payload=b'{"raise": "no"}')
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "ValidationError"
    queued = lam.invoke(FunctionName="lc-FrontEcho", Payload=b"{}", InvocationType="Event")
    assert queued["StatusCode"] == 202


def test_unknown_function_is_resource_not_found(cloud: Cloud) -> None:
    with pytest.raises(ClientError) as err:
        cloud.client("lambda").invoke(FunctionName="lc-missing", Payload=b"{}")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_other_services_are_proxied_to_moto(cloud: Cloud) -> None:
    from localcloud.aws.moto_proxy import InProcessMoto

    assert isinstance(cloud.endpoint.moto, InProcessMoto)  # moto of this process: called directly
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="front-proxy")["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody="über", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert got["Body"] == "über" and got["MessageAttributes"]["k"]["StringValue"] == "v"
    ddb = cloud.client("dynamodb")
    ddb.create_table(
        TableName="front-proxy",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="front-proxy", Item={"pk": {"S": "a"}})
    assert ddb.get_item(TableName="front-proxy", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    # the same call straight to moto and through the endpoint answer alike (query string kept)
    req = urllib.request.Request(cloud.endpoint.url + "/moto-api/data.json?x=1")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and "sqs" in json.loads(resp.read())


def test_moto_port_points_at_the_front(cloud: Cloud) -> None:
    assert os.environ["MOTO_PORT"] == str(cloud.endpoint.port)


def _machine(cloud: Cloud, name: str, definition: dict[str, object]) -> str:
    sfn = cloud.client("stepfunctions")
    arn: str = sfn.create_state_machine(
        name=name, roleArn=ROLE, type="EXPRESS", definition=json.dumps(definition)
    )["stateMachineArn"]
    return arn


def test_start_sync_execution_of_a_pass_machine(cloud: Cloud) -> None:
    arn = _machine(
        cloud,
        "sync-pass",
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.x"}, "End": True}}},
    )
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    resp = sfn.start_sync_execution(stateMachineArn=arn, input='{"x": 42}')
    assert resp["status"] == "SUCCEEDED"
    assert json.loads(resp["output"]) == {"got": 42}
    assert resp["stateMachineArn"] == arn and resp["input"] == '{"x": 42}'
    assert resp["executionArn"].endswith(":" + resp["name"])
    assert resp["stopDate"] >= resp["startDate"]
    assert resp["billingDetails"]["billedDurationInMilliseconds"] >= 100


def test_start_sync_execution_runs_a_lambda_task_through_the_front(cloud: Cloud) -> None:
    cloud.host.register(spec("SfnTask"))
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": spec("SfnTask").arn, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
    }
    arn = _machine(cloud, "sync-lambda", {"StartAt": "T", "States": {"T": task}})
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    resp = sfn.start_sync_execution(stateMachineArn=arn, input='{"vin": "X"}')
    assert resp["status"] == "SUCCEEDED", resp
    output = json.loads(resp["output"])
    assert output["event"] == {"vin": "X"} and output["pid"] > 0


def test_start_sync_execution_reports_failure_with_error_and_cause(cloud: Cloud) -> None:
    cloud.host.register(spec("SfnFail"))
    task = {"Type": "Task", "Resource": spec("SfnFail").arn, "End": True}
    arn = _machine(cloud, "sync-fail", {"StartAt": "T", "States": {"T": task}})
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    resp = sfn.start_sync_execution(stateMachineArn=arn, input='{"raise": "bad vin"}')
    assert resp["status"] == "FAILED"
    assert resp["error"] == "ValidationError" and "bad vin" in resp["cause"]
    assert "output" not in resp


def test_start_sync_execution_of_an_unknown_machine_is_moto_error(cloud: Cloud) -> None:
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    with pytest.raises(ClientError) as err:
        sfn.start_sync_execution(stateMachineArn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nope")
    assert err.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


def test_bad_sync_request_is_a_validation_error(cloud: Cloud) -> None:
    req = urllib.request.Request(
        cloud.endpoint.url + "/",
        data=b"not json",
        method="POST",
        headers={
            "X-Amz-Target": "AWSStepFunctions.StartSyncExecution",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400


def test_start_execution_without_a_name_gets_a_fresh_one_each_time(cloud: Cloud) -> None:
    arn = _machine(cloud, "unnamed", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn = cloud.client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert first != second and not first.endswith(":None")


def test_front_over_http_to_moto_behaves_the_same(cloud: Cloud) -> None:
    """in_process=False: moto reached over kept-alive HTTP (a moto of another process)."""
    from localcloud.aws.endpoint import AwsEndpoint
    from localcloud.aws.moto_proxy import MotoClient

    front = AwsEndpoint(cloud.moto.url, cloud.host, in_process=False).start(set_moto_port=False)
    try:
        assert isinstance(front.moto, MotoClient)
        sqs = boto3.client(
            "sqs",
            endpoint_url=front.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        url = sqs.create_queue(QueueName="over-http")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="ü" * 3)
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "ü" * 3
        arn = _machine(cloud, "over-http", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=front.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(inject_host_prefix=False),
        )
        resp = sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 1}')
        assert resp["status"] == "SUCCEEDED" and json.loads(resp["output"]) == {"a": 1}
    finally:
        front.stop()


def test_start_sync_execution_of_a_standard_machine_is_refused(cloud: Cloud) -> None:
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    arn = sfn.create_state_machine(
        name="standard",
        roleArn=ROLE,
        type="STANDARD",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    with pytest.raises(ClientError) as err:
        sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert err.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


def test_concurrent_sync_executions_of_one_machine_do_not_mix(cloud: Cloud) -> None:
    """The parsed program is shared between executions (a cost patch): Map, Parallel, Retry and a
    Lambda task, run side by side, each execution must still see only its own data."""
    cloud.host.register(spec("MixEcho"))
    definition: dict[str, object] = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Both",
                    "States": {
                        "Both": {
                            "Type": "Parallel",
                            "Branches": [
                                {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}},
                                {
                                    "StartAt": "Echo",
                                    "States": {
                                        "Echo": {
                                            "Type": "Task",
                                            "Resource": spec("MixEcho").arn,
                                            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                                            "ResultSelector": {"event.$": "$.event"},
                                            "End": True,
                                        }
                                    },
                                },
                            ],
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    arn = _machine(cloud, "no-mixing", definition)
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)

    def run(n: int) -> None:
        items = [{"n": n, "i": i} for i in range(3)]
        resp = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"items": items}))
        assert resp["status"] == "SUCCEEDED", resp
        assert json.loads(resp["output"]) == [[item, {"event": item}] for item in items]

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(run, range(18)))


def test_an_invalid_definition_is_still_refused(cloud: Cloud) -> None:
    sfn = cloud.client("stepfunctions")
    with pytest.raises(ClientError) as err:
        sfn.create_state_machine(
            name="invalid", roleArn=ROLE, type="EXPRESS", definition='{"StartAt": "X", "States": {"X": {}}}'
        )
    # moto answers 400 with an empty code (AWS: InvalidDefinition); the cached parser must not hide it
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "ASLParserException" in err.value.response["Error"]["Message"]


def test_a_client_routed_in_process_gets_the_same_answers_without_a_connection(cloud: Cloud) -> None:
    from localcloud.aws.botocore_hook import route_in_process

    ddb = cloud.client("dynamodb", connect_timeout=1)
    lam = cloud.client("lambda", connect_timeout=1)
    for client in (ddb, lam):
        route_in_process(client)
        # the hook answers before botocore's HTTP session is asked for a connection
        client._endpoint.http_session.send = _no_http
    assert isinstance(ddb.list_tables()["TableNames"], list)
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName="lc-no-such-function", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as missing:
        ddb.describe_table(TableName="no-such-table")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _no_http(request: Any) -> Any:
    raise AssertionError(f"went over HTTP: {request.url}")


def test_update_function_configuration_reaches_the_function_host(cloud: Cloud) -> None:
    cloud.host.register(spec("Configured"))
    lam = cloud.client("lambda")
    assert "FunctionError" not in lam.invoke(FunctionName="lc-Configured", Payload=b"{}")
    assert lam.get_function_configuration(FunctionName="lc-Configured")["Environment"] == {"Variables": {}}

    lam.update_function_configuration(
        FunctionName="lc-Configured", Environment={"Variables": {"INIT_FAIL": "1"}}, Timeout=5
    )

    described = lam.get_function_configuration(FunctionName=spec("Configured").arn)
    assert described["Environment"] == {"Variables": {"INIT_FAIL": "1"}} and described["Timeout"] == 5
    # the old instance is retired: the next invocation starts one with the new environment
    failed = lam.invoke(FunctionName="lc-Configured", Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"


def test_function_configuration_errors_are_lambdas(cloud: Cloud) -> None:
    cloud.host.register(spec("Configured2"))
    lam = cloud.client("lambda")
    with pytest.raises(ClientError) as missing:
        lam.update_function_configuration(FunctionName="lc-missing", Timeout=5)
    with pytest.raises(ClientError) as handler:
        lam.update_function_configuration(FunctionName="lc-Configured2", Handler="other.handler")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert handler.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Handler" in handler.value.response["Error"]["Message"]
