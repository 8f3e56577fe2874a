"""moto's direct dispatch (`localcloud.aws.moto_dispatch`) answers as moto's WSGI application does.

Each scenario runs three times on a reset moto: through the WSGI application, through the direct
dispatch, through the WSGI application again. What differs between the two WSGI runs (request ids,
generated ids, timestamps: listed per scenario in VOLATILE) is the only thing the direct run may
differ in; everything else (status, header names in order, header values, body) must be equal.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from localcloud.aws.moto_dispatch import MotoDispatch
from localcloud.aws.moto_proxy import InProcessMoto
from localcloud.aws.moto_server import MotoServer
from localcloud.aws.wsgi_environ import build_environ
from tests.functional.localcloud.lc_support import ACCOUNT, REGION, Cloud

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
Answer = tuple[int, list[tuple[str, str]], bytes]


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0"
    )


@dataclass
class Caller:
    """Sends requests to moto one way: "wsgi" (the WSGI application) or "direct" (`MotoDispatch`,
    asserted to answer itself, or asserted to decline when the request must fall back)."""

    moto: InProcessMoto
    mode: str
    log: list[tuple[str, Answer]] = field(default_factory=list)

    def send(
        self,
        label: str,
        method: str,
        path: str,
        body: bytes,
        headers: list[tuple[str, str]],
        fallback: bool = False,
        record: bool = True,
    ) -> Answer:
        headers = [("Host", f"{self.moto.host}:{self.moto.port}"), *headers]
        if self.mode == "wsgi":
            answer = self.moto.request_wsgi(method, path, body, headers)
        else:
            direct = self.moto.direct
            assert direct is not None
            env = build_environ(method, path, body, headers, self.moto.host, self.moto.port)
            got = direct.dispatch(env)
            if fallback:
                assert got is None, f"{label}: answered directly, expected the WSGI application"
                answer = self.moto.request(method, path, body, headers)
            else:
                assert got is not None, f"{label}: fell back to the WSGI application"
                answer = got
        if record:
            self.log.append((label, answer))
        return answer

    def json(
        self,
        label: str,
        service: str,
        target: str,
        payload: dict[str, Any],
        content_type: str = "application/x-amz-json-1.0",
        signed: bool = True,
        record: bool = True,
    ) -> dict[str, Any]:
        headers = [("Content-Type", content_type), ("X-Amz-Target", target)]
        if signed:
            headers.append(("Authorization", _auth(service)))
        _, _, body = self.send(label, "POST", "/", json.dumps(payload).encode(), headers, record=record)
        result: dict[str, Any] = json.loads(body or b"{}")
        return result

    def query(self, label: str, service: str, params: dict[str, str]) -> bytes:
        headers = [
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Authorization", _auth(service)),
        ]
        return self.send(label, "POST", "/", urllib.parse.urlencode(params).encode(), headers)[2]

    def rest(
        self,
        label: str,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        fallback: bool = False,
    ) -> dict[str, Any]:
        headers = [("Content-Type", "application/json"), ("Authorization", _auth("apigateway"))]
        body = json.dumps(payload).encode() if payload is not None else b""
        answer = self.send(label, method, path, body, headers, fallback=fallback)[2]
        result: dict[str, Any] = json.loads(answer) if answer.startswith(b"{") else {}
        return result


def dynamodb(c: Caller) -> None:
    def call(label: str, payload: dict[str, Any]) -> dict[str, Any]:
        return c.json(label, "dynamodb", f"DynamoDB_20120810.{label.split()[0]}", payload)

    call(
        "CreateTable",
        {
            "TableName": "dispatch",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    for sk in (1, 2):
        call("PutItem", {"TableName": "dispatch", "Item": {"pk": {"S": "a"}, "sk": {"N": str(sk)}}})
    call("GetItem", {"TableName": "dispatch", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}})
    call(
        "UpdateItem conditional (fails)",
        {
            "TableName": "dispatch",
            "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET v = :v",
            "ConditionExpression": "attribute_not_exists(pk)",
            "ExpressionAttributeValues": {":v": {"N": "7"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )
    call(
        "Query",
        {
            "TableName": "dispatch",
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "a"}},
            "ScanIndexForward": False,
        },
    )
    call("GetItem missing table", {"TableName": "missing", "Key": {"pk": {"S": "a"}}})


def _sqs(c: Caller, label: str, payload: dict[str, Any], record: bool = True) -> dict[str, Any]:
    return c.json(label, "sqs", f"AmazonSQS.{label.split()[0]}", payload, record=record)


def sqs(c: Caller) -> None:
    url = _sqs(c, "CreateQueue", {"QueueName": "dispatch", "Attributes": {"VisibilityTimeout": "30"}})[
        "QueueUrl"
    ]
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}
    _sqs(c, "SendMessage", {"QueueUrl": url, "MessageBody": "über", "MessageAttributes": attrs})
    received = _sqs(
        c,
        "ReceiveMessage",
        {
            "QueueUrl": url,
            "MaxNumberOfMessages": 10,
            "MessageAttributeNames": ["All"],
            "AttributeNames": ["All"],
        },
    )
    handles = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received["Messages"])
    ]
    handles.append({"Id": "bad", "ReceiptHandle": "not-a-handle"})
    _sqs(c, "DeleteMessageBatch", {"QueueUrl": url, "Entries": handles})
    _sqs(c, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
    _sqs(c, "GetQueueUrl missing queue", {"QueueName": "missing"})


def sns(c: Caller) -> None:
    queue_url = _sqs(c, "CreateQueue", {"QueueName": "dispatch-fanout"})["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dispatch-fanout"
    created = c.query(
        "CreateTopic", "sns", {"Action": "CreateTopic", "Name": "dispatch", "Version": "2010-03-31"}
    )
    topic_arn = re.findall(rb"<TopicArn>([^<]+)</TopicArn>", created)[0].decode()
    c.query(
        "Subscribe",
        "sns",
        {
            "Action": "Subscribe",
            "TopicArn": topic_arn,
            "Protocol": "sqs",
            "Endpoint": queue_arn,
            "Version": "2010-03-31",
        },
    )
    c.query(
        "Publish",
        "sns",
        {"Action": "Publish", "TopicArn": topic_arn, "Message": "hello", "Version": "2010-03-31"},
    )
    _sqs(c, "ReceiveMessage (the fan-out)", {"QueueUrl": queue_url, "MaxNumberOfMessages": 10})
    missing = topic_arn + "-missing"
    c.query("Publish missing topic", "sns", {"Action": "Publish", "TopicArn": missing, "Message": "x"})


def stepfunctions(c: Caller) -> None:
    def call(label: str, payload: dict[str, Any], record: bool = True) -> dict[str, Any]:
        target = f"AWSStepFunctions.{label.split()[0]}"
        return c.json(label, "states", target, payload, record=record)

    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
    machine = call(
        "CreateStateMachine", {"name": "dispatch", "definition": json.dumps(definition), "roleArn": ROLE}
    )["stateMachineArn"]
    execution = call("StartExecution", {"stateMachineArn": machine, "name": "run-1", "input": '{"a": 1}'})
    arn = execution["executionArn"]
    deadline = time.monotonic() + 20
    while call("DescribeExecution", {"executionArn": arn}, record=False)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    call("DescribeExecution", {"executionArn": arn})
    call("DescribeExecution missing", {"executionArn": arn.replace("run-1", "missing")})


def cognito(c: Caller) -> None:
    target = "AWSCognitoIdentityProviderService."
    kind = "application/x-amz-json-1.1"
    c.json("CreateUserPool", "cognito-idp", target + "CreateUserPool", {"PoolName": "dispatch"}, kind)
    c.json("ListUserPools", "cognito-idp", target + "ListUserPools", {"MaxResults": 10}, kind)
    c.json(
        "InitiateAuth unsigned, unknown client",
        "cognito-idp",
        target + "InitiateAuth",
        {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "missing", "AuthParameters": {"USERNAME": "u"}},
        kind,
        signed=False,
    )


def apigateway(c: Caller) -> None:
    api = c.rest("CreateRestApi", "POST", "/restapis", {"name": "dispatch"})["id"]
    c.rest("GetRestApi", "GET", f"/restapis/{api}")
    root = c.rest("GetResources", "GET", f"/restapis/{api}/resources")["item"][0]["id"]
    c.rest("PutMethod", "PUT", f"/restapis/{api}/resources/{root}/methods/GET", {"authorizationType": "NONE"})
    c.rest(
        "PutIntegration", "PUT", f"/restapis/{api}/resources/{root}/methods/GET/integration", {"type": "MOCK"}
    )
    c.rest("CreateDeployment", "POST", f"/restapis/{api}/deployments", {"stageName": "prod"})
    c.rest("GetStage", "GET", f"/restapis/{api}/stages/prod")
    c.rest("GetRestApi missing", "GET", "/restapis/missing0000")
    c.rest("GetStage percent-encoded name (missing)", "GET", f"/restapis/{api}/stages/a%3Ab%20c")
    c.rest("GET no such route (Flask's 404)", "GET", f"/restapis/{api}/stages/a%2Fb", fallback=True)
    c.rest("GetRestApi missing, encoded", "GET", "/restapis/m%C3%BCssing")


def moto_api(c: Caller) -> None:
    c.send("GET /moto-api/data.json", "GET", "/moto-api/data.json", b"", [], fallback=True)


# What may differ between two runs of a scenario (the WSGI application's own per-call values)
VOLATILE_HEADERS = {"x-amzn-requestid", "x-amz-crc32", "content-length"}
VOLATILE_LEAF = re.compile(r"(?i)(id|arn|date|time|timestamp|url)$|requestid|receipthandle|md5|signature")
SCENARIOS: dict[str, Callable[[Caller], None]] = {
    "dynamodb": dynamodb,
    "sqs": sqs,
    "sns": sns,
    "stepfunctions": stepfunctions,
    "cognito-idp": cognito,
    "apigateway": apigateway,
    "moto-api": moto_api,
}


@pytest.fixture(scope="module")
def moto() -> Iterator[InProcessMoto]:
    with MotoServer() as server:
        yield InProcessMoto(server.app, server.host, server.port)


def _leaves(body: bytes) -> list[tuple[str, str]]:
    """The body as (path, value) pairs: JSON (and JSON in its strings), XML, or the text."""
    text = body.decode("utf-8", errors="replace")
    try:
        return list(_json_leaves("", json.loads(text)))
    except ValueError:
        pass
    try:
        return list(_xml_leaves("", ET.fromstring(text)))
    except ET.ParseError:
        return [("", text)]


def _json_leaves(path: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        yield path, f"dict {sorted(value)}"
        for key, item in value.items():
            yield from _json_leaves(f"{path}/{key}", item)
    elif isinstance(value, list):
        yield path, f"list of {len(value)}"
        for index, item in enumerate(value):
            yield from _json_leaves(f"{path}[{index}]", item)
    elif isinstance(value, str) and value.startswith("{"):
        try:
            yield from _json_leaves(path + "#", json.loads(value))
        except ValueError:
            yield path, json.dumps(value)
    else:
        yield path, json.dumps(value)


def _xml_leaves(path: str, node: ET.Element) -> Iterator[tuple[str, str]]:
    here = f"{path}/{node.tag.split('}')[-1]}"
    yield here, (node.text or "").strip() + repr(sorted(node.attrib.items()))
    for index, child in enumerate(node):
        yield from _xml_leaves(f"{here}[{index}]", child)


BODY_HEADERS: dict[str, Callable[[bytes], str]] = {
    "content-length": lambda body: str(len(body)),
    "x-amz-crc32": lambda body: str(zlib.crc32(body) & 0xFFFFFFFF),
}


def _compare(label: str, first: Answer, direct: Answer, second: Answer) -> list[str]:
    """Asserts the direct answer equals the first WSGI answer wherever the two WSGI answers are
    equal; returns what differed between the two WSGI answers (the volatile parts)."""
    volatile: list[str] = []
    assert direct[0] == first[0] == second[0], f"{label}: status"
    names = [[n for n, _ in answer[1]] for answer in (first, direct, second)]
    assert names[0] == names[1] == names[2], f"{label}: header names {names}"
    for (name, one), (_, got), (_, two) in zip(first[1], direct[1], second[1], strict=True):
        if name.lower() in BODY_HEADERS:  # of the body, whose timestamps vary in length
            assert got == BODY_HEADERS[name.lower()](direct[2]), f"{label}: header {name} of the body"
        elif one == two:
            assert got == one, f"{label}: header {name}: {got!r} != {one!r}"
        if one != two:
            volatile.append(f"header {name}")
    if first[2] == second[2]:
        assert direct[2] == first[2], f"{label}: body {direct[2][:500]!r} != {first[2][:500]!r}"
        return volatile
    leaves = [_leaves(answer[2]) for answer in (first, direct, second)]
    paths = [[p for p, _ in leaf] for leaf in leaves]
    assert paths[0] == paths[1] == paths[2], f"{label}: body structure"
    for (path, one), (_, got), (_, two) in zip(*leaves, strict=True):
        if one == two:
            assert got == one, f"{label}: {path}: {got} != {one}"
        else:
            volatile.append(path)
    return volatile


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_direct_dispatch_answers_as_moto_wsgi_app(moto: InProcessMoto, scenario: str) -> None:
    server = MotoServer.running_at(f"http://{moto.host}:{moto.port}")
    assert server is not None
    runs: list[list[tuple[str, Answer]]] = []
    for mode in ("wsgi", "direct", "wsgi"):  # the direct run between the two: same clock seconds
        server.reset()
        caller = Caller(moto, mode)
        SCENARIOS[scenario](caller)
        runs.append(caller.log)
    first, direct, second = runs
    assert [label for label, _ in first] == [label for label, _ in direct] == [label for label, _ in second]
    volatile: set[str] = set()
    for (label, one), (_, got), (_, two) in zip(first, direct, second, strict=True):
        volatile.update(_compare(label, one, got, two))
    # the comparison is not vacuous: only per-call values differed between the two WSGI runs
    unexpected = sorted(
        v
        for v in volatile
        if not (v.startswith("header ") and v[7:].lower() in VOLATILE_HEADERS)
        and not VOLATILE_LEAF.search(re.sub(r"(\[\d+\]|#)+$", "", v).rsplit("/", 1)[-1])
    )
    assert not unexpected, f"values that differ between two WSGI runs: {unexpected}"


def test_statuses_and_errors_are_moto_s(moto: InProcessMoto) -> None:
    """The scenarios reach moto's answers, errors included (status, error type)."""
    server = MotoServer.running_at(f"http://{moto.host}:{moto.port}")
    assert server is not None
    server.reset()
    caller = Caller(moto, "wsgi")
    for scenario in ("dynamodb", "sqs", "sns", "stepfunctions", "cognito-idp", "apigateway"):
        SCENARIOS[scenario](caller)
    server.reset()
    direct = Caller(moto, "direct")
    for scenario in ("dynamodb", "sqs", "sns", "stepfunctions", "cognito-idp", "apigateway"):
        SCENARIOS[scenario](direct)
    answers = {label: answer for label, answer in direct.log}
    failed = answers["UpdateItem conditional (fails)"]
    assert failed[0] == 400 and b"ConditionalCheckFailedException" in failed[2]
    assert answers["GetQueueUrl missing queue"][0] == 400
    assert b"QueueDoesNotExist" in answers["GetQueueUrl missing queue"][2]
    assert (
        answers["Publish missing topic"][0] == 404
        and b"<Code>NotFound</Code>" in answers["Publish missing topic"][2]
    )
    assert answers["DescribeExecution missing"][0] == 400
    assert b"ExecutionDoesNotExist" in answers["DescribeExecution missing"][2]
    assert answers["InitiateAuth unsigned, unknown client"][0] == 400
    assert answers["GetRestApi missing"][0] == 404
    assert answers["GetStage"][0] == 200 and json.loads(answers["GetStage"][2])["stageName"] == "prod"
    sent = json.loads(answers["ReceiveMessage (the fan-out)"][2])["Messages"][0]
    assert json.loads(sent["Body"])["Message"] == "hello"
    for label, (_, headers, _) in direct.log:
        assert ("Access-Control-Allow-Origin", "*") in headers, label


