"""The function host with the project's real runtime loop (`python -m lambda_runtime`)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.functional.localcloud.lc_support import Cloud, spec

RUNTIME = Path(__file__).resolve().parents[3] / "src" / "lambda_runtime"
HANDLERS = """
import os


def echo(event, context):
    print("handling", event, flush=True)
    return {"pid": os.getpid(), "event": event, "function": context.function_name,
            "requestId": context.aws_request_id, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis()}


def fail(event, context):
    raise ValueError("no such vehicle")


def crash(event, context):
    os._exit(5)
"""
BOOTSTRAP = """#!/bin/sh
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
export PYTHONPATH="$HERE"
export PYTHONUNBUFFERED=1
exec "{python}" -m lambda_runtime "$@"
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (RUNTIME / "__main__.py").exists():
        pytest.skip("src/lambda_runtime is not there")
    root = tmp_path_factory.mktemp("artifact")
    shutil.copytree(RUNTIME, root / "lambda_runtime")
    (root / "lc_handlers.py").write_text(HANDLERS)
    bootstrap = root / "bootstrap"
    bootstrap.write_text(BOOTSTRAP.format(python=sys.executable))
    bootstrap.chmod(0o755)
    return root


def test_real_runtime_echo_warm_reuse_and_report(cloud: Cloud, artifact: Path) -> None:
    cloud.host.register(spec("RtEcho", artifact_dir=artifact, handler="lc_handlers.echo", memory_mb=256))
    first = cloud.host.invoke("lc-RtEcho", b'{"vin": "V"}')
    second = cloud.host.invoke("lc-RtEcho", b'{"vin": "W"}')
    assert first.function_error is None, first.payload
    one, two = json.loads(first.payload), json.loads(second.payload)
    assert one["event"] == {"vin": "V"} and two["event"] == {"vin": "W"}
    assert one["pid"] == two["pid"] and one["requestId"] != two["requestId"]
    assert one["function"] == "lc-RtEcho" and int(one["memory"]) == 256
    assert 0 < one["remaining"] <= 10_000
    log = (cloud.log_dir / "RtEcho.log").read_text()
    assert "handling {'vin': 'V'}" in log
    assert log.count("REPORT RequestId:") == 2 and log.count("Init Duration:") == 1


def test_real_runtime_error_and_crash(cloud: Cloud, artifact: Path) -> None:
    cloud.host.register(spec("RtFail", artifact_dir=artifact, handler="lc_handlers.fail"))
    failed = cloud.host.invoke("lc-RtFail", b"{}")
    assert failed.function_error == "Unhandled"
    error = json.loads(failed.payload)
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "no such vehicle"
    cloud.host.register(spec("RtCrash", artifact_dir=artifact, handler="lc_handlers.crash"))
    crashed = cloud.host.invoke("lc-RtCrash", b"{}")
    assert crashed.function_error == "Unhandled"
    assert json.loads(crashed.payload)["errorType"] == "Runtime.ExitError"
    cloud.host.register(spec("RtMissing", artifact_dir=artifact, handler="lc_handlers.nope"))
    missing = cloud.host.invoke("lc-RtMissing", b"{}")
    assert missing.function_error == "Unhandled"
    assert json.loads(missing.payload)["errorType"].startswith("Runtime.")


HANDLER_WHERE = """
import os


def where(event, context):
    return {"cwd": os.getcwd(), "taskRoot": os.environ["LAMBDA_TASK_ROOT"],
            "manifest": open("function.json").read()}
"""


def test_a_function_runs_its_layers_bootstrap_in_its_task_root(cloud: Cloud, artifact: Path,
                                                             tmp_path: Path) -> None:
    """As on provided.al2023: no /var/task/bootstrap, so /opt/bootstrap (the layer's) runs, with
    the function's artifact as LAMBDA_TASK_ROOT and working directory."""
    layer = tmp_path / "RuntimeLayer"
    shutil.copytree(artifact, layer)
    (layer / "lc_where.py").write_text(HANDLER_WHERE)
    (layer / "native-runtime.json").write_text(json.dumps({"build": "b1"}))
    function = tmp_path / "WhereFunction"
    function.mkdir()
    (function / "function.json").write_text(json.dumps({"layerBuild": "b1"}))
    where = spec("RtWhere", artifact_dir=function, handler="lc_where.where", layer_dirs=(layer,))
    assert where.bootstrap == layer / "bootstrap" and where.not_runnable() is None
    cloud.host.register(where)
    result = cloud.host.invoke("lc-RtWhere", b"{}")
    assert result.function_error is None, result.payload
    answer = json.loads(result.payload)
    assert answer["cwd"] == answer["taskRoot"] == str(function.resolve())
    assert json.loads(answer["manifest"]) == {"layerBuild": "b1"}
    # Its own bootstrap wins over the layer's; a function of another layer build cannot start.
    assert spec("Own", artifact_dir=artifact, layer_dirs=(layer,)).bootstrap == artifact / "bootstrap"
    (function / "function.json").write_text(json.dumps({"layerBuild": "b0"}))
    assert "packaged for layer build b0, but" in str(where.not_runnable())
    assert "no bootstrap" in str(spec("None", artifact_dir=function).not_runnable())
