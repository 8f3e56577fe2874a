"""template.yaml against the truth rules the handlers rely on (docs/architecture.md, "Every command ends
truthfully"): where poison is parked, and the timings the push lease and the lifecycle assume."""

from __future__ import annotations

from typing import Any

from remote_services.push import LEASE_MS, PUSH_ATTEMPTS, PUSH_TIMEOUT_S
from tests.unit.template.cfn_yaml import ROOT, load

TEMPLATE = load(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def sqs_triggered() -> dict[str, str]:
    """function logical id -> the queue its SQS event source reads."""
    out = {}
    for lid, res in RESOURCES.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        for event in (res["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                out[lid] = event["Properties"]["Queue"]["Fn::GetAtt"][0]
    return out


def test_poison_is_parked_in_the_dlq_the_redrive_policy_uses() -> None:
    """A function parks poison in DEAD_LETTER_QUEUE_URL: it must be its own queue's redrive DLQ, and
    the function may send there (and nowhere else it does not need)."""
    triggered = sqs_triggered()
    assert len(triggered) == 7  # six of the product, HarnessRelayFunction of the test harness
    for lid, queue in triggered.items():
        redrive = RESOURCES[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        props = RESOURCES[lid]["Properties"]
        assert props["Environment"]["Variables"]["DEAD_LETTER_QUEUE_URL"] == {"Ref": redrive}, lid
        sends = [
            p["SQSSendMessagePolicy"]["QueueName"] for p in props["Policies"] if "SQSSendMessagePolicy" in p
        ]
        assert {"Fn::GetAtt": [redrive, "QueueName"]} in sends, lid


def test_a_failed_record_comes_back_with_backoff_from_its_own_queue() -> None:
    """VisibilityBackoff changes the visibility of failed records on SOURCE_QUEUE_URL: the function's
    own event-source queue, with the poller permissions on that queue only."""
    for lid, queue in sqs_triggered().items():
        props = RESOURCES[lid]["Properties"]
        assert props["Environment"]["Variables"]["SOURCE_QUEUE_URL"] == {"Ref": queue}, lid
        pollers = [p["SQSPollerPolicy"]["QueueName"] for p in props["Policies"] if "SQSPollerPolicy" in p]
        assert pollers == [{"Fn::GetAtt": [queue, "QueueName"]}], lid


def test_a_push_lease_ends_before_the_record_comes_back() -> None:
    """The lease outlives a whole push, and ends before SQS redelivers the record: the redelivery of a
    record whose consumer died takes the claim over at once instead of burning a receive."""
    visibility_ms = RESOURCES["DistributorQueue"]["Properties"]["VisibilityTimeout"] * 1000
    assert PUSH_TIMEOUT_S * PUSH_ATTEMPTS * 1000 < LEASE_MS < visibility_ms


def test_the_checker_defers_a_timeout_only_on_its_own_inputs_and_only_for_a_while() -> None:
    variables = RESOURCES["LifecycleCheckerFunction"]["Properties"]["Environment"]["Variables"]
    watched = variables["LIFECYCLE_INPUT_QUEUE_URLS"]["Fn::Join"][1]
    assert watched == [{"Ref": "OutgoingQueue"}, {"Ref": "IncomingQueue"}]
    assert 0 < int(variables["LIFECYCLE_MAX_SLACK_MS"]) <= 60_000


def _sort_keys(node: Any) -> list[str]:
    """Every literal or formatted `sk` value a workflow writes or reads."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sk" and isinstance(value, dict):
                found.append(str(value.get("S") or value.get("S.$")))
            else:
                found.extend(_sort_keys(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_sort_keys(value))
    return found


def test_the_workflows_and_the_api_use_the_events_tables_keys() -> None:
    """The ASL and the OpenAPI mapping keep their own copies of the sort keys (they cannot import
    Python): they must be the ones remote_services.events_table defines."""
    import json

    from remote_services.events_table import HISTORY_PREFIX, LATE_PREFIX, STATE_SK

    creation = json.loads((ROOT / "statemachines" / "event_creation.asl.json").read_text())
    incoming = json.loads((ROOT / "statemachines" / "incoming.asl.json").read_text())
    keys = set(_sort_keys(creation)) | set(_sort_keys(incoming))
    assert keys == {STATE_SK, f"States.Format('{LATE_PREFIX}{{}}#{{}}', $.item.receivedMs, $.item.status)"}
    api = (ROOT / "api" / "openapi.yaml").read_text()
    assert f'$item.sk.S == "{STATE_SK}"' in api and f'$item.sk.S.startsWith("{HISTORY_PREFIX}")' in api