def test_requests_it_does_not_resolve_fall_back(moto: InProcessMoto) -> None:
    """Nothing of moto runs, the body is not read, when the direct dispatch declines."""
    direct = MotoDispatch(moto.app)
    host = [("Host", f"{moto.host}:{moto.port}")]
    moto.request_wsgi(
        "POST",
        "/",
        b"{}",
        [
            *host,
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", _auth("dynamodb")),
        ],
    )
    cases: list[tuple[str, str, bytes, list[tuple[str, str]]]] = [
        ("GET", "/moto-api/data.json", b"", []),
        ("OPTIONS", "/", b"", [("Authorization", _auth("dynamodb")), ("Origin", "http://x")]),
        ("POST", "/", b"Action=ListQueues", [("Content-Type", "application/x-www-form-urlencoded")]),
        ("GET", "/bucket/key", b"", [("Authorization", _auth("s3"))]),
        (
            "GET",
            "/no/such/route",
            b"",
            [("Authorization", _auth("dynamodb")), ("X-Amz-Target", "DynamoDB_20120810.ListTables")],
        ),
        ("POST", "/", b"{}", [("Authorization", _auth("dynamodb"))]),  # no X-Amz-Target: moto raises
        ("POST", "/", b"{}", [("Authorization", _auth("bedrock"))]),
    ]
    for method, path, body, headers in cases:
        env = build_environ(method, path, body, [*host, *headers], moto.host, moto.port)
        assert direct.dispatch(env) is None, (method, path, headers)
        assert env["wsgi.input"].tell() == 0 and "werkzeug.request" not in env


