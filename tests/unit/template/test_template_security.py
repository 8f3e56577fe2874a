"""template.yaml's security and durability rules: no wildcard IAM action, encryption at rest for queues,
tables and the topic, a DLQ with an alarm for every working queue, log retention, point-in-time
recovery; checked on the template as CloudFormation reads it."""

from __future__ import annotations

from tests.unit.template.cfn_yaml import walk
from tests.unit.template.template_model import (
    QUEUES,
    RESOURCES,
    STATE_MACHINES,
    getatt_target,
    of_type,
)


def test_no_iam_action_is_a_wildcard() -> None:
    actions: list[tuple[str, str]] = []
    for path, node in walk(RESOURCES):
        if isinstance(node, dict) and "Action" in node and ("Effect" in node or "Sid" in node):
            value = node["Action"]
            for action in value if isinstance(value, list) else [value]:
                actions.append((path, action))
    assert len(actions) > 10
    bad = [(p, a) for p, a in actions if not isinstance(a, str) or "*" in a]
    assert bad == []


def test_every_queue_is_encrypted_and_every_working_queue_has_a_dlq_with_an_alarm() -> None:
    dlqs = {
        getatt_target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in QUEUES.values()
        if "RedrivePolicy" in q["Properties"]
    }
    working = set(QUEUES) - dlqs
    assert working == {
        "PersisterQueue",
        "DistributorQueue",
        "LifecycleQueue",
        "LifecycleDelayQueue",
        "OutgoingQueue",
        "IncomingQueue",
        "DisclosureQueue",
        "HarnessDelayQueue",  # the test harness (DeployTestHarness)
    }
    for lid, queue in QUEUES.items():
        assert (
            queue["Properties"].get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue["Properties"]
        ), lid
    for lid in working:
        policy = QUEUES[lid]["Properties"]["RedrivePolicy"]
        assert policy["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    alarmed = {}
    for res in of_type("AWS::CloudWatch::Alarm").values():
        props = res["Properties"]
        metric = (props.get("Namespace"), props.get("MetricName"))
        if metric == ("AWS/SQS", "ApproximateNumberOfMessagesVisible"):
            (dimension,) = props["Dimensions"]
            assert dimension["Name"] == "QueueName"
            alarmed[getatt_target(dimension["Value"])] = props
    assert set(alarmed) == dlqs
    for props in alarmed.values():
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["AlarmActions"]


def test_every_log_group_has_retention_and_every_component_logs() -> None:
    groups = of_type("AWS::Logs::LogGroup")
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())
    for lid, machine in STATE_MACHINES.items():
        props = machine["Properties"]
        assert props["Type"] == "EXPRESS"
        assert props["Tracing"] == {"Enabled": True}
        assert props["Logging"]["Level"] in ("ERROR", "ALL")
        (destination,) = props["Logging"]["Destinations"]
        assert getatt_target(destination["CloudWatchLogsLogGroup"]["LogGroupArn"]) in groups, lid
    # the API's access log: stacks/shared.yaml (tests/unit/template/test_shared_stack.py)


def test_the_colour_stack_has_only_the_harness_tables() -> None:
    every = of_type("AWS::DynamoDB::Table")
    assert set(every) == {"HarnessTable", "PushesTable"}  # the shared ones: stacks/shared.yaml
    for lid, table in every.items():
        props = table["Properties"]
        assert table["Condition"] == "DeployHarness", lid
        assert "${Colour}" in props["TableName"]["Fn::Sub"], "the harness is per colour"
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_topic_is_encrypted_and_subscriptions_filter_as_the_contract_says() -> None:
    assert RESOURCES["EventsTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    subs = {lid: res["Properties"] for lid, res in of_type("AWS::SNS::Subscription").items()}
    assert all(p["RawMessageDelivery"] is True and p["Protocol"] == "sqs" for p in subs.values())
    assert "FilterPolicy" not in subs["PersisterSubscription"]
    assert subs["DistributorSubscription"]["FilterPolicy"] == {"final": ["true"], "push": ["true"]}
    assert subs["LifecycleSubscription"]["FilterPolicy"] == {"final": ["false"]}
    disclosure = subs["DisclosureSubscription"]
    assert disclosure["FilterPolicyScope"] == "MessageBody"
    assert disclosure["FilterPolicy"] == {
        "vehicle": {"country": {"Ref": "DisclosureCountries"}},
        "serviceType": {"Ref": "DisclosureServiceTypes"},
    }
    (policy,) = of_type("AWS::SQS::QueuePolicy").values()
    queues = {q["Ref"] for q in policy["Properties"]["Queues"]}
    assert queues == {getatt_target(p["Endpoint"]) for p in subs.values()}
