"""The REAL api/openapi.yaml, intrinsics resolved against stacks/shared.yaml by the provisioner's
resolver, served by the API front against moto: its routes, validators, authorizer and VTL templates as
written. The workflows are stand-ins (Choice/Pass) with the contract's output shape {statusCode, body},
one per colour, named as the colour stacks name theirs: the stage variable `colour`, the canary and the
X-Target-Environment header pick one (docs/bluegreen.md)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.apigateway import RestApiServer, stage_settings
from localcloud.apigateway.stage_source import StageSource
from localcloud.provision.intrinsics import Resolver
from localcloud.provision.template import load_template, load_yaml
from tests.functional.apigateway.conftest import ACCOUNT, REGION, Answer, LocalAws, call

ROOT = Path(__file__).resolve().parents[3]
ENVIRONMENT = "apitest"
VIN = "WVWZZZ1JZXW000001"

STAND_IN = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.vin", "StringMatches": "BAD*", "Next": "Invalid"},
                {"Variable": "$.vin", "StringEquals": "WVWZZZ1JZXW00BUSY", "Next": "Busy"},
            ],
            "Default": "Accepted",
        },
        "Invalid": {
            "Type": "Pass",
            "Parameters": {
                "statusCode": 400,
                "body": {"error": "VALIDATION_FAILED", "message": 'vin: the VIN isn\'t valid "here"'},
            },
            "End": True,
        },
        "Busy": {
            "Type": "Pass",
            "Parameters": {"statusCode": 409, "body": {"error": "VEHICLE_BUSY", "message": "busy"}},
            "End": True,
        },
        "Accepted": {
            "Type": "Pass",
            "Parameters": {"statusCode": 202, "body": {"eventId.$": "$.eventId", "status": "PENDING"}},
            "End": True,
        },
    },
}


SHARED = ROOT / "stacks" / "shared.yaml"


def resolve_real_openapi(pool_arn: str) -> dict[str, Any]:
    """api/openapi.yaml as the provisioner hands it over: every intrinsic resolved."""
    template = load_template(SHARED)
    resolver = Resolver(
        template, {"EnvironmentName": ENVIRONMENT}, region=REGION, account_id=ACCOUNT, stack_name="apitest"
    )
    resolver.attrs["ApiGatewayRole"] = {"Arn": f"arn:aws:iam::{ACCOUNT}:role/api"}
    resolver.attrs["UserPool"] = {"Arn": pool_arn}
    doc = resolver.resolve(load_yaml((ROOT / "api" / "openapi.yaml").read_text(encoding="utf-8")))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def access_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-api") / "access.log"


def _stand_ins(local_aws: LocalAws) -> dict[str, str]:
    """colour -> the ARN of its event-creation stand-in (created once per moto)."""
    sfn = local_aws.client("stepfunctions")
    arns = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    out = {}
    for colour in ("blue", "green"):
        name = f"{ENVIRONMENT}-{colour}-event-creation"
        out[colour] = (
            arns.get(name)
            or sfn.create_state_machine(
                name=name,
                definition=json.dumps(STAND_IN),
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
                type="EXPRESS",
            )["stateMachineArn"]
        )
    return out


def _ran_on(local_aws: LocalAws, stand_ins: dict[str, str], request_id: str) -> list[str]:
    """The colours whose stand-in ran the request with this id."""
    sfn = local_aws.client("stepfunctions")
    out = []
    for colour, arn in stand_ins.items():
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]:
            if (
                json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])["eventId"]
                == request_id
            ):
                out.append(colour)
    return out


@pytest.fixture(scope="module")
def real(local_aws: LocalAws, access_log: Path) -> Iterator[tuple[str, str]]:
    arn = _stand_ins(local_aws)["blue"]
    local_aws.client("dynamodb").create_table(
        TableName=f"{ENVIRONMENT}-events",
        KeySchema=[
            {"AttributeName": "eventId", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "eventId", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    front = RestApiServer(
        resolve_real_openapi(local_aws.pool_arn),
        aws_endpoint_url=local_aws.endpoint,
        region=REGION,
        stage="live",
        stage_variables={"colour": "blue"},
        user_pool={"id": local_aws.pool_id, "client_ids": [local_aws.client_id]},
        access_log=access_log,
        access_log_format=load_template(SHARED)["Resources"]["Api"]["Properties"]["AccessLogSetting"][
            "Format"
        ],
    )
    try:
        yield front.start(), arn
    finally:
        front.stop()


def _post(
    url: str, env: LocalAws, vin: str = VIN, body: str | None = '{"parameters": {"durationS": 5}}'
) -> Answer:
    return call(f"{url}/v1/vehicles/{vin}/services/HORN_BLOW", "POST", body, {"Authorization": env.id_token})


def test_real_routes_are_built() -> None:
    doc = resolve_real_openapi("arn:aws:cognito-idp:us-east-1:1:userpool/p")
    front = RestApiServer(doc, aws_endpoint_url="http://127.0.0.1:9")
    routes = {(m, r.path) for r in front.spec.resources for m in r.operations}
    assert routes == {
        ("POST", "/v1/vehicles/{vin}/services/{service}"),
        ("GET", "/v1/vehicles/{vin}/services/{service}"),
    }


def test_post_starts_the_workflow_with_the_contract_input(real: tuple[str, str], local_aws: LocalAws) -> None:
    url, arn = real
    answer = _post(url, local_aws)

    assert answer.status == 202, answer.text
    request_id = answer.headers["x-amzn-RequestId"]
    assert answer.json() == {"eventId": request_id, "status": "PENDING"}
    sfn = local_aws.client("stepfunctions")
    inputs = [
        json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
    ]
    (sent,) = [i for i in inputs if i["eventId"] == request_id]
    assert sent["vin"] == VIN
    assert sent["serviceType"] == "HORN_BLOW"
    assert sent["parameters"] == {"durationS": 5}
    assert sent["owner"] == local_aws.sub
    assert sent["requestEpochS"] == sent["firstSeenMs"] // 1000
    assert sent["traceId"].startswith("1-")


def test_post_without_body_sends_empty_parameters(real: tuple[str, str], local_aws: LocalAws) -> None:
    assert _post(real[0], local_aws, body=None).status == 202


def test_workflow_rejections_keep_their_status_and_message(
    real: tuple[str, str], local_aws: LocalAws
) -> None:
    invalid = _post(real[0], local_aws, vin="BADVIN")
    busy = _post(real[0], local_aws, vin="WVWZZZ1JZXW00BUSY")

    assert invalid.status == 400
    assert invalid.json() == {"error": "VALIDATION_FAILED", "message": 'vin: the VIN isn\'t valid "here"'}
    assert busy.status == 409
    assert busy.json() == {"error": "VEHICLE_BUSY", "message": "busy"}


def test_bad_bodies_are_400_with_a_message(real: tuple[str, str], local_aws: LocalAws) -> None:
    malformed = _post(real[0], local_aws, body='{"parameters": {')
    violation = _post(real[0], local_aws, body='{"parameters": {"durationS": "long"}, "x": 1}')

    assert malformed.status == 400
    assert malformed.json()["error"] == "VALIDATION_FAILED"
    assert malformed.json()["message"].startswith("[Invalid JSON:")
    assert violation.status == 400
    assert violation.json() == {
        "error": "VALIDATION_FAILED",
        "message": '[object instance has properties which are not allowed by the schema: ["x"], '
        'instance type (string) does not match any allowed primitive type (allowed: ["integer"])'
        " (at /parameters/durationS)]",
    }


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000,  # deeper than the parser goes
        '{"parameters": ' + '{"a": ' * 400 + "1" + "}" * 400 + "}",  # parses, then nests the validator deep
        '{"parameters": {"durationS": 2}}\x00garbage',
        '"just a string"',
        "null",
        "[]",
    ],
    ids=["1000-brackets", "400-deep-object", "trailing-garbage", "string", "null", "array"],
)
def test_every_malformed_body_is_a_4xx_with_a_message(
    real: tuple[str, str], local_aws: LocalAws, body: str
) -> None:
    answer = _post(real[0], local_aws, body=body)
    assert answer.status == 400, (answer.status, answer.text[:300])
    assert answer.json()["error"] == "VALIDATION_FAILED" and answer.json()["message"]


def test_a_body_over_the_payload_limit_is_413(real: tuple[str, str], local_aws: LocalAws) -> None:
    answer = _post(real[0], local_aws, body='{"parameters": {"x": "' + "a" * (10 * 1024 * 1024) + '"}}')
    assert answer.status == 413


def test_get_reads_status_and_history(real: tuple[str, str], local_aws: LocalAws) -> None:
    event_id = str(uuid.uuid4())
    ddb = local_aws.client("dynamodb")
    table = f"{ENVIRONMENT}-events"
    ddb.put_item(
        TableName=table,
        Item={
            "eventId": {"S": event_id},
            "sk": {"S": "STATE"},
            "vin": {"S": VIN},
            "serviceType": {"S": "HORN_BLOW"},
            "status": {"S": "EXECUTED"},
            "owner": {"S": local_aws.sub},
        },
    )
    for ms, status in ((1764000000000, "CREATED"), (1764000000050, "PENDING"), (1764000000300, "EXECUTED")):
        ddb.put_item(
            TableName=table,
            Item={
                "eventId": {"S": event_id},
                "sk": {"S": f"H#{ms}#{status}"},
                "status": {"S": status},
                "updatedMs": {"N": str(ms)},
            },
        )
    headers = {"Authorization": local_aws.id_token}

    answer = call(f"{real[0]}/v1/vehicles/{VIN}/services/{event_id}", headers=headers)
    missing = call(f"{real[0]}/v1/vehicles/{VIN}/services/{uuid.uuid4()}", headers=headers)

    assert answer.status == 200, answer.text
    assert answer.json() == {
        "eventId": event_id,
        "vin": VIN,
        "serviceType": "HORN_BLOW",
        "status": "EXECUTED",
        "history": [
            {"status": "CREATED", "updatedMs": 1764000000000},
            {"status": "PENDING", "updatedMs": 1764000000050},
            {"status": "EXECUTED", "updatedMs": 1764000000300},
        ],
    }
    assert missing.status == 404
    assert missing.json()["error"] == "NOT_FOUND"


def test_gateway_responses_of_the_real_api(real: tuple[str, str]) -> None:
    unknown = call(f"{real[0]}/v2/anything")
    no_token = call(f"{real[0]}/v1/vehicles/{VIN}/services/HORN_BLOW", "POST", "{}")

    assert unknown.status == 404
    assert unknown.json() == {"error": "NOT_FOUND", "message": "no such resource"}
    assert no_token.status == 401
    assert no_token.json() == {"error": "UNAUTHORIZED", "message": "Unauthorized"}


def test_access_log_uses_the_stage_format(
    real: tuple[str, str], local_aws: LocalAws, access_log: Path
) -> None:
    answer = _post(real[0], local_aws)
    request_id = answer.headers["x-amzn-RequestId"]

    lines = [json.loads(line) for line in access_log.read_text().splitlines()]
    (mine,) = [line for line in lines if line["requestId"] == request_id]
    assert mine["status"] == "202"
    assert mine["caller"] == local_aws.sub
    assert mine["method"] == "POST"
    assert mine["path"] == "/live/v1/vehicles/WVWZZZ1JZXW000001/services/HORN_BLOW"
    assert mine["integrationStatus"] == "200"
    assert mine["error"] == "-"
    assert int(mine["latencyMs"]) >= int(mine["integrationLatencyMs"])


def test_stage_settings_from_the_template() -> None:
    template = load_template(SHARED)
    resolver = Resolver(
        template, {"EnvironmentName": ENVIRONMENT}, region=REGION, account_id=ACCOUNT, stack_name="apitest"
    )
    resolver.attrs["ApiAccessLogGroup"] = {"Arn": "arn:aws:logs:us-east-1:1:log-group:x"}
    properties = resolver.resolve(template["Resources"]["Api"]["Properties"])

    settings = stage_settings(properties)

    assert settings["access_log_format"].startswith('{"requestId":"$context.requestId"')
    rate, burst = settings["throttle"]
    assert 0 < rate <= burst


def test_the_header_overrides_the_stage_colour(real: tuple[str, str], local_aws: LocalAws) -> None:
    stand_ins = _stand_ins(local_aws)
    url = real[0]

    def post(header: str | None) -> str:
        headers = {"Authorization": local_aws.id_token}
        if header is not None:
            headers["X-Target-Environment"] = header
        answer = call(f"{url}/v1/vehicles/{VIN}/services/HORN_BLOW", "POST", "{}", headers)
        assert answer.status == 202, answer.text
        return answer.headers["x-amzn-RequestId"]

    assert _ran_on(local_aws, stand_ins, post(None)) == ["blue"]  # the stage variable
    assert _ran_on(local_aws, stand_ins, post("green")) == ["green"]  # the header wins
    assert _ran_on(local_aws, stand_ins, post("blue")) == ["blue"]
    assert _ran_on(local_aws, stand_ins, post("purple")) == ["blue"]  # not a colour: the stage decides


def test_the_canary_share_runs_with_the_overridden_colour(local_aws: LocalAws) -> None:
    stand_ins = _stand_ins(local_aws)
    draws = iter([0.05, 0.95, 0.25, 0.05])  # percentTraffic 30: the 1st, 3rd and 4th are the canary's
    stage = {
        "variables": {"colour": "blue"},
        "canarySettings": {"percentTraffic": 30.0, "stageVariableOverrides": {"colour": "green"}},
    }
    front = RestApiServer(
        resolve_real_openapi(local_aws.pool_arn),
        aws_endpoint_url=local_aws.endpoint,
        region=REGION,
        stage="live",
        stage_source=StageSource(lambda: stage, draw=lambda: next(draws)),
        user_pool={"id": local_aws.pool_id, "client_ids": [local_aws.client_id]},
    )
    url = front.start()
    try:
        ran = []
        for _ in range(3):
            answer = _post(url, local_aws)
            assert answer.status == 202, answer.text
            ran += _ran_on(local_aws, stand_ins, answer.headers["x-amzn-RequestId"])
        with_header = call(
            f"{url}/v1/vehicles/{VIN}/services/HORN_BLOW",
            "POST",
            "{}",
            {"Authorization": local_aws.id_token, "X-Target-Environment": "blue"},
        )
    finally:
        front.stop()
    assert ran == ["green", "blue", "green"]
    assert with_header.status == 202  # a canary request, but the header wins
    assert _ran_on(local_aws, stand_ins, with_header.headers["x-amzn-RequestId"]) == ["blue"]
