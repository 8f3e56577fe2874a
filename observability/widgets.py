"""The dashboard's widgets (CloudWatch dashboard body JSON, with ``${...}`` for the template's Fn::Sub):
one builder per panel, from the metric catalog and the template's functions, queues and workflows.

    Resources(functions, log_groups, queues, dead_letter_queues, state_machines)  # logical ids
    widgets(resources) -> [widget, ...]

AWS metrics used (what AWS emits): AWS/Lambda Errors, Throttles, Duration; AWS/SQS
ApproximateNumberOfMessagesVisible, ApproximateAgeOfOldestMessage; AWS/States ExecutionsFailed,
ExecutionsTimedOut, ExecutionTime; AWS/ApiGateway Count, 4XXError, 5XXError, Latency. Cold starts
are not a CloudWatch metric: a Logs Insights panel counts the platform reports with an init duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from remote_services.obs import catalog

NAMESPACE = catalog.NAMESPACE_PREFIX + "/${EnvironmentName}"
COLOUR = "${Colour}"
# the shared API (stacks/shared.yaml), in front of both colours: its panels show all the traffic
API = ("ApiName", "${EnvironmentName}-remote-services", "Stage", "live")
PERIOD = 60
WIDTH, HEIGHT = 12, 6

AWS_METRICS: dict[str, tuple[str, ...]] = {  # what AWS publishes, by namespace (the test checks against it)
    "AWS/Lambda": ("Errors", "Throttles", "Duration", "Invocations", "ConcurrentExecutions"),
    "AWS/SQS": (
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "NumberOfMessagesSent",
    ),
    "AWS/States": ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionTime", "ExecutionsStarted"),
    "AWS/ApiGateway": ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"),
}


@dataclass(frozen=True)
class Resources:
    """Logical ids of the template's product resources the dashboard shows."""

    functions: tuple[str, ...]
    log_groups: tuple[str, ...]
    queues: tuple[str, ...]
    dead_letter_queues: tuple[str, ...]
    state_machines: tuple[str, ...]


def _metric_widget(title: str, metrics: list[Any], stat: str = "Sum", **props: Any) -> dict[str, Any]:
    properties = {
        "title": title,
        "view": "timeSeries",
        "region": "${AWS::Region}",
        "stat": stat,
        "period": PERIOD,
        "metrics": metrics,
        **props,
    }
    return {"type": "metric", "width": WIDTH, "height": HEIGHT, "properties": properties}


def _search(metric: str, dimensions: tuple[str, ...], stat: str) -> str:
    """A SEARCH expression over one of the catalog's dimension sets (this colour's, if it has one)."""
    schema = ",".join((NAMESPACE, *dimensions))
    colour = f' Colour="{COLOUR}"' if "Colour" in dimensions else ""
    return f"SEARCH('{{{schema}}} MetricName=\"{metric}\"{colour}', '{stat}', {PERIOD})"


def latency() -> list[dict[str, Any]]:
    name = catalog.END_TO_END_LATENCY
    percentiles = [
        [NAMESPACE, name, "Colour", COLOUR, {"stat": stat, "label": label}]
        for stat, label in (("p50", "P50"), ("p90", "P90"), ("p99", "P99"), ("Maximum", "max"))
    ]
    by_type = [{"expression": _search(name, ("Colour", "ServiceType"), "p99"), "id": "e1", "label": ""}]
    one_second = {"horizontal": [{"label": "1 s", "value": 1000}]}
    return [
        _metric_widget("End-to-end latency (ms): P50, P90, P99, max", percentiles, annotations=one_second),
        _metric_widget("End-to-end latency P99 (ms) by service type", by_type, annotations=one_second),
    ]


