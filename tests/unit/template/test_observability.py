"""The dashboard and alarms of template.yaml (observability/): generated from the metric catalog
and never stale; every panel and alarm refers to a metric the code emits (with one of the catalog's
dimension sets) or one AWS publishes; the code emits exactly the catalog's metrics."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from observability.dashboard import TEMPLATE as TEMPLATE_PATH
from observability.dashboard import generated, product_resources
from observability.widgets import AWS_METRICS
from remote_services.final_metrics import emit_final
from remote_services.incoming import emit_rejected
from remote_services.obs import catalog
from remote_services.obs.metrics import Metrics
from tests.unit.template.template_model import RESOURCES, TEMPLATE, of_type

CUSTOM = catalog.NAMESPACE_PREFIX + "/${EnvironmentName}"


def dashboard_body() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    return body


def metric_rows() -> list[list[Any]]:
    return [
        row
        for widget in dashboard_body()["widgets"]
        for row in widget["properties"].get("metrics", [])
        if isinstance(row, list)
    ]


def searches() -> list[str]:
    return [
        row["expression"]
        for widget in dashboard_body()["widgets"]
        for row in widget["properties"].get("metrics", [])
        if isinstance(row, dict) and row["expression"].startswith("SEARCH(")
    ]


def check_metric(namespace: str, name: str, dimensions: set[str]) -> None:
    if namespace == CUSTOM:
        unit_and_sets = catalog.METRICS.get(name)
        assert unit_and_sets is not None, f"{name}: not in remote_services.obs.catalog"
        assert dimensions in [set(s) for s in unit_and_sets[1]], (name, dimensions)
    else:
        assert name in AWS_METRICS.get(namespace, ()), f"{namespace} {name}: not a metric AWS publishes"


def test_the_template_block_is_what_the_generator_writes() -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert generated(text, product_resources(TEMPLATE)) == text, "run: python -m observability.dashboard"


def test_every_panel_metric_is_emitted_by_the_code_or_by_aws() -> None:
    rows = metric_rows()
    assert rows
    for row in rows:
        namespace, name, *rest = row
        pairs = [x for x in rest if not isinstance(x, dict)]
        check_metric(namespace, name, set(pairs[0::2]))
    for expression in searches():
        match = re.fullmatch(r"SEARCH\('\{(.*?)\} MetricName=\"(\w+)\".*", expression)
        assert match, expression
        namespace, *dimensions = match.group(1).split(",")
        check_metric(namespace, match.group(2), set(dimensions))


def test_every_alarm_metric_is_emitted_by_the_code_or_by_aws() -> None:
    alarms = of_type("AWS::CloudWatch::Alarm")
    stats = []
    for lid, alarm in alarms.items():
        props = alarm["Properties"]
        for query in props.get("Metrics", []):
            if "MetricStat" in query:
                stats.append((lid, query["MetricStat"]["Metric"]))
        if "MetricName" in props:
            stats.append((lid, props))
    assert {"EndToEndLatencyAlarm", "TimeoutRateAlarm", "FunctionErrorsAlarm", "Api5xxAlarm"} <= set(alarms)
    for _lid, metric in stats:
        namespace = metric["Namespace"]
        namespace = namespace["Fn::Sub"] if isinstance(namespace, dict) else namespace
        check_metric(namespace, metric["MetricName"], {d["Name"] for d in metric["Dimensions"]})


def test_every_product_function_and_queue_is_on_the_dashboard() -> None:
    body = json.dumps(dashboard_body())
    res = product_resources(TEMPLATE)
    for lid in (*res.functions, *res.state_machines, *res.log_groups):
        assert "${" + lid + "}" in body, lid
    for lid in (*res.queues, *res.dead_letter_queues):
        assert "${" + lid + ".QueueName}" in body, lid
    assert "BrokerMockFunction" not in body  # the test harness is not the product


def test_the_functions_publish_in_the_environment_namespace() -> None:
    namespace = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    assert namespace == {"Fn::Sub": CUSTOM}


def emitted(emit: Any) -> dict[str, list[list[str]]]:
    out = io.StringIO()
    emit(Metrics(namespace="NS", service="", stream=out))
    found: dict[str, list[list[str]]] = {}
    for line in out.getvalue().splitlines():
        (directive,) = json.loads(line)["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]:
            found[metric["Name"]] = directive["Dimensions"]
            assert metric["Unit"] == catalog.METRICS[metric["Name"]][0]
    return found


ENVELOPE: Any = {
    "eventId": "e-1",
    "serviceType": "HORN_BLOW",
    "status": "FAILED",
    "failureReason": "TIMEOUT",
    "source": "APP",
    "colour": "blue",
    "firstSeenMs": 1000,
}


@pytest.mark.parametrize(
    "emit",
    [lambda m: emit_final(m, ENVELOPE, 1500), lambda m: emit_rejected(m, ["UNDECODABLE", "UNDECODABLE"])],
    ids=["distributor", "vehicle-decoder"],
)
def test_the_code_emits_the_catalog_metrics_with_their_dimension_sets(emit: Any) -> None:
    for name, dimension_sets in emitted(emit).items():
        assert [tuple(s) for s in dimension_sets] == list(catalog.METRICS[name][1]), name


def test_every_catalog_metric_is_emitted_somewhere() -> None:
    names = set(emitted(lambda m: emit_final(m, ENVELOPE, 1500))) | set(
        emitted(lambda m: emit_rejected(m, ["UNDECODABLE"]))
    )
    assert names == set(catalog.METRICS)
