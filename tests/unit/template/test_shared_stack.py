"""stacks/shared.yaml: the environment's shared stack (docs/bluegreen.md) — the persistence both colours
use, the user pool, and the API in front of the colours (its canary, its stage variable, its WAF, its
role), checked on the template as CloudFormation reads it."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.unit.template.cfn_yaml import walk
from tests.unit.template.template_model import RESOURCES, SHARED, SHARED_RESOURCES, TEMPLATE, getatt_target

SHARED_TABLES = {"EventsTable", "VehicleLockTable", "VehicleRegistryTable", "WeightsTable"}


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in SHARED_RESOURCES.items() if res["Type"] == kind}


def test_the_shared_stack_holds_the_persistence_and_the_router_only() -> None:
    kinds = {res["Type"] for res in SHARED_RESOURCES.values()}
    assert kinds == {
        "AWS::DynamoDB::Table",
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Serverless::Api",
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
    }
    assert not set(SHARED_RESOURCES) & set(RESOURCES), "a resource is in both stacks"
    assert "Colour" not in SHARED["Parameters"], "the shared stack is not per colour"


def test_tables_are_shared_encrypted_and_recoverable() -> None:
    tables = of_type("AWS::DynamoDB::Table")
    assert set(tables) == SHARED_TABLES
    for lid, table in tables.items():
        props = table["Properties"]
        assert "Condition" not in table, lid
        assert props["TableName"]["Fn::Sub"].startswith("${EnvironmentName}-"), lid
        assert "${Colour}" not in props["TableName"]["Fn::Sub"]
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for lid in ("EventsTable", "VehicleLockTable"):
        assert tables[lid]["Properties"]["TimeToLiveSpecification"] == {
            "AttributeName": "expiresAt",
            "Enabled": True,
        }
    (index,) = tables["EventsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byVin"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["vin", "firstSeenMs"]


def test_the_colour_stack_uses_the_shared_tables_by_their_names() -> None:
    names = {
        json.dumps(SHARED_RESOURCES[lid]["Properties"]["TableName"]["Fn::Sub"]).strip('"')
        for lid in ("EventsTable", "VehicleLockTable", "VehicleRegistryTable", "WeightsTable")
    }
    used = {node for _path, node in walk(TEMPLATE) if isinstance(node, str)}
    text = "\n".join(used)
    for name in names:
        assert name in text, f"template.yaml never names {name}"


def test_the_api_routes_by_a_stage_variable_that_the_canary_overrides() -> None:
    api = SHARED_RESOURCES["Api"]["Properties"]
    assert api["Variables"] == {"colour": {"Ref": "LiveColour"}}
    canary = api["CanarySetting"]
    assert canary["PercentTraffic"] == 0, "a new environment sends everything to its live colour"
    assert canary["StageVariableOverrides"] == {"colour": {"Fn::If": ["LiveIsBlue", "green", "blue"]}}
    assert SHARED["Parameters"]["LiveColour"]["AllowedValues"] == ["blue", "green"]
    body = api["DefinitionBody"]
    assert body == {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "../api/openapi.yaml"}}
    }


def test_the_api_may_start_either_colours_workflow_and_nothing_else() -> None:
    statements = SHARED_RESOURCES["ApiGatewayRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    (create,) = [s for s in statements if s["Sid"] == "CreateEvent"]
    assert create["Action"] == "states:StartSyncExecution"
    arns = [r["Fn::Sub"] for r in create["Resource"]]
    assert [re.sub(r".*stateMachine:", "", a) for a in arns] == [
        "${EnvironmentName}-blue-event-creation",
        "${EnvironmentName}-green-event-creation",
    ]
    # the colour stacks name their workflow so
    name = RESOURCES["EventCreationStateMachine"]["Properties"]["Name"]
    assert name == {"Fn::Sub": "${EnvironmentName}-${Colour}-event-creation"}


def test_the_api_logs_throttles_and_the_waf_protects_its_stage() -> None:
    api = SHARED_RESOURCES["Api"]["Properties"]
    groups = of_type("AWS::Logs::LogGroup")
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())
    assert getatt_target(api["AccessLogSetting"]["DestinationArn"]) in groups
    json.loads(re.sub(r"\s+", "", api["AccessLogSetting"]["Format"]).replace("$context", "x"))
    assert api["TracingEnabled"] is True
    (setting,) = api["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurst"}
    rules = {r["Name"]: r for r in SHARED_RESOURCES["WebAcl"]["Properties"]["Rules"]}
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        managed = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert managed == {"VendorName": "AWS", "Name": group}
        assert rules[group]["OverrideAction"] == {"None": {}}, "a managed group in count mode blocks nothing"
    priorities = [r["Priority"] for r in rules.values()]
    assert len(set(priorities)) == len(priorities)
    assert len({r["VisibilityConfig"]["MetricName"] for r in rules.values()}) == len(rules)
    assert rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == {"Ref": "WafRateLimit"}
    association = SHARED_RESOURCES["WebAclAssociation"]["Properties"]
    assert "/restapis/${Api}/stages/${Api.Stage}" in association["ResourceArn"]["Fn::Sub"]


def test_no_iam_action_is_a_wildcard() -> None:
    actions = [
        action
        for _path, node in walk(SHARED_RESOURCES)
        if isinstance(node, dict) and "Action" in node and ("Effect" in node or "Sid" in node)
        for action in (node["Action"] if isinstance(node["Action"], list) else [node["Action"]])
    ]
    assert actions and all(isinstance(a, str) and "*" not in a for a in actions)


def test_outputs() -> None:
    assert {
        "ApiUrl",
        "ApiId",
        "EventsTableName",
        "VehicleLockTableName",
        "VehicleRegistryTableName",
        "WeightsTableName",
        "UserPoolId",
        "UserPoolClientId",
        "UserPoolArn",
    } <= set(SHARED["Outputs"])


NAME_PROPERTIES = (
    "TableName",
    "QueueName",
    "TopicName",
    "FunctionName",
    "LogGroupName",
    "AlarmName",
    "DashboardName",
    "UserPoolName",
    "ClientName",
    "LayerName",
    "Name",
)


def test_every_named_resource_of_both_stacks_carries_the_environment_name() -> None:
    """Two developers' environments coexist in one account: a name without ${EnvironmentName} would
    collide (tests/functional/bluegreen/test_router_shift.py provisions two side by side)."""
    named = 0
    for resources in (SHARED_RESOURCES, RESOURCES):
        for lid, res in resources.items():
            props = res.get("Properties") or {}
            for key in NAME_PROPERTIES:
                value = props.get(key)
                if value is None:
                    continue
                text = json.dumps(value)
                named += 1
                assert "${EnvironmentName}" in text, f"{lid}.{key} = {text}"
    assert named > 40
