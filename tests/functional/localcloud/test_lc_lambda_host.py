"""The function host: warm reuse, cold starts up to the concurrency limit, timeouts, crashes, logs."""

from __future__ import annotations

import base64
import json
import re
import threading
from pathlib import Path

import pytest

from localcloud.lambda_host import FunctionNotFound, InvokeResult, TooManyRequests
from tests.functional.localcloud.lc_support import Cloud, spec


def _json(result: InvokeResult) -> dict[str, object]:
    value = json.loads(result.payload)
    assert isinstance(value, dict)
    return value


def test_warm_instance_is_reused_and_env_is_lambdas(cloud: Cloud) -> None:
    cloud.host.register(spec("Warm", environment={"MY_SETTING": "x"}, memory_mb=256))
    first = cloud.host.invoke("lc-Warm", b'{"n": 1}')
    second = cloud.host.invoke("lc-Warm", b'{"n": 2}')
    assert first.status_code == 200 and first.function_error is None
    assert _json(first)["pid"] == _json(second)["pid"]
    assert _json(second)["event"] == {"n": 2}
    env = _json(first)["env"]
    assert isinstance(env, dict)
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "lc-Warm"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/lc-Warm"
    assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_ENDPOINT_URL"] == cloud.endpoint.url
    assert env["AWS_SESSION_TOKEN"] and env["AWS_ACCESS_KEY_ID"] and env["AWS_REGION"] == "us-east-1"
    assert env["MY_SETTING"] == "x"
    assert cloud.host.stats("lc-Warm")["cold_starts"] == 1


def test_concurrent_calls_start_new_instances_up_to_the_limit(cloud: Cloud) -> None:
    cloud.host.register(spec("Scale", reserved_concurrency=2))
    results: list[InvokeResult] = []
    lock = threading.Lock()

    def call() -> None:
        result = cloud.host.invoke("lc-Scale", b'{"sleep": 0.5}')
        with lock:
            results.append(result)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 4 and all(r.function_error is None for r in results)
    pids = {_json(r)["pid"] for r in results}
    assert len(pids) == 2  # two instances, each reused once: the limit held, extra calls waited
    stats = cloud.host.stats("lc-Scale")
    assert stats["cold_starts"] == 2 and stats["instances"] == 2


def test_timeout_kills_the_instance_and_reports_like_lambda(cloud: Cloud) -> None:
    cloud.host.register(spec("Slow", timeout_s=1.0))
    first = cloud.host.invoke("lc-Slow", b'{"n": 0}')
    result = cloud.host.invoke("lc-Slow", b'{"sleep": 30}')
    assert result.function_error == "Unhandled"
    error = _json(result)
    assert error["errorType"] == "Sandbox.Timedout"
    assert re.search(r"Task timed out after 1\.00 seconds$", str(error["errorMessage"]))
    after = cloud.host.invoke("lc-Slow", b'{"n": 1}')
    assert after.function_error is None
    assert _json(after)["pid"] != _json(first)["pid"]  # the timed-out instance was killed
    log = (cloud.log_dir / "Slow.log").read_text()
    assert "Task timed out after 1.00 seconds" in log


