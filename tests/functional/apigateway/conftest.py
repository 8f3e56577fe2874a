"""A local AWS (moto behind the `AwsEndpoint`, with its StartSyncExecution) and the REST API server
under test, built from `fixture_openapi.yaml` with its intrinsics resolved by `localcloud.provision`."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest

from localcloud.apigateway import RestApiServer
from localcloud.aws.endpoint import AwsEndpoint
from localcloud.aws.moto_server import MotoServer
from localcloud.lambda_host import FunctionHost
from localcloud.provision.intrinsics import Resolver
from localcloud.provision.template import load_yaml

HERE = Path(__file__).parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
PASSWORD = "Secret-Passw0rd!"

ASL = {
    "StartAt": "CheckRequest",
    "States": {
        "CheckRequest": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.vin", "StringMatches": "BAD*", "Next": "Reject"},
                {"Variable": "$.serviceType", "StringEquals": "CRASH", "Next": "Crash"},
            ],
            "Default": "Accept",
        },
        "Reject": {
            "Type": "Pass",
            "Parameters": {"statusCode": 400, "body": {"error": "VALIDATION_FAILED", "message": "bad vin"}},
            "End": True,
        },
        "Crash": {"Type": "Fail", "Error": "Boom", "Cause": "asked to crash"},
        "Accept": {
            "Type": "Pass",
            "Parameters": {
                "statusCode": 202,
                "body": {"eventId.$": "$.eventId", "status": "PENDING", "received.$": "$"},
            },
            "End": True,
        },
    },
}


@dataclass
class Answer:
    """An HTTP answer from the API front."""

    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def call(
    url: str, method: str = "GET", body: bytes | str | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One HTTP request; 4xx/5xx are answers, not exceptions."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Answer(resp.status, dict(resp.headers.items()), resp.read().decode())
    except urllib.error.HTTPError as err:
        return Answer(err.code, dict(err.headers.items()), err.read().decode())


@dataclass
class LocalAws:
    """moto behind the AwsEndpoint, plus the resources the fixture API uses."""

    endpoint: str
    state_machine_arn: str
    table: str
    pool_id: str
    pool_arn: str
    client_id: str
    id_token: str
    access_token: str
    sub: str
    other_pool_id_token: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def _user_tokens(idp: Any, pool_name: str, username: str) -> tuple[str, str, str, dict[str, str]]:
    pool = idp.create_user_pool(PoolName=pool_name)["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="app", ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    idp.admin_create_user(UserPoolId=pool["Id"], Username=username, TemporaryPassword="Temp-Passw0rd!")
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username=username, Password=PASSWORD, Permanent=True)
    auth = idp.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    user = idp.admin_get_user(UserPoolId=pool["Id"], Username=username)
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    return pool["Id"], client["ClientId"], pool["Arn"], {**auth, "sub": attrs["sub"]}


@pytest.fixture(scope="package")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(key, value)
    moto = MotoServer().start()
    host = FunctionHost(log_dir=tmp_path_factory.mktemp("fnlogs"), region=REGION)
    front = AwsEndpoint(moto.url, host).start(set_moto_port=False)
    try:
        env = LocalAws(front.url, "", "events-fixture", "", "", "", "", "", "", "")
        sfn = env.client("stepfunctions")
        env.state_machine_arn = sfn.create_state_machine(
            name="event-creation-fixture",
            definition=json.dumps(ASL),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
            type="EXPRESS",
        )["stateMachineArn"]
        env.client("dynamodb").create_table(
            TableName=env.table,
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
        idp = env.client("cognito-idp")
        env.pool_id, env.client_id, env.pool_arn, auth = _user_tokens(idp, "owners", "owner-1")
        env.id_token, env.access_token, env.sub = auth["IdToken"], auth["AccessToken"], auth["sub"]
        _, _, _, other = _user_tokens(idp, "strangers", "stranger")
        env.other_pool_id_token = other["IdToken"]
        yield env
    finally:
        front.stop()
        host.stop()
        moto.stop()


def resolve_fixture(env: LocalAws) -> dict[str, Any]:
    """The fixture OpenAPI with its intrinsics resolved (the provisioner's resolver)."""
    resolver = Resolver({}, {}, region=REGION, account_id=ACCOUNT, stack_name="fixture")
    resolver.refs["EventCreationStateMachine"] = env.state_machine_arn
    resolver.refs["EventsTable"] = env.table
    resolver.attrs["UserPool"] = {"Arn": env.pool_arn}
    doc = resolver.resolve(load_yaml((HERE / "fixture_openapi.yaml").read_text(encoding="utf-8")))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="package")
def api_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("apilog") / "access.log"


@pytest.fixture(scope="package")
def api(local_aws: LocalAws, api_log: Path) -> Iterator[str]:
    front = RestApiServer(
        resolve_fixture(local_aws),
        aws_endpoint_url=local_aws.endpoint,
        region=REGION,
        stage="test",
        stage_variables={"colour": "blue"},
        user_pool={"id": local_aws.pool_id, "client_ids": [local_aws.client_id]},
        access_log=api_log,
    )
    url = front.start()
    try:
        yield url
    finally:
        front.stop()
