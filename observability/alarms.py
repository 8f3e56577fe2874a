"""The alarms that mean something (template YAML, wired to AlarmTopic): end-to-end P99 above 1 s,
the TIMEOUT rate above 5 % (of at least 20 final commands in 5 minutes), any function error or
throttle, any failed or timed-out workflow execution, API 5xx. The dead-letter queues keep their own
alarms (any message). The canary shift reads them by name: ``<env>-<colour>-<what>``.
"""

from __future__ import annotations

from observability.widgets import API, COLOUR, NAMESPACE, Resources
from remote_services.obs import catalog

P99_THRESHOLD_MS = 1000
TIMEOUT_RATE_PERCENT = 5
TIMEOUT_RATE_MIN_COMMANDS = 20


def _alarm(logical_id: str, name: str, description: str, body: str) -> str:
    return (
        f"  {logical_id}:\n"
        "    Type: AWS::CloudWatch::Alarm\n"
        "    Properties:\n"
        f'      AlarmName: !Sub "${{EnvironmentName}}-${{Colour}}-{name}"\n'
        f"      AlarmDescription: {description}\n"
        "      AlarmActions:\n"
        "        - !Ref AlarmTopic\n"
        "      TreatMissingData: notBreaching\n"
        f"{body}"
    )


def _metric(
    mid: str, namespace: str, metric: str, dims: list[tuple[str, str]], stat: str, period: int
) -> str:
    dimensions = "".join(
        f'                - Name: {n}\n                  Value: !Sub "{v}"\n' for n, v in dims
    )
    return (
        f"        - Id: {mid}\n"
        "          ReturnData: false\n"
        "          MetricStat:\n"
        f"            Stat: {stat}\n"
        f"            Period: {period}\n"
        "            Metric:\n"
        f'              Namespace: !Sub "{namespace}"\n'
        f"              MetricName: {metric}\n"
        "              Dimensions:\n"
        f"{dimensions}"
    )


def _sum_of(ids_metrics: list[str], expression: str, label: str, threshold: float, periods: int = 1) -> str:
    return (
        "      ComparisonOperator: GreaterThanThreshold\n"
        f"      Threshold: {threshold}\n"
        f"      EvaluationPeriods: {periods}\n"
        "      Metrics:\n"
        "        - Id: e1\n"
        f"          Label: {label}\n"
        f"          Expression: {expression}\n"
        "          ReturnData: true\n" + "".join(ids_metrics)
    )


def alarms_yaml(res: Resources) -> str:
    """Every alarm's YAML (two-space indented resources)."""
    colour = [("Colour", COLOUR)]
    latency = _alarm(
        "EndToEndLatencyAlarm",
        "end-to-end-p99-above-1s",
        f"End-to-end latency P99 above {P99_THRESHOLD_MS} ms in 3 of 5 minutes (the seed's promise).",
        '      Namespace: !Sub "' + NAMESPACE + '"\n'
        f"      MetricName: {catalog.END_TO_END_LATENCY}\n"
        "      Dimensions:\n"
        f'        - Name: Colour\n          Value: !Sub "{COLOUR}"\n'
        "      ExtendedStatistic: p99\n"
        "      Period: 60\n"
        "      EvaluationPeriods: 5\n"
        "      DatapointsToAlarm: 3\n"
        f"      Threshold: {P99_THRESHOLD_MS}\n"
        "      ComparisonOperator: GreaterThanThreshold\n",
    )
    final = _metric("m1", NAMESPACE, catalog.COMMANDS_FINAL, colour, "Sum", 300)
    timed_out = _metric("m2", NAMESPACE, catalog.COMMANDS_TIMED_OUT, colour, "Sum", 300)
    timeouts = _alarm(
        "TimeoutRateAlarm",
        "timeout-rate-high",
        f"More than {TIMEOUT_RATE_PERCENT} % of the final commands in 5 minutes FAILED with TIMEOUT "
        f"(counted from {TIMEOUT_RATE_MIN_COMMANDS} commands).",
        _sum_of(
            [final, timed_out],
            f'"IF(m1 >= {TIMEOUT_RATE_MIN_COMMANDS}, 100 * m2 / m1, 0)"',
            "TIMEOUT %",
            TIMEOUT_RATE_PERCENT,
        ),
    )

    def per_function(metric: str) -> list[str]:
        return [
            _metric(f"f{i}", "AWS/Lambda", metric, [("FunctionName", f"${{{fn}}}")], "Sum", 60)
            for i, fn in enumerate(res.functions)
        ]

    errors = _alarm(
        "FunctionErrorsAlarm",
        "function-errors",
        "A product function failed (AWS/Lambda Errors of every function, summed).",
        _sum_of(per_function("Errors"), "SUM(METRICS())", "errors", 0),
    )
    throttles = _alarm(
        "FunctionThrottlesAlarm",
        "function-throttles",
        "A product function was throttled (AWS/Lambda Throttles of every function, summed).",
        _sum_of(per_function("Throttles"), "SUM(METRICS())", "throttles", 0),
    )
    executions = [
        _metric(f"s{i}{j}", "AWS/States", metric, [("StateMachineArn", f"${{{sm}}}")], "Sum", 60)
        for i, sm in enumerate(res.state_machines)
        for j, metric in enumerate(("ExecutionsFailed", "ExecutionsTimedOut"))
    ]
    workflows = _alarm(
        "WorkflowFailuresAlarm",
        "workflow-failures",
        "A Step Functions Express execution failed or timed out.",
        _sum_of(executions, "SUM(METRICS())", "failed executions", 0),
    )
    api_dims = [(API[0], API[1]), (API[2], API[3])]
    api_5xx = _alarm(
        "Api5xxAlarm",
        "api-5xx",
        "The REST API answered 5xx more than 5 times in 5 minutes.",
        _sum_of([_metric("m1", "AWS/ApiGateway", "5XXError", api_dims, "Sum", 300)], "m1", "5xx", 5),
    )
    return "".join((latency, timeouts, errors, throttles, workflows, api_5xx))