def test_crash_mid_invocation_is_a_function_error_and_the_instance_is_replaced(cloud: Cloud) -> None:
    cloud.host.register(spec("Crash"))
    first = cloud.host.invoke("lc-Crash", b"{}")
    crashed = cloud.host.invoke("lc-Crash", b'{"crash": 7}')
    assert crashed.status_code == 200 and crashed.function_error == "Unhandled"
    error = _json(crashed)
    assert error["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 7" in str(error["errorMessage"])
    after = cloud.host.invoke("lc-Crash", b"{}")
    assert after.function_error is None and _json(after)["pid"] != _json(first)["pid"]


def test_handled_error_and_init_error(cloud: Cloud) -> None:
    cloud.host.register(spec("Err"))
    result = cloud.host.invoke("lc-Err", b'{"raise": "bad vin"}')
    assert result.function_error == "Unhandled"
    assert _json(result) == {"errorType": "ValidationError", "errorMessage": "bad vin"}
    cloud.host.register(spec("InitFail", environment={"INIT_FAIL": "1"}))
    init = cloud.host.invoke("lc-InitFail", b"{}")
    assert init.function_error == "Unhandled"
    assert _json(init)["errorType"] == "InitFailed"
    assert (
        "Phase: init\tStatus: error\tError Type: InitFailed" in (cloud.log_dir / "InitFail.log").read_text()
    )


def test_log_file_has_output_and_lambda_report_lines(cloud: Cloud) -> None:
    cloud.host.register(spec("Logs", memory_mb=512))
    cold = cloud.host.invoke("lc-Logs", b'{"print": "hello from the handler"}', log_type="Tail")
    cloud.host.invoke("lc-Logs", b'{"print": "second"}')
    log = (cloud.log_dir / "Logs.log").read_text()
    reports = re.findall(r"^REPORT RequestId: [0-9a-f-]{36}\t.*$", log, re.M)
    assert len(reports) == 2
    pattern = (
        r"Duration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: (\d+) MB\t"
    )
    assert re.search(pattern + r"Init Duration: \d+\.\d\d ms\t$", reports[0])
    assert re.search(pattern + "$", reports[1])  # warm: no Init Duration
    assert int(re.search(pattern, reports[0]).group(1)) > 0  # type: ignore[union-attr]
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("START RequestId:"))
    assert lines[start + 1] == "hello from the handler"
    assert lines[start + 2].startswith("END RequestId:") and lines[start + 3].startswith("REPORT RequestId:")
    assert cold.log_result is not None
    tail = base64.b64decode(cold.log_result).decode()
    assert "hello from the handler" in tail and "REPORT RequestId" in tail


def test_resolves_arn_partial_arn_qualifier_and_logical_id(cloud: Cloud) -> None:
    cloud.host.register(spec("Names"))
    for name in (
        "lc-Names",
        "Names",
        "arn:aws:lambda:us-east-1:123456789012:function:lc-Names",
        "arn:aws:lambda:us-east-1:123456789012:function:lc-Names:$LATEST",
        "123456789012:function:lc-Names",
    ):
        assert cloud.host.resolve(name) is not None, name
    assert cloud.host.resolve("lc-Other") is None


def test_event_invocation_returns_202_and_runs(cloud: Cloud, tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    cloud.host.register(spec("Async", environment={"RECORD_FILE": str(record)}))
    result = cloud.host.invoke("lc-Async", b'{"async": true}', invocation_type="Event")
    assert result.status_code == 202 and result.payload == b""
    sync = cloud.host.invoke("lc-Async", b'{"after": true}')  # waits for the instance if busy
    assert sync.function_error is None
    for _ in range(100):
        if record.exists() and '"async": true' in record.read_text():
            break
        threading.Event().wait(0.05)
    assert '"async": true' in record.read_text()


def test_warm_starts_instances_ahead_and_throttles_at_zero_concurrency(cloud: Cloud) -> None:
    cloud.host.register(spec("Prewarm", reserved_concurrency=2))
    assert cloud.host.warm("lc-Prewarm", count=5) == 2
    stats = cloud.host.stats("lc-Prewarm")
    assert stats == {"instances": 2, "idle": 2, "cold_starts": 2, "invocations": 0}
    assert cloud.host.invoke("lc-Prewarm", b"{}").function_error is None
    assert cloud.host.stats("lc-Prewarm")["cold_starts"] == 2
    cloud.host.register(spec("Zero", reserved_concurrency=0))
    with pytest.raises(TooManyRequests):
        cloud.host.invoke("lc-Zero", b"{}")
    with pytest.raises(FunctionNotFound):
        cloud.host.invoke("lc-Nothing", b"{}")