def commands() -> list[dict[str, Any]]:
    by_status = [
        {"expression": _search(catalog.COMMANDS_FINAL, ("Colour", "Reason", "Status"), "Sum"), "id": "e1"}
    ]
    timeout_rate = [
        {"expression": "IF(m1 > 0, 100 * m2 / m1, 0)", "id": "e1", "label": "TIMEOUT %"},
        [NAMESPACE, catalog.COMMANDS_FINAL, "Colour", COLOUR, {"id": "m1", "visible": False}],
        [NAMESPACE, catalog.COMMANDS_TIMED_OUT, "Colour", COLOUR, {"id": "m2", "visible": False}],
    ]
    rejected = [{"expression": _search(catalog.VEHICLE_REPORTS_REJECTED, ("Reason",), "Sum"), "id": "e1"}]
    return [
        _metric_widget("Commands per minute by final status and reason", by_status),
        _metric_widget("TIMEOUT rate (% of final commands)", timeout_rate),
        _metric_widget("Vehicle reports rejected (undecodable) per minute", rejected),
    ]


def api() -> list[dict[str, Any]]:
    counts = [["AWS/ApiGateway", m, *API] for m in ("Count", "4XXError", "5XXError")]
    latencies = [["AWS/ApiGateway", "Latency", *API, {"stat": s}] for s in ("p50", "p99")]
    return [
        _metric_widget("API requests, 4xx, 5xx per minute", counts),
        _metric_widget("API latency (ms)", latencies, stat="p50"),
    ]


def workflows(res: Resources) -> list[dict[str, Any]]:
    arns = [f"${{{sm}}}" for sm in res.state_machines]
    failures = [
        ["AWS/States", m, "StateMachineArn", arn]
        for arn in arns
        for m in ("ExecutionsFailed", "ExecutionsTimedOut")
    ]
    duration = [["AWS/States", "ExecutionTime", "StateMachineArn", arn, {"stat": "p99"}] for arn in arns]
    return [
        _metric_widget("Step Functions Express: failed and timed-out executions", failures),
        _metric_widget("Step Functions Express: execution time P99 (ms)", duration, stat="p99"),
    ]


def functions(res: Resources) -> list[dict[str, Any]]:
    def per_function(metric: str, stat: str) -> list[list[Any]]:
        return [["AWS/Lambda", metric, "FunctionName", f"${{{fn}}}", {"stat": stat}] for fn in res.functions]

    sources = " | ".join(f"SOURCE '${{{lg}}}'" for lg in res.log_groups)
    query = (
        f'{sources} | filter type = "platform.report" and ispresent(record.metrics.initDurationMs)'
        " | stats count(*) as coldStarts, pct(record.metrics.initDurationMs, 99) as initP99Ms by bin(1m)"
    )
    cold_starts = {
        "type": "log",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": "Cold starts per minute and init duration P99 (ms)",
            "region": "${AWS::Region}",
            "query": query,
            "view": "timeSeries",
        },
    }
    return [
        _metric_widget("Function errors per minute", per_function("Errors", "Sum")),
        _metric_widget("Function throttles per minute", per_function("Throttles", "Sum")),
        _metric_widget("Function duration P99 (ms)", per_function("Duration", "p99"), stat="p99"),
        cold_starts,
    ]


def queues(res: Resources) -> list[dict[str, Any]]:
    """Depth and oldest age of the working queues, then of the dead-letter queues."""
    visible, age = "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"
    panels = (
        (res.queues, visible, "Queue depth (visible messages)"),
        (res.queues, age, "Age of the oldest message (s)"),
        (res.dead_letter_queues, visible, "Dead-letter queues: messages"),
        (res.dead_letter_queues, age, "Dead-letter queues: age of the oldest message (s)"),
    )
    return [
        _metric_widget(
            title,
            [["AWS/SQS", metric, "QueueName", f"${{{q}.QueueName}}", {"stat": "Maximum"}] for q in ids],
            stat="Maximum",
        )
        for ids, metric, title in panels
    ]


def widgets(res: Resources) -> list[dict[str, Any]]:
    """Every panel, laid out two per row."""
    out = [*latency(), *commands(), *api(), *workflows(res), *functions(res), *queues(res)]
    for i, widget in enumerate(out):
        widget["x"], widget["y"] = (i % 2) * WIDTH, (i // 2) * HEIGHT
    return out
