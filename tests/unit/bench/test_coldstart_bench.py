"""``bench/coldstart.py`` end to end on a tiny project with fake bootstraps (runs in seconds).

The fake "native" bootstraps are shell scripts that run the real Runtime API loop under CPython,
so the whole path is real: template parsing, sample events, spawning, the local Runtime API,
timing, RSS, statistics, the JSON report and the chart.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from bench import coldstart, coldstart_template

RUNTIME = Path(coldstart.__file__).resolve().parent.parent / "src"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
    MemorySize: 256
    Architectures: [x86_64]
    Environment:
      Variables:
        ENVIRONMENT: !Ref Environment
        LOG_LEVEL: INFO
Resources:
  EventsTable:
    Type: AWS::DynamoDB::Table
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.echo.app.handler
      CodeUri: .
      Environment:
        Variables:
          EVENTS_TABLE: !Ref EventsTable
          TOPIC_ARN: !GetAtt Topic.TopicArn
          BROKER_URL: !Sub "https://${Api}.example/"
    Metadata:
      BuildMethod: makefile
  PersisterFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.persister.app.handler
      MemorySize: 512
  NoEventsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.no_events.app.handler
  UnbuiltFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.unbuilt.app.handler
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.broken.app.handler
  HungryFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.hungry.app.handler
"""

HANDLERS = {
    "echo": """
        import os

        def handler(event, context):
            assert os.environ["EVENTS_TABLE"] and os.environ["LOG_LEVEL"] == "INFO"
            return {"seen": event, "memory": context.memory_limit_in_mb}
    """,
    "persister": """
        def handler(event, context):
            return {"batchItemFailures": [], "records": len(event["Records"])}
    """,
    "no_events": "def handler(event, context):\n    return None\n",
    "unbuilt": "def handler(event, context):\n    return 1\n",
    "broken": "raise ImportError('the broken function cannot start')\n",
    "hungry": """
        BALLAST = b"x" * (96 * 1024 * 1024)  # written, so resident

        def handler(event, context):
            return len(BALLAST)
    """,
}


def write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "template.yaml", TEMPLATE)
    write(root / "functions" / "__init__.py", "")
    for name, code in HANDLERS.items():
        write(root / "functions" / name / "__init__.py", "")
        write(root / "functions" / name / "app.py", textwrap.dedent(code))
    write(root / "events" / "echo" / "a-invalid-vin.json", '{"vin": "bad"}')
    write(root / "events" / "echo" / "b-horn.json", '{"vin": "WVWZZZ1JZXW000001"}')
    write(root / "events" / "unbuilt" / "one.json", "{}")
    write(root / "events" / "broken" / "one.json", "{}")
    write(root / "events" / "hungry" / "one.json", "{}")
    fake_bootstrap = (
        f'#!/bin/sh\nexport PYTHONPATH="{root}:{RUNTIME}"\nexec "{sys.executable}" -m lambda_runtime\n'
    )
    for logical_id in (
        "EchoFunction",
        "PersisterFunction",
        "NoEventsFunction",
        "BrokenFunction",
        "HungryFunction",
    ):
        write(root / ".aws-sam" / "build" / logical_id / "bootstrap", fake_bootstrap, 0o755)
    return root


def test_bench_measures_every_variant_and_writes_the_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, png = project / "reports" / "coldstart.json", project / "reports" / "coldstart.png"
    code = coldstart.main(
        ["--root", str(project), "--runs", "3", "--out", str(out), "--png", str(png), "--timeout", "20"]
    )
    printed = capsys.readouterr().out
    assert code == 0
    report = json.loads(out.read_text())
    assert {"cpu_model", "cores", "kernel", "python", "nuitka", "date"} <= set(report["machine"])
    assert set(report["floors"]) == {"true_ms", "cpython_empty_ms", "cpython_isolated_empty_ms"}
    assert report["runtime_loop_imports"]["modules"] >= 1
    functions = report["functions"]
    assert set(functions) == {
        "EchoFunction",
        "PersisterFunction",
        "NoEventsFunction",
        "UnbuiltFunction",
        "BrokenFunction",
        "HungryFunction",
    }

    echo = functions["EchoFunction"]
    for variant in ("native", "cpython"):
        assert set(echo[variant]) >= {"min_ms", "median_ms", "p90_ms"}
        assert echo[variant]["n"] == 3
        assert 0 < echo[variant]["min_ms"] <= echo[variant]["median_ms"] <= echo[variant]["p90_ms"]
    assert echo["cpython_boto3"] is None and echo["calls_aws"] is False
    assert echo["event"] == "events/echo/b-horn.json"  # the invalid sample is skipped
    assert echo["warm_native_ms"] > 0 and echo["warm_cpython_ms"] > 0
    # The peak RSS is the function process's own, not the spawning benchmark's (a vfork inherits that).
    hungry = functions["HungryFunction"]["max_rss_mb"]
    assert hungry >= 96
    assert 1 < echo["max_rss_mb"] < hungry - 48
    assert echo["zip_bytes"] > 0
    assert echo["native_artifact"].startswith("script")  # the fake is not an ELF, and says so
    assert echo["memory_mb"] == 256
    assert echo["imports"]["modules"] >= 1 and echo["imports"]["ms"] >= 0
    assert echo["speedup_vs_cpython"] == pytest.approx(
        echo["cpython"]["median_ms"] / echo["native"]["median_ms"], rel=0.01
    )

    persister = functions["PersisterFunction"]
    assert persister["calls_aws"] is True and persister["boto3_clients"] == ["dynamodb"]
    assert persister["event"].startswith("empty SQS batch")
    assert persister["cpython_boto3"]["n"] == 3
    assert persister["memory_mb"] == 512

    assert functions["NoEventsFunction"]["native"] is None
    assert "no valid sample event" in functions["NoEventsFunction"]["error"]
    unbuilt = functions["UnbuiltFunction"]
    assert unbuilt["native"] is None and unbuilt["cpython"]["n"] == 3
    assert any("no native artifact" in note for note in unbuilt["notes"])
    broken = functions["BrokenFunction"]
    assert broken["native"] is None and broken["cpython"] is None
    assert "init_error: Runtime.ImportModuleError" in broken["native_error"]

    assert "EchoFunction" in printed and "x faster" in printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_native_alt_is_measured_interleaved(project: Path, tmp_path: Path) -> None:
    alt = tmp_path / "alt-build"
    bootstrap = project / ".aws-sam" / "build" / "EchoFunction" / "bootstrap"
    write(alt / "EchoFunction" / "bootstrap", bootstrap.read_text(), 0o755)
    out = tmp_path / "alt.json"
    args = ["--root", str(project), "--runs", "2", "--functions", "EchoFunction", "UnbuiltFunction"]
    code = coldstart.main(
        [*args, "--native-alt", str(alt), "--out", str(out), "--png", str(tmp_path / "a.png")]
    )
    assert code == 0
    functions = json.loads(out.read_text())["functions"]
    echo = functions["EchoFunction"]
    assert echo["native_alt"]["n"] == 2 and echo["native"]["n"] == 2
    assert echo["ratio_native_alt_to_native"] > 0
    assert "native_alt" not in functions["UnbuiltFunction"]
    assert any("no alternative native artifact" in note for note in functions["UnbuiltFunction"]["notes"])


