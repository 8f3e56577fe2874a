"""The REST API server over real HTTP: moto (behind the AwsEndpoint and its StartSyncExecution) runs the
integrations; Cognito tokens are real moto-issued JWTs."""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import moto
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.functional.apigateway.conftest import Answer, LocalAws, call

VIN = "WVWZZZ1JZXW000001"


def _post(
    api: str,
    token: str | None,
    body: str | None = '{"parameters": {"durationS": 3}}',
    vin: str = VIN,
    service: str = "HORN_BLOW",
    prefix: str = "",
) -> Answer:
    headers = {"Authorization": token} if token is not None else {}
    return call(f"{api}{prefix}/v1/vehicles/{vin}/services/{service}", "POST", body, headers)


def test_post_runs_the_workflow_with_route_params_claims_and_context(api: str, local_aws: LocalAws) -> None:
    answer = _post(api, local_aws.id_token)

    assert answer.status == 202, answer.text
    body = answer.json()
    request_id = answer.headers["x-amzn-RequestId"]
    assert body["eventId"] == request_id == answer.headers["EventId"]
    assert uuid.UUID(request_id).version == 4
    assert body["status"] == "PENDING"
    received = body["received"]  # the workflow's input, as the request template rendered it
    assert received["vin"] == VIN
    assert received["serviceType"] == "HORN_BLOW"
    assert received["parameters"] == {"durationS": 3}
    assert received["owner"] == local_aws.sub
    assert isinstance(received["firstSeenMs"], int) and received["firstSeenMs"] > 1_700_000_000_000
    assert received["traceId"].startswith("Root=1-")
    assert received["stage"] == "test"
    assert received["colour"] == "blue"


def test_bearer_prefix_empty_body_and_stage_prefix_are_accepted(api: str, local_aws: LocalAws) -> None:
    answer = _post(api, f"Bearer {local_aws.id_token}", body=None, prefix="/test")

    assert answer.status == 202, answer.text
    assert answer.json()["received"]["parameters"] == {}


def test_workflow_status_code_overrides_the_response_status(api: str, local_aws: LocalAws) -> None:
    answer = _post(api, local_aws.id_token, vin="BADVIN")

    assert answer.status == 400
    assert answer.json() == {"error": "VALIDATION_FAILED", "message": "bad vin"}


def test_failed_workflow_is_a_500_from_the_response_template(api: str, local_aws: LocalAws) -> None:
    answer = _post(api, local_aws.id_token, service="CRASH")

    assert answer.status == 500
    assert answer.json() == {"error": "INTERNAL", "message": "workflow FAILED"}
    assert answer.headers["X-Execution-Status"] == "FAILED"  # responseParameters from the body


def test_malformed_json_is_a_bad_request_body(api: str, local_aws: LocalAws) -> None:
    answer = _post(api, local_aws.id_token, body='{"parameters": ')

    assert answer.status == 400
    body = answer.json()
    assert body["error"] == "VALIDATION_FAILED"
    assert body["message"].startswith("Invalid request body: [Invalid JSON:")
    assert "Access-Control-Allow-Origin" not in answer.headers  # its own response: DEFAULT_4XX not merged


def test_schema_violations_are_listed(api: str, local_aws: LocalAws) -> None:
    answer = _post(api, local_aws.id_token, body='{"parameters": {"durationS": 99}, "colour": "red"}')

    assert answer.status == 400
    message = answer.json()["message"]
    assert message == (
        "Invalid request body: ["
        'object instance has properties which are not allowed by the schema: ["colour"], '
        "numeric instance is greater than the required maximum (maximum: 30, found: 99)"
        " (at /parameters/durationS)]"
    )


def test_missing_required_parameters_are_a_bad_request(api: str) -> None:
    answer = call(f"{api}/v1/ping")

    assert answer.status == 400
    assert answer.json() == {
        "error": "VALIDATION_FAILED",
        "message": "Missing required request parameters: [name, X-Client]",
    }


def test_mock_integration_with_response_parameters(api: str) -> None:
    ok = call(f"{api}/v1/ping?name=a%22b", headers={"X-Client": "tests"})
    teapot = call(f"{api}/v1/ping?name=teapot", headers={"X-Client": "tests"})

    assert ok.status == 200, ok.text
    assert ok.json() == {
        "hello": 'a"b',
        "stage": "test",
        "method": "GET",
        "resource": "/v1/ping",
        "colour": "blue",
    }
    assert ok.headers["X-Stage"] == "test"
    assert ok.headers["X-Client-Echo"] == "tests"
    assert teapot.status == 418
    assert teapot.json() == {"message": "I am a teapot"}


def test_no_token_is_unauthorized(api: str) -> None:
    answer = _post(api, None)

    assert answer.status == 401
    assert answer.json() == {"message": "Unauthorized"}
    assert answer.headers["Access-Control-Allow-Origin"] == "*"  # UNAUTHORIZED falls back to DEFAULT_4XX
    assert answer.headers["X-Request-Id"] == answer.headers["x-amzn-RequestId"]


