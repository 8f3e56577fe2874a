"""The provisioner against a real moto server: intrinsics, resources and what the runner gets back."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.aws.moto_server import MotoServer
from localcloud.provision import Provisioned, ProvisionError, provision
from localcloud.provision.intrinsics import ResolveError, Resolver
from localcloud.provision.template import load_yaml
from tests.support.moto import running_moto

HERE = Path(__file__).parent
boto3: Any = importlib.import_module("boto3")


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


@pytest.fixture(scope="module")
def prov(moto: MotoServer) -> Provisioned:
    return provision(
        HERE / "template.yaml", moto.url, {"BrokerUrl": "http://127.0.0.1:9/broker"}, stack_name="t1"
    )


def client(moto: MotoServer, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=moto.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_function_environment_resolves_every_intrinsic(prov: Provisioned) -> None:
    fn = prov.functions["WorkerFunction"]
    env = fn.env
    assert env["ENVIRONMENT"] == "dev"  # from Globals
    assert env["EVENTS_TABLE"] == "t1-EventsTable"
    assert env["TOPIC"].startswith("arn:aws:sns:us-east-1:123456789012:")
    assert env["BROKER_URL"] == "http://127.0.0.1:9/broker"
    assert env["JOINED"] == "b-x"
    assert env["MODE"] == "not-dev"
    assert "OPTIONAL" not in env  # AWS::NoValue removes the key
    assert env["SUBBED"] == (
        "t1-WorkQueue/us-east-1/arn:aws:dynamodb:us-east-1:123456789012:table/t1-EventsTable/${Literal}"
    )
    assert fn.timeout_s == 5
    assert fn.artifact_dir == (HERE / "WorkerFunction").resolve()
    assert fn.handler == "functions.worker.app.handler"


def test_table_has_keys_gsi_and_ttl(prov: Provisioned, moto: MotoServer) -> None:
    ddb = client(moto, "dynamodb")
    table = ddb.describe_table(TableName="t1-EventsTable")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["eventId", "sk"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "byVin"
    ttl = ddb.describe_time_to_live(TableName="t1-EventsTable")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiresAt"
    assert [(t.table_name, t.attribute) for t in prov.ttl_tables] == [("t1-EventsTable", "expiresAt")]


def test_queue_attributes_and_redrive(prov: Provisioned, moto: MotoServer) -> None:
    sqs = client(moto, "sqs")
    url = prov.physical_ids["WorkQueue"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["DelaySeconds"] == "2"
    assert attrs["VisibilityTimeout"] == "30"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":t1-dead")
    assert int(redrive["maxReceiveCount"]) == 3
    assert "ProdOnlyQueue" not in prov.physical_ids  # condition false


def test_subscriptions_have_raw_delivery_and_filters(prov: Provisioned, moto: MotoServer) -> None:
    sns = client(moto, "sns")
    final = sns.get_subscription_attributes(SubscriptionArn=prov.physical_ids["FinalSubscription"])[
        "Attributes"
    ]
    assert final["RawMessageDelivery"] == "true"
    assert json.loads(final["FilterPolicy"]) == {"final": ["true"]}
    body = sns.get_subscription_attributes(SubscriptionArn=prov.physical_ids["BodySubscription"])[
        "Attributes"
    ]
    assert body["FilterPolicyScope"] == "MessageBody"


def test_filtered_delivery_end_to_end(prov: Provisioned, moto: MotoServer) -> None:
    sns, sqs = client(moto, "sns"), client(moto, "sqs")
    topic = prov.physical_ids["Topic"]
    dead = prov.physical_ids["DeadQueue"]
    sns.publish(TopicArn=topic, Message=json.dumps({"vehicle": {"country": "FR"}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"vehicle": {"country": "DE"}, "n": 1}))
    got = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"])["vehicle"]["country"] for m in got] == ["DE"]


def test_state_machine_definition_substituted(prov: Provisioned, moto: MotoServer) -> None:
    sfn = client(moto, "stepfunctions")
    desc = sfn.describe_state_machine(stateMachineArn=prov.physical_ids["Machine"])
    definition = json.loads(desc["definition"])
    assert definition["States"]["Work"]["Resource"] == prov.functions["WorkerFunction"].arn
    assert definition["States"]["Publish"]["Parameters"]["TopicArn"] == prov.physical_ids["Topic"]
    assert desc["type"] == "EXPRESS"


def test_mappings_pipes_and_api(prov: Provisioned) -> None:
    (esm,) = prov.event_source_mappings
    assert esm.function == "WorkerFunction"
    assert esm.report_batch_item_failures and esm.batch_size == 10
    assert esm.queue_url == prov.physical_ids["WorkQueue"]
    (pipe,) = prov.pipes
    assert pipe.enrichment_function == "t1-WorkerFunction"
    assert pipe.target_arn == prov.physical_ids["Machine"]
    assert pipe.batch_size == 5
    api = prov.api
    assert api is not None and api.stage_name == "v1"
    integ = api.openapi["paths"]["/things"]["post"]["x-amazon-apigateway-integration"]
    assert integ["uri"] == "arn:aws:apigateway:us-east-1:states:action/StartSyncExecution"
    template = integ["requestTemplates"]["application/json"]
    assert prov.physical_ids["Machine"] in template and "$input.json('$')" in template
    assert prov.outputs["ApiUrl"] == f"https://{api.rest_api_id}.execute-api.us-east-1.amazonaws.com/v1"


def test_cognito_and_not_emulated(prov: Provisioned, moto: MotoServer) -> None:
    idp = client(moto, "cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=prov.physical_ids["Pool"])["UserPool"]
    assert pool["Name"] == "t1-users"
    cl = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=prov.physical_ids["PoolClient"])
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in cl["UserPoolClient"]["ExplicitAuthFlows"]
    assert any(x.startswith("WebAcl (AWS::WAFv2::WebACL)") for x in prov.not_emulated)
    assert any(x.startswith("PipeRole (AWS::IAM::Role)") for x in prov.not_emulated)


def test_bad_parameters_are_refused(moto: MotoServer) -> None:
    with pytest.raises(ResolveError, match="BrokerUrl"):
        provision(HERE / "template.yaml", moto.url, {}, stack_name="t2")
    with pytest.raises(ResolveError, match="Nope"):
        provision(HERE / "template.yaml", moto.url, {"BrokerUrl": "x", "Nope": "1"}, stack_name="t2")
    with pytest.raises(ResolveError, match="not one of"):
        provision(HERE / "template.yaml", moto.url, {"BrokerUrl": "x", "Environment": "qa"}, stack_name="t2")


def test_unknown_reference_names_the_resource(moto: MotoServer, tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Missing\n"
    )
    with pytest.raises(ProvisionError, match=r"Q .*Missing"):
        provision(tmp_path / "template.yaml", moto.url, stack_name="t3")


def test_resolver_long_and_short_forms() -> None:
    tpl = load_yaml(
        "Parameters: {P: {Type: String, Default: v}}\nConditions: {C: {'Fn::Equals': [{Ref: P}, v]}}\n"
        "Resources: {}\n"
    )
    r = Resolver(tpl, {}, region="eu-west-1", account_id="1", stack_name="s")
    assert r.resolve({"Fn::Sub": "${P}-${AWS::Partition}"}) == "v-aws"
    assert r.resolve(load_yaml("!If [C, !Join ['', [a, !Ref P]], b]")) == "av"
    assert r.resolve(load_yaml("!Select [2, !GetAZs '']")) == "eu-west-1c"
    assert r.resolve({"Fn::Sub": ["${X}", {"X": {"Ref": "AWS::URLSuffix"}}]}) == "amazonaws.com"


LAYER_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
    Layers: [!Ref RuntimeLayer]
Resources:
  FirstFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: FirstFunction
      Handler: functions.first.app.handler
      Layers:
        - !Ref ExtraLayer
        - arn:aws:lambda:us-east-1:999999999999:layer:elsewhere:3
  RuntimeLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: runtime
      ContentUri: RuntimeLayer
  ExtraLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: ExtraLayer
"""


def test_layers_of_the_template_and_of_globals_in_order(moto: MotoServer, tmp_path: Path) -> None:
    # The layers come after the function in the template: Globals' reference orders them first.
    (tmp_path / "template.yaml").write_text(LAYER_TEMPLATE)
    prov = provision(tmp_path / "template.yaml", moto.url, {}, stack_name="t2")
    fn = prov.functions["FirstFunction"]
    assert fn.layer_dirs == (tmp_path / "RuntimeLayer", tmp_path / "ExtraLayer")  # Globals' first, as SAM
    assert prov.physical_ids["RuntimeLayer"] == "arn:aws:lambda:us-east-1:123456789012:layer:runtime:1"
    assert prov.layers[prov.physical_ids["ExtraLayer"]] == tmp_path / "ExtraLayer"
    assert any("elsewhere:3 (a layer from outside the template)" in x for x in prov.not_emulated)
