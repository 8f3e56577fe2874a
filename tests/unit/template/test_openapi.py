"""api/openapi.yaml: the request model is the published schema, and the VTL mapping templates
turn every outcome into the contract's JSON (rendered with the local cloud's VTL engine)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localcloud.apigateway.vtl import VtlInput, render
from remote_services import catalog
from tests.unit.template.cfn_yaml import ROOT, load

API: dict[str, Any] = load(ROOT / "api" / "openapi.yaml")
OPS: dict[str, Any] = API["paths"]["/v1/vehicles/{vin}/services/{service}"]
ARN = "arn:aws:states:eu-central-1:123456789012:stateMachine:dev-blue-event-creation"
VIN = "WVWZZZ1JZXW000001"
SUB = "3c0e9a5e-0f5b-4f43-9b59-2f6a8d1c0a11"


def substituted(value: Any, names: dict[str, str]) -> str:
    """A template value as CloudFormation resolves it (Fn::Sub with the given names)."""
    if isinstance(value, str):
        return value
    text: str = value["Fn::Sub"]
    assert set(re.findall(r"\$\{([\w:.]+)\}", text)) <= set(names), text
    text = re.sub(r"\$\{([\w:.]+)\}", lambda m: names[m.group(1)], text)
    return text.replace("${!", "${")  # Fn::Sub's escape: ${!name} is the literal ${name}


def context(**extra: Any) -> dict[str, Any]:
    return {
        "requestId": "req-1",
        "requestTimeEpoch": 1764000000123,
        "xrayTraceId": "Root=1-abc",
        "authorizer": {"claims": {"sub": SUB}},
        "responseOverride": {},
        **extra,
    }


SUB_NAMES = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-central-1",
    "AWS::AccountId": "123456789012",
    "EnvironmentName": "dev",
    "EventTtlDays": "30",
}


def post_request(
    body: str,
    vin: str = VIN,
    service: str = "HORN_BLOW",
    colour: str = "blue",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The StartSyncExecution request of a POST, on a stage whose variable `colour` is `colour`."""
    integration = OPS["post"]["x-amazon-apigateway-integration"]
    template = substituted(integration["requestTemplates"]["application/json"], SUB_NAMES)
    vtl_input = VtlInput(body, path={"vin": vin, "service": service}, header=headers or {})
    out = render(template, vtl_input, context(), {"colour": colour})
    request: dict[str, Any] = json.loads(out)
    return request