def test_boto3_through_the_endpoint_goes_direct(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore clients through the AWS endpoint, every service of the scenarios; every request of
    theirs is answered by the direct dispatch."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

    answered: list[int] = []
    declined: list[str] = []
    original = MotoDispatch.dispatch

    def counting(self: MotoDispatch, environ: dict[str, Any]) -> Any:
        answer = original(self, environ)
        (answered.append(answer[0]) if answer is not None else declined.append(environ["PATH_INFO"]))
        return answer

    monkeypatch.setattr(MotoDispatch, "dispatch", counting)
    ddb = cloud.client("dynamodb")
    ddb.create_table(
        TableName="dispatch-e2e",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="dispatch-e2e", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    assert ddb.get_item(TableName="dispatch-e2e", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    with pytest.raises(ClientError) as err:
        ddb.update_item(
            TableName="dispatch-e2e",
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET n = :n",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":n": {"N": "2"}},
        )
    assert err.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    items = ddb.query(
        TableName="dispatch-e2e",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
    )["Items"]
    assert items == [{"pk": {"S": "a"}, "n": {"N": "1"}}]

    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="dispatch-e2e")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="über")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["über"]
    deleted = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "0", "ReceiptHandle": got[0]["ReceiptHandle"]}]
    )
    assert [d["Id"] for d in deleted["Successful"]] == ["0"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["QueueArn"].endswith(
        ":dispatch-e2e"
    )
    with pytest.raises(ClientError) as err:
        sqs.get_queue_url(QueueName="dispatch-missing")
    assert (
        err.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    )  # x-amzn-query-error

    sns = cloud.client("sns")
    topic = sns.create_topic(Name="dispatch-e2e")["TopicArn"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    sns.publish(TopicArn=topic, Message="fan-out")
    fanned = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in fanned] == ["fan-out"]
    with pytest.raises(ClientError) as err:
        sns.publish(TopicArn=topic + "-missing", Message="x")
    assert err.value.response["Error"]["Code"] == "NotFound"

    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="dispatch-e2e", definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="e2e", input="{}")[
        "executionArn"
    ]
    deadline = time.monotonic() + 20
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert status == "SUCCEEDED"
    with pytest.raises(ClientError) as err:
        sfn.describe_execution(executionArn=arn + "-missing")
    assert err.value.response["Error"]["Code"] == "ExecutionDoesNotExist"

    pool = cloud.client("cognito-idp").create_user_pool(PoolName="dispatch-e2e")["UserPool"]["Id"]
    assert pool.startswith(f"{REGION}_")

    apigw = cloud.client("apigateway")
    api = apigw.create_rest_api(name="dispatch-e2e")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="prod")
    assert apigw.get_rest_api(restApiId=api)["name"] == "dispatch-e2e"
    assert apigw.get_stage(restApiId=api, stageName="prod")["stageName"] == "prod"

    # the services' first requests create moto's apps through the WSGI application; every other
    # request was answered directly (status codes of errors included)
    assert len(answered) > 20 and 400 in answered and 404 in answered
    assert len(declined) <= 6, declined
