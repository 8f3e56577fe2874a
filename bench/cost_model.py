"""Cost per 1 M commands: measured usage per command (bench/cost.py) times a dated price table
(bench/prices.json), for the native functions (x86_64, arm64) and the conventional alternative (the
managed Python runtime with boto3 + Powertools), with the INIT phase billed at a cold-start ratio.

    lines = cost_lines(usage, prices, variant)   # [(service, what, USD per 1 M commands)]
    compare(usage, prices, variants) -> {"variants": {...}, "directShare": ...}

`usage` (per command): apiRequests, expressExecutions, expressBilledGbS, snsPublishes, sqsRequests64k,
pipesRequests, dynamodbReadUnits, dynamodbWriteUnits, logBytes, functions: {name: {invocations,
billedMs, memoryMb, nativeInitMs, conventionalInitMs}}.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES = Path(__file__).with_name("prices.json")
MILLION = 1_000_000
XRAY_SAMPLED = 0.05  # the default sampling rule at volume: 5 % of requests (plus 1/s)


@dataclass(frozen=True)
class Variant:
    """How the functions run: architecture, memory, INIT per cold start."""

    name: str
    architecture: str  # "x86_64" | "arm64"
    conventional: bool  # the managed Python runtime with boto3 + Powertools instead of native
    memory_mb: int | None  # None: each function's own (the template's)
    cold_start_ratio: float  # the share of invocations that start an environment


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    prices: dict[str, Any] = json.loads(path.read_text())
    return prices


def lambda_lines(usage: dict[str, Any], prices: dict[str, Any], v: Variant) -> list[tuple[str, str, float]]:
    price = prices["lambda"][v.architecture]
    requests = sum(f["invocations"] for f in usage["functions"].values())
    gb_s = init_gb_s = 0.0
    for f in usage["functions"].values():
        gb = (v.memory_mb or f["memoryMb"]) / 1024
        gb_s += f["billedMs"] / 1000 * gb
        init_ms = f["conventionalInitMs"] if v.conventional else f["nativeInitMs"]
        init_gb_s += f["invocations"] * v.cold_start_ratio * init_ms / 1000 * gb
    return [
        ("Lambda", "requests", requests * price["perMillionRequests"]),
        ("Lambda", "duration (warm)", gb_s * MILLION * price["perGbSecond"]),
        ("Lambda", f"INIT ({v.cold_start_ratio:.1%} cold)", init_gb_s * MILLION * price["perGbSecond"]),
    ]


def direct_lines(usage: dict[str, Any], prices: dict[str, Any]) -> list[tuple[str, str, float]]:
    """Everything but Lambda: the same for every variant (the Lambda-free direct integrations)."""
    p = prices
    express = p["stepFunctionsExpress"]
    return [
        ("API Gateway", "REST requests", usage["apiRequests"] * p["apiGatewayRest"]["perMillionRequests"]),
        ("WAF", "requests", usage["apiRequests"] * p["waf"]["perMillionRequests"]),
        ("Step Functions", "Express requests", usage["expressExecutions"] * express["perMillionRequests"]),
        ("Step Functions", "Express duration", usage["expressBilledGbS"] * MILLION * express["perGbSecond"]),
        ("SNS", "publishes", usage["snsPublishes"] * p["sns"]["perMillionPublishes"]),
        (
            "SQS",
            "requests (64 KB chunks; idle empty receives apart)",
            usage["sqsRequests64k"] * p["sqs"]["perMillionRequests"],
        ),
        ("EventBridge Pipes", "requests", usage["pipesRequests"] * p["pipes"]["perMillionRequests"]),
        (
            "DynamoDB",
            "write request units",
            usage["dynamodbWriteUnits"] * p["dynamodbOnDemand"]["perMillionWriteUnits"],
        ),
        (
            "DynamoDB",
            "read request units",
            usage["dynamodbReadUnits"] * p["dynamodbOnDemand"]["perMillionReadUnits"],
        ),
        (
            "CloudWatch Logs",
            "ingestion",
            usage["logBytes"] / 1024**3 * MILLION * p["cloudwatchLogs"]["perGbIngested"],
        ),
        (
            "X-Ray",
            f"traces ({XRAY_SAMPLED:.0%} sampled)",
            usage["apiRequests"] * XRAY_SAMPLED * p["xray"]["perMillionTracesRecorded"],
        ),
    ]


def compare(usage: dict[str, Any], prices: dict[str, Any], variants: list[Variant]) -> dict[str, Any]:
    """Every variant's lines and total per 1 M commands, and how much of it is Lambda."""
    direct = direct_lines(usage, prices)
    direct_total = sum(c for _, _, c in direct)
    out: dict[str, Any] = {"direct": [list(line) for line in direct], "directTotal": round(direct_total, 2)}
    variants_out = {}
    for v in variants:
        lam = lambda_lines(usage, prices, v)
        lambda_total = sum(c for _, _, c in lam)
        total = direct_total + lambda_total
        variants_out[v.name] = {
            "architecture": v.architecture,
            "conventional": v.conventional,
            "memoryMb": v.memory_mb,
            "coldStartRatio": v.cold_start_ratio,
            "lambda": [list(line) for line in lam],
            "lambdaTotal": round(lambda_total, 2),
            "total": round(total, 2),
            "lambdaShare": round(lambda_total / total, 3) if total else 0.0,
        }
    out["variants"] = variants_out
    return out


def fixed_monthly(
    templates: Sequence[dict[str, Any]], prices: dict[str, Any], custom_metrics: int
) -> list[list[Any]]:
    """What one environment with one colour (stacks/shared.yaml + template.yaml) costs a month whatever
    it carries, from its templates' resources (the test harness's left out): [service, what, count, USD]."""
    resources = [
        r for t in templates for r in t["Resources"].values() if r.get("Condition") != "DeployHarness"
    ]

    def of_type(*types: str) -> list[dict[str, Any]]:
        return [r for r in resources if r["Type"] in types]

    alarms = of_type("AWS::CloudWatch::Alarm")
    alarm_metrics = sum(max(1, len(r["Properties"].get("Metrics", [])) - 1) for r in alarms)  # math: m1..mN
    rules = sum(len(r["Properties"].get("Rules", [])) for r in of_type("AWS::WAFv2::WebACL"))
    acls = len(of_type("AWS::WAFv2::WebACL"))
    polled = sum(
        1
        for r in of_type("AWS::Serverless::Function")
        for e in (r["Properties"].get("Events") or {}).values()
        if e.get("Type") == "SQS"
    ) + len(of_type("AWS::Pipes::Pipe"))
    cw, waf, idle = prices["cloudwatch"], prices["waf"], prices["sqsIdlePolling"]
    lines = [
        ["WAF", "web ACL", acls, acls * waf["perWebAclMonth"]],
        ["WAF", "rules", rules, rules * waf["perRuleMonth"]],
        [
            "CloudWatch",
            "dashboard",
            len(of_type("AWS::CloudWatch::Dashboard")),
            len(of_type("AWS::CloudWatch::Dashboard")) * cw["perDashboardMonth"],
        ],
        ["CloudWatch", "alarm metrics", alarm_metrics, alarm_metrics * cw["perAlarmMetricMonth"]],
        [
            "CloudWatch",
            "custom metrics (EMF streams)",
            custom_metrics,
            custom_metrics * cw["perCustomMetricMonth"],
        ],
        [
            "SQS",
            "idle polling of the polled queues",
            polled,
            polled * idle["requestsPerQueueMonth"] / MILLION * prices["sqs"]["perMillionRequests"],
        ],
    ]
    return [[service, what, count, round(usd, 2)] for service, what, count, usd in lines]