def test_unknown_function_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = coldstart.main(["--root", str(project), "--functions", "NopeFunction", "--out", os.devnull])
    assert code == 2
    assert "NopeFunction" in capsys.readouterr().err


def test_every_function_of_the_real_template_uses_the_native_layer() -> None:
    root = Path(coldstart.__file__).resolve().parent.parent
    specs, _ = coldstart_template.discover(root, root / "template.yaml")
    assert len(specs) == 12  # nine + the test harness's three (DeployTestHarness)
    assert {spec.layers for spec in specs} == {("NativeRuntimeLayer",)}  # Globals: Layers


def test_the_native_bootstrap_comes_from_the_layer_as_on_lambda(project: Path, tmp_path: Path) -> None:
    """The function's artifact holds no bootstrap: the layer's runs (``/opt/bootstrap`` on Lambda),
    in the function's task root, as provided.al2023 does."""
    template = TEMPLATE.replace(
        "    Architectures: [x86_64]\n",
        "    Architectures: [x86_64]\n    Layers: [!Ref NativeRuntimeLayer]\n",
    ).replace(
        "Resources:\n",
        "Resources:\n  NativeRuntimeLayer:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties:\n      ContentUri: layers/native-runtime\n",
    )
    write(project / "template.yaml", template)
    build = project / ".aws-sam" / "build"
    (build / "EchoFunction" / "bootstrap").unlink()
    write(build / "EchoFunction" / "function.json", '{"handler": "functions.echo.app.handler"}')
    # Fails unless started in the function's artifact, with it as LAMBDA_TASK_ROOT.
    layer_bootstrap = (
        "#!/bin/sh\n"
        '[ "$(pwd)" = "$LAMBDA_TASK_ROOT" ] && [ -f "$LAMBDA_TASK_ROOT/function.json" ] || exit 3\n'
        f'export PYTHONPATH="{project}:{RUNTIME}"\nexec "{sys.executable}" -m lambda_runtime\n'
    )
    write(build / "NativeRuntimeLayer" / "bootstrap", layer_bootstrap, 0o755)
    write(build / "NativeRuntimeLayer" / "ballast.bin", "x" * 4096)
    out = tmp_path / "layer.json"
    args = ["--root", str(project), "--runs", "2", "--functions", "EchoFunction", "UnbuiltFunction"]
    png = str(tmp_path / "l.png")
    assert coldstart.main([*args, "--no-imports", "--out", str(out), "--png", png]) == 0
    functions = json.loads(out.read_text())["functions"]
    echo = functions["EchoFunction"]
    assert echo["native"]["n"] == 2, echo.get("native_error")
    assert echo["layer"] == "NativeRuntimeLayer"
    assert echo["native_artifact"] == "script (not an ELF: a NATIVE=0 build?) from layer NativeRuntimeLayer"
    assert 0 < echo["zip_bytes"] < echo["layer_zip_bytes"]
    unbuilt = functions["UnbuiltFunction"]  # the layer is there, the function's artifact is not
    assert unbuilt["native"] is None and unbuilt["layer"] is None
    assert any("no native artifact" in note for note in unbuilt["notes"])


def test_a_parameter_reference_in_the_environment_is_its_default() -> None:
    root = Path(coldstart.__file__).resolve().parent.parent
    specs, _ = coldstart_template.discover(root, root / "template.yaml")
    decoder = next(spec for spec in specs if spec.logical_id == "VehicleDecoderFunction")
    assert decoder.environment["EVENT_TTL_DAYS"] == "30"  # !Ref EventTtlDays: an integer is read at invoke
    assert decoder.environment["ENVIRONMENT"] == "dev"
    assert decoder.environment["EVENTS_TOPIC_ARN"].startswith("arn:")  # !Ref of a resource: a placeholder