def test_tampered_token_is_unauthorized(api: str, local_aws: LocalAws) -> None:
    header, payload, signature = local_aws.id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    assert _post(api, f"{header}.{forged}.{signature}").status == 401
    assert _post(api, "not-a-jwt").status == 401


def test_expired_token_is_unauthorized(api: str, local_aws: LocalAws) -> None:
    # signed with moto's own key (the one its JWKS publishes): only the expiry is wrong
    private = json.loads(
        gzip.decompress(
            (Path(moto.__file__).parent / "cognitoidp/resources/jwks-private.json.gz").read_bytes()
        )
    )
    key = RSAKey.import_key(private)
    now = int(time.time())
    claims = {
        "sub": local_aws.sub,
        "aud": local_aws.client_id,
        "token_use": "id",
        "iat": now - 7200,
        "exp": now - 3600,
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{local_aws.pool_id}",
    }
    expired = jwt.encode({"alg": "RS256", "kid": private["kid"]}, claims, key)
    fresh = jwt.encode({"alg": "RS256", "kid": private["kid"]}, {**claims, "exp": now + 3600}, key)

    assert _post(api, expired).status == 401
    assert _post(api, fresh).status == 202  # the same token, not expired, is accepted


def test_token_of_another_pool_or_access_token_is_unauthorized(api: str, local_aws: LocalAws) -> None:
    # moto signs every pool's tokens with the same key: only the issuer tells them apart
    assert _post(api, local_aws.other_pool_id_token).status == 401
    assert _post(api, local_aws.access_token).status == 401  # no scopes: an id token is required


def test_dynamodb_query_integration(api: str, local_aws: LocalAws) -> None:
    event_id = str(uuid.uuid4())
    ddb = local_aws.client("dynamodb")
    state = {
        "eventId": {"S": event_id},
        "sk": {"S": "STATE"},
        "vin": {"S": VIN},
        "serviceType": {"S": "LIGHT_FLASH"},
        "status": {"S": "FAILED"},
        "failureReason": {"S": "TIMEOUT"},
        "owner": {"S": local_aws.sub},
    }
    ddb.put_item(TableName=local_aws.table, Item=state)
    for ms, status in ((1764000000000, "CREATED"), (1764000000100, "PENDING"), (1764000005000, "FAILED")):
        ddb.put_item(
            TableName=local_aws.table,
            Item={
                "eventId": {"S": event_id},
                "sk": {"S": f"H#{ms}#{status}"},
                "status": {"S": status},
                "updatedMs": {"N": str(ms)},
            },
        )

    answer = call(f"{api}/v1/vehicles/{VIN}/events/{event_id}", headers={"Authorization": local_aws.id_token})
    unknown = call(
        f"{api}/v1/vehicles/{VIN}/events/{uuid.uuid4()}", headers={"Authorization": local_aws.id_token}
    )
    other_vin = call(
        f"{api}/v1/vehicles/WVWZZZ1JZXW000002/events/{event_id}",
        headers={"Authorization": local_aws.id_token},
    )

    assert answer.status == 200, answer.text
    assert answer.json() == {
        "eventId": event_id,
        "vin": VIN,
        "serviceType": "LIGHT_FLASH",
        "status": "FAILED",
        "failureReason": "TIMEOUT",
        "history": [
            {"status": "CREATED", "updatedMs": 1764000000000},
            {"status": "PENDING", "updatedMs": 1764000000100},
            {"status": "FAILED", "updatedMs": 1764000005000},
        ],
    }
    assert unknown.status == 404
    assert unknown.json()["error"] == "NOT_FOUND"
    assert other_vin.status == 404


def test_unknown_routes_and_methods_are_missing_authentication_token(api: str, local_aws: LocalAws) -> None:
    for answer in (
        call(f"{api}/v1/nothing"),
        call(f"{api}/"),
        call(f"{api}/v1/vehicles/{VIN}/services", headers={"Authorization": local_aws.id_token}),
        call(f"{api}/v1/ping", "DELETE"),
    ):
        assert answer.status == 403
        assert answer.json() == {"message": "Missing Authentication Token"}


def test_access_log_has_one_json_line_per_request(api: str, api_log: Path) -> None:
    answer = call(f"{api}/v1/ping?name=log", headers={"X-Client": "tests"})
    request_id = answer.headers["x-amzn-RequestId"]

    records = [json.loads(line) for line in api_log.read_text().splitlines()]
    mine = [r for r in records if r["requestId"] == request_id]
    assert len(mine) == 1
    assert mine[0]["status"] == 200
    assert mine[0]["httpMethod"] == "GET"
    assert mine[0]["resourcePath"] == "/v1/ping"
    assert mine[0]["path"] == "/v1/ping"


def test_parallel_requests_do_not_mix_up(api: str, local_aws: LocalAws) -> None:
    vins = [f"WVWZZZ1JZXW{n:06d}" for n in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda vin: (vin, _post(api, local_aws.id_token, vin=vin)), vins))

    for vin, answer in answers:
        assert answer.status == 202, answer.text
        body = answer.json()
        assert body["eventId"] == answer.headers["x-amzn-RequestId"]
        assert body["received"]["vin"] == vin
