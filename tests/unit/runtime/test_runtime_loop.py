"""The Runtime API contract, driven through a real ``python -m lambda_runtime`` and a fake Runtime API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bench.coldstart_api import FakeRuntimeApi, Post
from tests.unit.runtime.conftest import FIXTURES, Spawn

ECHO = f"{FIXTURES}.rt_handlers.echo"
WAIT = 30.0


def body(post: Post) -> dict[str, Any]:
    data = post.json()
    assert isinstance(data, dict)
    return data


def test_response_carries_the_event_and_the_context(api: FakeRuntimeApi, spawn: Spawn) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:runtime-test:live"
    rid = api.push({"hello": "world", "n": [1, 2]}, request_id="req-1", function_arn=arn)
    spawn(ECHO)
    post = api.wait_post(WAIT)
    assert (post.kind, post.request_id) == ("response", "req-1")
    seen = body(post)
    assert seen["event"] == {"hello": "world", "n": [1, 2]}
    assert seen["aws_request_id"] == rid
    assert seen["invoked_function_arn"] == arn
    assert seen["function_name"] == "runtime-test"
    assert seen["function_version"] == "7"
    assert seen["memory_limit_in_mb"] == "256"
    assert seen["log_group_name"] == "/aws/lambda/runtime-test"
    assert seen["log_stream_name"] == "2026/11/24/[7]abcdef"
    assert seen["identity"] == {"cognito_identity_id": None, "cognito_identity_pool_id": None}
    assert seen["client_context"] is None


def test_remaining_time_is_the_deadline_minus_now(api: FakeRuntimeApi, spawn: Spawn) -> None:
    deadline = int(time.time() * 1000) + 600_000
    api.push({}, deadline_ms=deadline)
    api.push({}, deadline_ms=int(time.time() * 1000) - 5_000)  # already past: never negative
    spawn(ECHO)
    first = body(api.wait_post(WAIT))
    assert deadline - first["after_ms"] <= first["remaining_ms"] <= deadline - first["before_ms"]
    second = body(api.wait_post(WAIT))
    assert second["remaining_ms"] == 0


def test_trace_id_is_set_per_invocation_and_cleared_when_absent(api: FakeRuntimeApi, spawn: Spawn) -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    api.push({}, extra_headers={"Lambda-Runtime-Trace-Id": trace})
    api.push({})
    spawn(ECHO, _X_AMZN_TRACE_ID="Root=stale-from-the-environment")
    assert body(api.wait_post(WAIT))["trace_env"] == trace
    assert body(api.wait_post(WAIT))["trace_env"] is None


def test_client_context_and_cognito_identity(api: FakeRuntimeApi, spawn: Spawn) -> None:
    client_context = {
        "client": {"installation_id": "inst-1", "app_title": "Remote", "app_version_name": "2.1"},
        "custom": {"colour": "blue"},
        "env": {"platform": "Android"},
    }
    identity = {"cognitoIdentityId": "eu-west-1:abc", "cognitoIdentityPoolId": "eu-west-1:pool"}
    api.push(
        {},
        extra_headers={
            "Lambda-Runtime-Client-Context": json.dumps(client_context),
            "Lambda-Runtime-Cognito-Identity": json.dumps(identity),
        },
    )
    spawn(ECHO)
    seen = body(api.wait_post(WAIT))
    assert seen["identity"] == {
        "cognito_identity_id": "eu-west-1:abc",
        "cognito_identity_pool_id": "eu-west-1:pool",
    }
    assert seen["client_context"] == {
        "custom": {"colour": "blue"},
        "env": {"platform": "Android"},
        "installation_id": "inst-1",
        "app_title": "Remote",
    }


def test_one_connection_is_kept_alive_across_invocations(api: FakeRuntimeApi, spawn: Spawn) -> None:
    ids = [api.push({"i": i}) for i in range(4)]
    spawn(ECHO)
    posts = [api.wait_post(WAIT) for _ in ids]
    assert [p.request_id for p in posts] == ids
    assert all(p.kind == "response" for p in posts)
    assert api.connections == 1


def test_reconnects_when_the_runtime_api_drops_the_connection(api: FakeRuntimeApi, spawn: Spawn) -> None:
    api.close_connections_after_posts(True)
    ids = [api.push({"i": i}) for i in range(3)]
    spawn(ECHO)
    posts = [api.wait_post(WAIT) for _ in ids]
    assert [p.request_id for p in posts] == ids
    assert api.connections >= 3


def test_handler_exception_is_an_invocation_error_and_the_loop_goes_on(
    api: FakeRuntimeApi, spawn: Spawn
) -> None:
    failing = api.push({"raise": "bad vin"})
    ok = api.push({"fine": True})
    proc = spawn(ECHO)
    error = api.wait_post(WAIT)
    assert (error.kind, error.request_id) == ("error", failing)
    assert error.headers["lambda-runtime-function-error-type"] == "Unhandled"
    data = body(error)
    assert data["errorType"] == "ValueError"
    assert data["errorMessage"] == "asked to fail: bad vin"
    assert isinstance(data["stackTrace"], list) and data["stackTrace"]
    assert all(isinstance(line, str) for line in data["stackTrace"])
    assert "rt_handlers.py" in data["stackTrace"][-1]
    assert "loop.py" not in "".join(data["stackTrace"])  # the runtime's own frame is not the user's
    after = api.wait_post(WAIT)
    assert (after.kind, after.request_id) == ("response", ok)
    proc.kill()
    _, stderr = proc.communicate(timeout=10)
    assert b"[ERROR] ValueError: asked to fail: bad vin" in stderr


def test_unserialisable_result_is_a_marshal_error_not_a_crash(api: FakeRuntimeApi, spawn: Spawn) -> None:
    bad = api.push({"unserialisable": True})
    ok = api.push({"fine": True})
    spawn(ECHO)
    error = api.wait_post(WAIT)
    assert (error.kind, error.request_id) == ("error", bad)
    data = body(error)
    assert data["errorType"] == "Runtime.MarshalError"
    assert "not JSON serializable" in data["errorMessage"]
    assert api.wait_post(WAIT).request_id == ok


def test_event_that_is_not_json_is_an_unmarshal_error(api: FakeRuntimeApi, spawn: Spawn) -> None:
    bad = api.push(body=b"{not json")
    spawn(ECHO)
    error = api.wait_post(WAIT)
    assert (error.kind, error.request_id) == ("error", bad)
    assert body(error)["errorType"] == "Runtime.UnmarshalError"


@pytest.mark.parametrize(
    ("handler", "error_type", "message_part"),
    [
        ("nodots", "Runtime.MalformedHandlerName", "nodots"),
        ("", "Runtime.MalformedHandlerName", "expected 'module.attribute'"),
        (f"{FIXTURES}.no_such_module.handler", "Runtime.ImportModuleError", "no_such_module"),
        (f"{FIXTURES}.rt_handlers.missing", "Runtime.HandlerNotFound", "'missing'"),
        (f"{FIXTURES}.rt_handlers.NOT_CALLABLE", "Runtime.HandlerNotFound", "not callable"),
        (f"{FIXTURES}.rt_broken.handler", "RuntimeError", "configuration missing"),
    ],
)
def test_init_failure_posts_init_error_and_exits_non_zero(
    api: FakeRuntimeApi, spawn: Spawn, handler: str, error_type: str, message_part: str
) -> None:
    api.push({})
    proc = spawn(handler)
    post = api.wait_post(WAIT)
    assert post.kind == "init_error"
    assert post.headers["lambda-runtime-function-error-type"] == error_type
    data = body(post)
    assert data["errorType"] == error_type
    assert message_part in data["errorMessage"]
    assert isinstance(data["stackTrace"], list)
    assert proc.wait(timeout=WAIT) != 0
    assert api.served_at(post.request_id) is None  # no event was taken before init failed


def test_powertools_logger_accepts_the_context(api: FakeRuntimeApi, spawn: Spawn) -> None:
    rid = api.push(
        {"marker": "m-42"}, function_arn="arn:aws:lambda:eu-west-1:123456789012:function:runtime-test"
    )
    proc = spawn(f"{FIXTURES}.rt_powertools.handler")
    post = api.wait_post(WAIT)
    assert (post.kind, body(post)) == ("response", {"ok": True})
    proc.kill()
    stdout, _ = proc.communicate(timeout=10)
    records = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    (record,) = [r for r in records if r.get("marker") == "m-42"]
    assert record["function_request_id"] == rid
    assert record["function_name"] == "runtime-test"
    assert record["function_arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:runtime-test"
    assert str(record["function_memory_size"]) == "256"


def test_exits_when_the_runtime_api_goes_away(api: FakeRuntimeApi, spawn: Spawn) -> None:
    api.push({})
    proc = spawn(ECHO)
    assert api.wait_post(WAIT).kind == "response"
    api.stop()  # the pending long poll gets a 500, as from a dying sandbox
    assert proc.wait(timeout=WAIT) == 3


def test_refuses_to_run_outside_lambda(spawn: Spawn) -> None:
    proc = spawn(ECHO, address=None)
    _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 2
    assert b"AWS_LAMBDA_RUNTIME_API" in stderr


def test_context_log_writes_to_the_log_stream() -> None:
    import io
    import sys

    from lambda_runtime.context import LambdaContext

    captured = io.StringIO()
    context = LambdaContext("req-9", 0, "arn:aws:lambda:eu-west-1:123456789012:function:f", {})
    original, sys.stdout = sys.stdout, captured
    try:
        context.log("hello from the handler\n")
    finally:
        sys.stdout = original
    assert captured.getvalue() == "hello from the handler\n"
    assert context.get_remaining_time_in_millis() == 0
    assert (
        context.memory_limit_in_mb == "128"
    )  # a string, as AWS_LAMBDA_FUNCTION_MEMORY_SIZE in the managed runtime
