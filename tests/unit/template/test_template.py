"""template.yaml: the operational rules of issue 3 (build method, runtime, DLQs, alarms, SSE,
retention, least privilege, contracts), checked on the template as CloudFormation reads it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.unit.template.cfn_yaml import ROOT, walk
from tests.unit.template.template_model import (
    FUNCTIONS,
    GLOBAL_FN,
    QUEUES,
    RESOURCES,
    SAM,
    STATE_MACHINES,
    TEMPLATE,
    fn_prop,
    getatt_target,
    of_type,
)

HARNESS_FUNCTIONS = {  # docs/test-harness.md: only with DeployTestHarness "true"
    "BrokerMockFunction": "broker_mock",
    "SubscriptionMockFunction": "subscription_mock",
    "HarnessRelayFunction": "harness_relay",
}


def test_the_nine_functions_of_the_contract() -> None:
    """Nine functions in every stack, plus the three of the test harness behind its condition."""
    expected = {
        "ValidateFunction": "validate",
        "EnrichFunction": "enrich",
        "VehicleDecoderFunction": "vehicle_decoder",
        "PersisterFunction": "persister",
        "DistributorFunction": "distributor",
        "LifecycleSchedulerFunction": "lifecycle_scheduler",
        "LifecycleCheckerFunction": "lifecycle_checker",
        "VehicleConnectorFunction": "vehicle_connector",
        "DisclosureFunction": "disclosure",
    }
    product = {lid: res for lid, res in FUNCTIONS.items() if "Condition" not in res}
    assert {lid: product[lid]["Properties"]["Handler"] for lid in product} == {
        lid: f"functions.{folder}.app.handler" for lid, folder in expected.items()
    }
    harness = {lid: res for lid, res in FUNCTIONS.items() if "Condition" in res}
    assert {lid: res["Condition"] for lid, res in harness.items()} == dict.fromkeys(
        HARNESS_FUNCTIONS, "DeployHarness"
    )
    assert {lid: harness[lid]["Properties"]["Handler"] for lid in harness} == {
        lid: f"functions.{folder}.app.handler" for lid, folder in HARNESS_FUNCTIONS.items()
    }
    for folder in [*expected.values(), *HARNESS_FUNCTIONS.values()]:
        assert (ROOT / "functions" / folder / "app.py").is_file(), folder


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_every_function_is_native_and_built_by_the_makefile(lid: str) -> None:
    assert FUNCTIONS[lid]["Metadata"]["BuildMethod"] == "makefile"
    assert set(FUNCTIONS[lid]["Metadata"]) <= {"BuildMethod", "checkov"}
    assert fn_prop(lid, "Runtime") == "provided.al2023"
    assert fn_prop(lid, "Architectures") == ["x86_64"]
    assert fn_prop(lid, "CodeUri") == "."
    assert fn_prop(lid, "Tracing") == "Active"
    assert fn_prop(lid, "MemorySize") == 128
    assert fn_prop(lid, "Layers") == [{"Ref": "NativeRuntimeLayer"}]  # the bootstrap, at /opt


def test_one_native_runtime_layer_built_by_the_makefile_under_layers() -> None:
    layers = of_type("AWS::Serverless::LayerVersion")
    assert list(layers) == ["NativeRuntimeLayer"]
    layer = layers["NativeRuntimeLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "x86_64"}
    props = layer["Properties"]
    assert props["ContentUri"] == "layers/native-runtime"
    assert props["CompatibleRuntimes"] == ["provided.al2023"]
    assert props["CompatibleArchitectures"] == GLOBAL_FN["Architectures"]
    assert props["LayerName"] == {"Fn::Sub": "${EnvironmentName}-${Colour}-native-runtime"}
    # SAM runs `make build-NativeRuntimeLayer` with the Makefile of ContentUri; it hands over to
    # the repository's Makefile, which packages the layer.
    makefile = (ROOT / props["ContentUri"] / "Makefile").read_text()
    assert "\nbuild-NativeRuntimeLayer:" in makefile
    assert "\nbuild-NativeRuntimeLayer:" in (ROOT / "Makefile").read_text()
    # Every function gets it through Globals, none lists its own layers.
    assert GLOBAL_FN["Layers"] == [{"Ref": "NativeRuntimeLayer"}]
    assert not [lid for lid in FUNCTIONS if "Layers" in FUNCTIONS[lid]["Properties"]]


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_every_function_logs_json_to_its_own_group_with_retention(lid: str) -> None:
    logging = FUNCTIONS[lid]["Properties"]["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    group = RESOURCES[logging["LogGroup"]["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    name = FUNCTIONS[lid]["Properties"]["FunctionName"]["Fn::Sub"]
    assert group["Properties"]["LogGroupName"]["Fn::Sub"] == f"/aws/lambda/{name}"


def _callers_of(lid: str) -> list[str]:
    """Resources other than the function itself that refer to it (workflows, the pipe)."""
    found = []
    for other, res in RESOURCES.items():
        if other == lid:
            continue
        for _, node in walk(res):
            if node == {"Fn::GetAtt": [lid, "Arn"]} or node == {"Ref": lid}:
                found.append(other)
                break
    return found


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_every_function_has_a_dead_lettered_trigger(lid: str) -> None:
    """SQS-triggered functions read a queue with a redrive policy; the others are called
    synchronously by a workflow or the pipe (whose source queue has a DLQ), or through their
    Function URL (the test harness's mocks: HTTP, synchronous)."""
    events = FUNCTIONS[lid]["Properties"].get("Events") or {}
    if events:
        for event in events.values():
            assert event["Type"] == "SQS"
            props = event["Properties"]
            queue = RESOURCES[getatt_target(props["Queue"])]
            assert "RedrivePolicy" in queue["Properties"], lid
            assert props["BatchSize"] == 10
            assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        return
    callers = _callers_of(lid)
    assert callers, f"{lid} has neither an SQS trigger nor a caller"
    for caller in callers:
        kind = RESOURCES[caller]["Type"]
        allowed = ("AWS::Serverless::StateMachine", "AWS::Pipes::Pipe", "AWS::IAM::Role", "AWS::Lambda::Url")
        assert kind in allowed, (lid, caller)
        if kind == "AWS::Lambda::Url":
            assert RESOURCES[caller]["Properties"]["AuthType"] == "AWS_IAM", caller
        if kind == "AWS::Pipes::Pipe":
            source = RESOURCES[getatt_target(RESOURCES[caller]["Properties"]["Source"])]
            assert "RedrivePolicy" in source["Properties"]


def test_only_the_functions_that_call_a_third_party_reserve_concurrency() -> None:
    """The connector (broker team's API) and the disclosure module (authority endpoint) are capped by
    a described parameter; everything else scales with the load on the account's shared pool."""
    capped = {
        "VehicleConnectorFunction": "VehicleConnectorConcurrency",
        "DisclosureFunction": "DisclosureConcurrency",
    }
    for lid, res in FUNCTIONS.items():
        reserved = res["Properties"].get("ReservedConcurrentExecutions")
        if lid not in capped:
            assert reserved is None, lid
            continue
        assert reserved == {"Ref": capped[lid]}, lid
        param = TEMPLATE["Parameters"][capped[lid]]
        assert param["Type"] == "Number" and param["MinValue"] >= 1 and param["Description"]
    assert TEMPLATE["Parameters"]["VehicleConnectorConcurrency"]["Default"] == 50
    # Throttled SQS receives count towards maxReceiveCount: AWS advises >= 5 and a visibility
    # timeout of 6 x the function timeout when the consumer has reserved concurrency.
    assert TEMPLATE["Parameters"]["MaxReceiveCount"]["Default"] >= 5
    sources = {"VehicleConnectorFunction": "OutgoingQueue", "DisclosureFunction": "DisclosureQueue"}
    for lid, queue in sources.items():
        assert QUEUES[queue]["Properties"]["VisibilityTimeout"] >= 6 * fn_prop(lid, "Timeout")


def test_persister_reads_batches_of_ten_without_a_window() -> None:
    props = FUNCTIONS["PersisterFunction"]["Properties"]["Events"]["PersisterMessages"]["Properties"]
    assert props["BatchSize"] == 10
    assert props["MaximumBatchingWindowInSeconds"] == 0


def test_environment_variables_of_the_contract() -> None:
    contract = {
        "EVENTS_TABLE",
        "LOCK_TABLE",
        "EVENTS_TOPIC_ARN",
        "LIFECYCLE_DELAY_QUEUE_URL",
        "SUBSCRIBER_URL",
        "BROKER_URL",
        "DISCLOSURE_URL",
        "ENVIRONMENT",
        "COLOUR",
        "LIFECYCLE_TIME_SCALE",
        "EVENT_TTL_DAYS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
        "DEAD_LETTER_QUEUE_URL",
        "LIFECYCLE_INPUT_QUEUE_URLS",
        "LIFECYCLE_MAX_SLACK_MS",
        "SOURCE_QUEUE_URL",
        # the test harness (DeployTestHarness): the mocks' tables and queues, SigV4 to the mocks
        "BROKER_AUTH",
        "SUBSCRIBER_AUTH",
        "DISCLOSURE_AUTH",
        "HARNESS_TABLE",
        "PUSHES_TABLE",
        "REGISTRY_TABLE",
        "INCOMING_QUEUE_URL",
        "HARNESS_DELAY_QUEUE_URL",
    }
    seen = set(GLOBAL_FN["Environment"]["Variables"])
    for res in FUNCTIONS.values():
        seen |= set(res["Properties"].get("Environment", {}).get("Variables", {}))
    assert seen == contract
    needs = {
        "PersisterFunction": "LOCK_TABLE",
        "DistributorFunction": "SUBSCRIBER_URL",
        "LifecycleSchedulerFunction": "LIFECYCLE_DELAY_QUEUE_URL",
        "LifecycleCheckerFunction": "LIFECYCLE_DELAY_QUEUE_URL",
        "VehicleConnectorFunction": "BROKER_URL",
        "DisclosureFunction": "DISCLOSURE_URL",
    }
    for lid, var in needs.items():
        assert var in FUNCTIONS[lid]["Properties"]["Environment"]["Variables"], (lid, var)


def test_colour_specific_resources_carry_environment_and_colour() -> None:
    named = {
        "AWS::Serverless::Function": "FunctionName",
        "AWS::SQS::Queue": "QueueName",
        "AWS::SNS::Topic": "TopicName",
        "AWS::Serverless::StateMachine": "Name",
        "AWS::Pipes::Pipe": "Name",
    }
    for lid, res in RESOURCES.items():
        key = named.get(res["Type"])
        if key:
            assert res["Properties"][key]["Fn::Sub"].startswith("${EnvironmentName}-${Colour}-"), lid


@pytest.mark.parametrize("lid", sorted(STATE_MACHINES))
def test_asl_placeholders_match_the_definition_substitutions(lid: str) -> None:
    props = STATE_MACHINES[lid]["Properties"]
    text = (ROOT / props["DefinitionUri"]).read_text()
    json.loads(text)
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert placeholders == set(props["DefinitionSubstitutions"])


def test_incoming_pipe_decodes_then_runs_the_workflow_synchronously() -> None:
    props = RESOURCES["IncomingPipe"]["Properties"]
    assert getatt_target(props["Source"]) == "IncomingQueue"
    assert props["SourceParameters"]["SqsQueueParameters"]["BatchSize"] == 10
    assert getatt_target(props["Enrichment"]) == "VehicleDecoderFunction"
    assert props["Target"] == {"Ref": "IncomingStateMachine"}
    target = props["TargetParameters"]["StepFunctionStateMachineParameters"]
    assert target["InvocationType"] == "REQUEST_RESPONSE"
    role = RESOURCES[getatt_target(props["RoleArn"])]
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    log_group = props["LogConfiguration"]["CloudwatchLogsLogDestination"]["LogGroupArn"]
    assert {json.dumps(s["Resource"], sort_keys=True) for s in statements} == {
        json.dumps(v, sort_keys=True)
        for v in (props["Source"], props["Enrichment"], props["Target"], log_group)
    }


def test_outputs() -> None:
    assert {
        "EventsTableName",
        "VehicleLockTableName",
        "VehicleRegistryTableName",
        "WeightsTableName",
        "EventsTopicArn",
        "IncomingQueueUrl",
        "OutgoingQueueUrl",
        "EventCreationStateMachineArn",
    } <= set(TEMPLATE["Outputs"])


def test_samconfig_builds_in_source_without_sams_cache() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    build = config["default"]["build"]["parameters"]
    assert build["build_in_source"] is True
    assert build.get("cached", False) is False


def test_the_test_harness_is_all_behind_its_condition_and_off_by_default() -> None:
    param = TEMPLATE["Parameters"]["DeployTestHarness"]
    assert param["Default"] == "false" and param["AllowedValues"] == ["true", "false"]
    assert TEMPLATE["Conditions"]["DeployHarness"] == {"Fn::Equals": [{"Ref": "DeployTestHarness"}, "true"]}
    harness = {lid for lid, res in RESOURCES.items() if res.get("Condition") == "DeployHarness"}
    assert harness == {
        *HARNESS_FUNCTIONS,
        "BrokerMockLogGroup",
        "SubscriptionMockLogGroup",
        "HarnessRelayLogGroup",
        "BrokerMockFunctionUrl",
        "SubscriptionMockFunctionUrl",
        "HarnessTable",
        "PushesTable",
        "HarnessDelayQueue",
        "HarnessDelayDeadLetterQueue",
        "HarnessDelayDeadLetterAlarm",
    }
    # nothing outside the condition refers to a harness resource except through Fn::If on it
    for lid, res in RESOURCES.items():
        if lid in harness:
            continue
        for path, node in walk(res):
            refs = (
                [node["Ref"]]
                if isinstance(node, dict) and "Ref" in node
                else [node["Fn::GetAtt"][0]]
                if isinstance(node, dict) and "Fn::GetAtt" in node
                else []
            )
            for ref in refs:
                assert ref not in harness or "Fn::If" in path, (lid, path)
    for lid in ("BrokerMockFunctionUrl", "SubscriptionMockFunctionUrl"):
        assert RESOURCES[lid]["Properties"]["AuthType"] == "AWS_IAM"


def test_with_the_harness_the_connector_distributor_and_disclosure_sign_their_calls_to_the_mocks() -> None:
    calls = {
        "VehicleConnectorFunction": ("BROKER", "BrokerMockFunctionUrl", "publish", "broker-mock"),
        "DistributorFunction": ("SUBSCRIBER", "SubscriptionMockFunctionUrl", "push", "subscription-mock"),
        "DisclosureFunction": (
            "DISCLOSURE",
            "SubscriptionMockFunctionUrl",
            "disclosure",
            "subscription-mock",
        ),
    }
    params = {"BROKER": "BrokerUrl", "SUBSCRIBER": "SubscriberUrl", "DISCLOSURE": "DisclosureUrl"}
    for lid, (var, url, path, name) in calls.items():
        env = FUNCTIONS[lid]["Properties"]["Environment"]["Variables"]
        param = params[var]
        assert env[f"{var}_URL"] == {
            "Fn::If": ["DeployHarness", {"Fn::Sub": f"${{{url}.FunctionUrl}}{path}"}, {"Ref": param}]
        }
        assert env[f"{var}_AUTH"] == {"Fn::If": ["DeployHarness", "AWS_IAM", {"Ref": "AWS::NoValue"}]}
        (grant,) = [p["Fn::If"] for p in FUNCTIONS[lid]["Properties"]["Policies"] if "Fn::If" in p]
        assert grant[0] == "DeployHarness" and grant[2] == {"Ref": "AWS::NoValue"}
        (statement,) = grant[1]["Statement"]
        assert statement["Action"] == ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]
        assert statement["Resource"]["Fn::Sub"].endswith(f":function:${{EnvironmentName}}-${{Colour}}-{name}")
    others = [
        lid
        for lid, res in FUNCTIONS.items()
        if lid not in calls and "lambda:InvokeFunctionUrl" in json.dumps(res["Properties"].get("Policies"))
    ]
    assert others == []


@pytest.mark.skipif(not SAM.exists(), reason=".venv-sam/bin/sam is missing (make venv installs it)")
def test_sam_validate_lint_is_clean_with_the_test_harness(tmp_path: Path) -> None:
    """cfn-lint evaluates both sides of every condition; this runs it on the harness-on default too."""
    default = '  DeployTestHarness:\n    Type: String\n    Default: "false"'
    text = (ROOT / "template.yaml").read_text()
    assert default in text
    harness_on = ROOT / f".harness-on-{os.getpid()}.yaml"  # next to the template: relative paths resolve
    harness_on.write_text(text.replace(default, default.replace('"false"', '"true"')))
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "HOME": str(tmp_path)}
    try:
        result = subprocess.run(
            [str(SAM), "validate", "--lint", "--template-file", str(harness_on)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        harness_on.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.skipif(not SAM.exists(), reason=".venv-sam/bin/sam is missing (make venv installs it)")
def test_sam_validate_lint_is_clean(tmp_path: Path) -> None:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(SAM), "validate", "--lint", "--template-file", str(ROOT / "template.yaml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr
