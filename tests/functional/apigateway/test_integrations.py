"""Integration plumbing against a recording backend on 127.0.0.1: the exact bytes the AWS call
carries (body, X-Amz-Target, SigV4), Lambda proxy, HTTP proxy, media types, unreachable backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.apigateway import RestApiServer, SpecError
from tests.functional.apigateway.conftest import call
from tests.support.http_fake import FakeHttpServer

TEMPLATE = '{"TableName": "t", "Key": {"id": {"S": "$input.params(\'id\')"}}, "Raw": $input.json(\'$\')}'


class Backend(FakeHttpServer):
    """The recording backend: `seen` (every request), `reply` (a canned answer by path; else 200)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = self.requests
        self.reply = self.routes


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    with Backend() as server:
        yield server


def _doc(backend_url: str) -> dict[str, Any]:
    lambda_uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:fn/invocations"
    )
    return {
        "openapi": "3.0.1",
        "paths": {
            "/items/{id}": {
                "put": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws",
                        "httpMethod": "POST",
                        "uri": "arn:aws:apigateway:us-east-1:dynamodb:action/GetItem",
                        "passthroughBehavior": "never",
                        "requestTemplates": {"application/json": TEMPLATE},
                        "requestParameters": {
                            "integration.request.header.X-Extra": "method.request.header.X-In"
                        },
                        "responses": {
                            "4\\d{2}": {
                                "statusCode": "502",
                                "responseTemplates": {"application/json": "$input.body"},
                            },
                            "default": {"statusCode": "200"},
                        },
                    }
                }
            },
            "/proxy/{proxy+}": {
                "x-amazon-apigateway-any-method": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": lambda_uri,
                    }
                }
            },
            "/http/{name}": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "http_proxy",
                        "httpMethod": "GET",
                        "uri": f"{backend_url}/upstream/{{name}}",
                    }
                }
            },
            "/dead": {
                "post": {
                    "x-amazon-apigateway-integration": {
                        "type": "http",
                        "httpMethod": "POST",
                        "uri": "http://127.0.0.1:9/nothing-listens-here",
                        "responses": {"default": {"statusCode": "200"}},
                    }
                }
            },
        },
    }


@pytest.fixture(scope="module")
def api(backend: Backend) -> Iterator[str]:
    front = RestApiServer(_doc(backend.url), aws_endpoint_url=backend.url, stage="dev")
    yield front.start()
    front.stop()


def test_aws_action_gets_exactly_the_rendered_body_signed(api: str, backend: Backend) -> None:
    backend.seen.clear()
    answer = call(f"{api}/items/a1", "PUT", '{"x": [1, "two"]}', {"X-In": "hello"})

    assert answer.status == 200
    assert answer.json() == {"ok": True}  # no response template: passed through
    (seen,) = backend.seen
    assert seen.path == "/"
    assert seen.body == b'{"TableName": "t", "Key": {"id": {"S": "a1"}}, "Raw": {"x":[1,"two"]}}'
    assert seen.headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert seen.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert seen.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/us-east-1/dynamodb/aws4_request" in seen.headers["Authorization"]
    assert seen.headers["X-Extra"] == "hello"
    assert seen.headers["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_aws_error_status_selects_the_integration_response(api: str, backend: Backend) -> None:
    backend.reply["/"] = (
        400,
        {"Content-Type": "application/x-amz-json-1.0"},
        b'{"__type": "ValidationException", "message": "nope"}',
    )
    try:
        answer = call(f"{api}/items/a1", "PUT", "{}")
    finally:
        del backend.reply["/"]

    assert answer.status == 502
    assert answer.json() == {"__type": "ValidationException", "message": "nope"}


def test_template_reading_a_non_json_body_is_a_bad_request(api: str) -> None:
    answer = call(f"{api}/items/a1", "PUT", "{not json")

    assert answer.status == 400
    assert answer.json()["message"].startswith("Could not parse request body into json")


def test_passthrough_never_refuses_other_media_types(api: str) -> None:
    answer = call(f"{api}/items/a1", "PUT", "a=b", {"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status == 415
    assert answer.json() == {"message": "Unsupported Media Type"}


def test_lambda_proxy_event_and_response(api: str, backend: Backend) -> None:
    path = "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:fn/invocations"
    backend.reply[path] = (
        200,
        {"Content-Type": "application/json"},
        json.dumps({"statusCode": 201, "headers": {"X-Fn": "yes"}, "body": '{"made": true}'}).encode(),
    )
    backend.seen.clear()
    try:
        answer = call(f"{api}/proxy/a/b?x=1&x=2", "POST", '{"k": 1}')
    finally:
        del backend.reply[path]

    assert answer.status == 201
    assert answer.headers["X-Fn"] == "yes"
    assert answer.json() == {"made": True}
    event = json.loads(backend.seen[0].body)
    assert event["resource"] == "/proxy/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["body"] == '{"k": 1}'
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["requestId"] == answer.headers["x-amzn-RequestId"]


def test_lambda_function_error_is_a_502(api: str, backend: Backend) -> None:
    path = "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:fn/invocations"
    backend.reply[path] = (200, {"X-Amz-Function-Error": "Unhandled"}, b'{"errorMessage": "boom"}')
    try:
        answer = call(f"{api}/proxy/x", "GET")
    finally:
        del backend.reply[path]

    assert answer.status == 502
    assert answer.json() == {"message": "Internal server error"}


def test_http_proxy_forwards_path_and_query(api: str, backend: Backend) -> None:
    backend.seen.clear()
    answer = call(f"{api}/http/some%20one?q=1", headers={"X-Pass": "through"})

    assert answer.status == 200
    (seen,) = backend.seen
    assert seen.path == "/upstream/some%20one?q=1"
    assert seen.headers["X-Pass"] == "through"


def test_unreachable_backend_is_a_gateway_error(api: str) -> None:
    answer = call(f"{api}/dead", "POST", "{}")

    assert answer.status == 504
    assert answer.json() == {"message": "Internal server error"}


def test_sibling_path_variables_are_refused_as_on_aws() -> None:
    integration = {"x-amazon-apigateway-integration": {"type": "mock"}}
    with pytest.raises(SpecError, match="only one variable child"):
        RestApiServer(
            {"paths": {"/a/{x}": {"get": integration}, "/a/{y}/b": {"get": integration}}},
            aws_endpoint_url="http://127.0.0.1:9",
        )


def test_stage_throttling_and_payload_limit() -> None:
    mock = {
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200"}},
        }
    }
    front = RestApiServer(
        {"paths": {"/m": {"post": mock}}}, aws_endpoint_url="http://127.0.0.1:9", throttle=(0.001, 2)
    )
    url = front.start()
    try:
        too_large = call(f"{url}/m", "POST", b"x" * (10 * 1024 * 1024 + 1))
        answers = [call(f"{url}/m", "POST", "{}").status for _ in range(3)]
    finally:
        front.stop()

    assert too_large.status == 413
    assert answers == [200, 200, 429]