def post_response(execution: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    integration = OPS["post"]["x-amazon-apigateway-integration"]
    template = integration["responses"]["default"]["responseTemplates"]["application/json"]
    ctx = context()
    out = render(template, VtlInput(json.dumps(execution)), ctx, {})
    return int(ctx["responseOverride"].get("status", 200)), json.loads(out)


def get_response(items: list[dict[str, Any]], vin: str = VIN) -> tuple[int, dict[str, Any]]:
    integration = OPS["get"]["x-amazon-apigateway-integration"]
    template = integration["responses"]["default"]["responseTemplates"]["application/json"]
    ctx = context()
    out = render(
        template,
        VtlInput(json.dumps({"Items": items, "Count": len(items)}), path={"vin": vin, "service": "e-1"}),
        ctx,
        {},
    )
    return int(ctx["responseOverride"].get("status", 200)), json.loads(out)


def test_request_model_is_the_published_schema() -> None:
    published = json.loads((ROOT / "schemas" / "service-request.schema.json").read_text())
    assert API["components"]["schemas"]["ServiceRequest"] == published
    body = OPS["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ServiceRequest"}
    assert OPS["post"]["x-amazon-apigateway-request-validator"] == "body-and-params"
    assert API["x-amazon-apigateway-request-validators"]["body-and-params"] == {
        "validateRequestBody": True,
        "validateRequestParameters": True,
    }


def test_path_parameters_are_constrained() -> None:
    vin = API["components"]["parameters"]["Vin"]["schema"]["pattern"]
    assert re.fullmatch(vin, VIN) and not re.fullmatch(vin, "WVWZZZ1JZXW00000I")
    (service,) = [p for p in OPS["post"]["parameters"] if p.get("name") == "service"]
    app_types = [n for n, s in catalog.SERVICES.items() if s["initiator"] != catalog.VEHICLE]
    assert service["schema"]["enum"] == app_types
    assert "THEFT_ALARM" not in app_types


def test_gateway_responses_give_json_for_bad_input_and_auth() -> None:
    responses = API["x-amazon-apigateway-gateway-responses"]
    for kind in ("BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"):
        assert responses[kind]["statusCode"] == "400"
        body = responses[kind]["responseTemplates"]["application/json"]
        assert json.loads(body.replace("$context.error.validationErrorString", "x")) == {
            "error": "VALIDATION_FAILED",
            "message": "x",
        }
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_5XX", "DEFAULT_4XX"):
        body = responses[kind]["responseTemplates"]["application/json"]
        assert set(json.loads(body.replace("$context.error.messageString", '"m"'))) == {"error", "message"}


def test_cognito_user_pool_authorizer_on_both_methods() -> None:
    scheme = API["components"]["securitySchemes"]["CognitoUserPool"]
    assert scheme["x-amazon-apigateway-authorizer"]["type"] == "cognito_user_pools"
    assert OPS["post"]["security"] == OPS["get"]["security"] == [{"CognitoUserPool": []}]


@pytest.mark.parametrize(
    ("colour", "headers", "runs_on"),
    [
        ("blue", {}, "blue"),  # the stage variable (the canary's share has it overridden)
        ("green", {}, "green"),
        ("blue", {"X-Target-Environment": "green"}, "green"),  # the header overrides the stage
        ("green", {"X-Target-Environment": "blue"}, "blue"),
        ("blue", {"x-target-environment": "green"}, "green"),  # header names are case-insensitive
        ("blue", {"X-Target-Environment": "purple"}, "blue"),  # not a colour: the stage decides
        ("blue", {"X-Target-Environment": "GREEN"}, "blue"),  # values are exact
    ],
)
def test_the_colour_comes_from_the_stage_or_the_header(
    colour: str, headers: dict[str, str], runs_on: str
) -> None:
    request = post_request("{}", colour=colour, headers=headers)
    assert request["stateMachineArn"] == ARN.replace("-blue-", f"-{runs_on}-")


def test_post_starts_the_creation_workflow_with_the_contract_input() -> None:
    request = post_request('{"parameters": {"durationS": 5}}')
    assert request["stateMachineArn"] == ARN
    assert json.loads(request["input"]) == {
        "eventId": "req-1",
        "vin": VIN,
        "serviceType": "HORN_BLOW",
        "parameters": {"durationS": 5},
        "owner": SUB,
        "firstSeenMs": 1764000000123,
        "requestEpochS": 1764000000,
        "eventTtlS": 30 * 86400,
        "traceId": "Root=1-abc",
    }


@pytest.mark.parametrize("body", ["", "{}", '{"parameters": null}'])
def test_post_without_parameters_sends_an_empty_object(body: str) -> None:
    assert json.loads(post_request(body)["input"])["parameters"] == {}


def test_post_response_maps_the_workflow_output_to_the_status() -> None:
    accepted = {"statusCode": 202, "body": {"eventId": "req-1", "status": "PENDING"}}
    assert post_response({"status": "SUCCEEDED", "output": json.dumps(accepted)}) == (202, accepted["body"])
    busy = {
        "statusCode": 409,
        "body": {"error": "VEHICLE_BUSY", "message": "the vehicle's \"lock\" isn't free"},
    }
    assert post_response({"status": "SUCCEEDED", "output": json.dumps(busy)}) == (409, busy["body"])
    for status in ("FAILED", "TIMED_OUT"):
        code, body = post_response({"status": status, "error": "States.Runtime", "cause": "x"})
        assert code == 500 and body["error"] == "INTERNAL"


def _state(owner: str = SUB, vin: str = VIN, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": {"S": "e-1"},
        "sk": {"S": "STATE"},
        "vin": {"S": vin},
        "serviceType": {"S": "HORN_BLOW"},
        "status": {"S": "EXECUTED"},
        "owner": {"S": owner},
        **extra,
    }


def _history(ms: int, status: str) -> dict[str, Any]:
    return {
        "eventId": {"S": "e-1"},
        "sk": {"S": f"H#{ms:013d}#{status}"},
        "status": {"S": status},
        "updatedMs": {"N": str(ms)},
    }


def test_get_builds_status_and_history_from_the_items() -> None:
    items = [_history(1, "CREATED"), _history(2, "PENDING"), _history(5, "EXECUTED"), _state()]
    assert get_response(items) == (
        200,
        {
            "eventId": "e-1",
            "vin": VIN,
            "serviceType": "HORN_BLOW",
            "status": "EXECUTED",
            "history": [
                {"status": "CREATED", "updatedMs": 1},
                {"status": "PENDING", "updatedMs": 2},
                {"status": "EXECUTED", "updatedMs": 5},
            ],
        },
    )
    failed = [_history(1, "FAILED"), _state(status={"S": "FAILED"}, failureReason={"S": "TIMEOUT"})]
    code, body = get_response(failed)
    assert (code, body["status"], body["failureReason"]) == (200, "FAILED", "TIMEOUT")


def test_get_history_ends_with_the_final_status() -> None:
    """An ack the car sent after its done, read before it, stays in the table (audit), not in GET."""
    t0 = 1764000000000
    items = [
        _history(t0, "CREATED"),
        _history(t0, "PENDING"),
        _history(t0 + 900, "RUNNING"),  # sent after the done
        _history(t0 + 500, "EXECUTED"),
        _state(updatedMs={"N": str(t0 + 500)}),
    ]
    _, body = get_response(items)
    assert [h["status"] for h in body["history"]] == ["CREATED", "PENDING", "EXECUTED"]
    running = _state(status={"S": "RUNNING"}, updatedMs={"N": str(t0 + 900)})
    _, body = get_response([*items[:3], running])  # not final yet: everything so far
    assert [h["status"] for h in body["history"]] == ["CREATED", "PENDING", "RUNNING"]


def test_get_history_ends_with_the_final_status_when_a_report_has_the_same_millisecond() -> None:
    """The car's ack and its done stamped in the same ms: H# items of one ms sort by status name
    (EXECUTED and FAILED before RUNNING), the answer still ends with the final status."""
    t0 = 1764000000000
    for final, reason in (("EXECUTED", None), ("FAILED", "REJECTED_BY_VEHICLE")):
        state = _state(status={"S": final}, updatedMs={"N": str(t0 + 5)})
        if reason:
            state["failureReason"] = {"S": reason}
        history = [_history(t0, "CREATED"), _history(t0 + 1, "PENDING"), _history(t0 + 5, "RUNNING")]
        items = [*sorted([*history, _history(t0 + 5, final)], key=lambda item: item["sk"]["S"]), state]
        code, body = get_response(items)
        assert code == 200
        assert [h["status"] for h in body["history"]] == ["CREATED", "PENDING", "RUNNING", final]
        assert [h["updatedMs"] for h in body["history"]] == [t0, t0 + 1, t0 + 5, t0 + 5]


def test_get_history_ends_with_the_current_status_before_its_history_item_is_written() -> None:
    """STATE is written by the decider before it publishes; the persister writes the H# item later.
    Meanwhile GET already agrees with itself: the history ends with STATE's status."""
    t0 = 1764000000000
    items = [_history(t0, "CREATED"), _history(t0 + 1, "PENDING"), _history(t0 + 4, "RUNNING")]
    final = _state(status={"S": "EXECUTED"}, updatedMs={"N": str(t0 + 9)})
    code, body = get_response([*items, final])
    assert code == 200 and body["status"] == "EXECUTED"
    assert body["history"][-1] == {"status": "EXECUTED", "updatedMs": t0 + 9}
    assert [h["status"] for h in body["history"]] == ["CREATED", "PENDING", "RUNNING", "EXECUTED"]
    running = _state(status={"S": "RUNNING"}, updatedMs={"N": str(t0 + 4)})
    code, body = get_response([*items[:2], running])
    assert [h["status"] for h in body["history"]] == ["CREATED", "PENDING", "RUNNING"]


def test_get_answers_404_for_unknown_or_foreign_vin_and_403_for_another_owner() -> None:
    assert get_response([])[0] == 404
    assert get_response([_history(1, "CREATED")])[0] == 404
    assert get_response([_state()], vin="WVWZZZ1JZXW000002")[0] == 404
    code, body = get_response([_state(owner="someone-else")])
    assert (code, body["error"]) == (403, "NOT_OWNER")


def test_get_queries_the_events_table_by_event_id() -> None:
    integration = OPS["get"]["x-amazon-apigateway-integration"]
    assert integration["uri"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/Query"
    }
    template = substituted(integration["requestTemplates"]["application/json"], {"EnvironmentName": "dev"})
    query = json.loads(render(template, VtlInput("", path={"vin": VIN, "service": "e-1"}), context(), {}))
    assert query == {
        "TableName": "dev-events",
        "KeyConditionExpression": "eventId = :eventId",
        "ExpressionAttributeValues": {":eventId": {"S": "e-1"}},
        "ConsistentRead": True,
    }


@pytest.mark.parametrize(
    "vin",
    ['X", "eventId": "chosen-by-caller', "O'Brien\\", "</script>\u00e9\n", 'a\\", \\"owner\\": \\"x'],
)
def test_path_values_cannot_break_out_of_the_workflow_input(vin: str) -> None:
    """The path reaches the workflow as data, whatever it contains (and the caller cannot choose
    the event id or the owner): the validate function then rejects it with a clear 400."""
    parsed = json.loads(post_request('{"parameters": {"durationS": 2}}', vin=vin, service=vin)["input"])
    assert (parsed["vin"], parsed["serviceType"]) == (vin.strip().upper(), vin)
    assert (parsed["eventId"], parsed["owner"]) == ("req-1", SUB)


@pytest.mark.parametrize("vin", [VIN.lower(), f"  {VIN} ", f"\t{VIN.lower()}\n"])
def test_the_vin_is_normalised_once_for_the_workflow_and_the_get(vin: str) -> None:
    """Lowercase or padded VINs reach the validator and the ownership check in one spelling."""
    assert json.loads(post_request("{}", vin=vin)["input"])["vin"] == VIN
    status, body = get_response(
        [
            {
                "eventId": {"S": "e-1"},
                "sk": {"S": "STATE"},
                "vin": {"S": VIN},
                "serviceType": {"S": "HORN_BLOW"},
                "status": {"S": "PENDING"},
                "owner": {"S": SUB},
            }
        ],
        vin=vin,
    )
    assert (status, body["vin"]) == (200, VIN)


def test_get_queries_whatever_the_event_id_contains() -> None:
    integration = OPS["get"]["x-amazon-apigateway-integration"]
    template = substituted(integration["requestTemplates"]["application/json"], {"EnvironmentName": "dev"})
    odd = 'it\'s "quoted"'
    query = json.loads(render(template, VtlInput("", path={"vin": VIN, "service": odd}), context(), {}))
    assert query["ExpressionAttributeValues"] == {":eventId": {"S": odd}}
