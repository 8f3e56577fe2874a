"""The cost model (bench/cost_model.py): usage per command times the dated price table."""

from __future__ import annotations

from typing import Any

import pytest

from bench.cost_model import Variant, compare, fixed_monthly, load_prices
from tests.unit.template.template_model import SHARED, TEMPLATE

USAGE: dict[str, Any] = {
    "apiRequests": 1.0,
    "expressExecutions": 3.0,
    "expressBilledGbS": 0.0125,  # 2 x 100 ms at 64 MB
    "snsPublishes": 4.0,
    "sqsRequests64k": 10.0,
    "pipesRequests": 2.0,
    "dynamodbReadUnits": 2.0,
    "dynamodbWriteUnits": 8.0,
    "logBytes": 1024.0,
    "functions": {
        "F": {
            "invocations": 2.0,
            "billedMs": 100.0,
            "memoryMb": 128,
            "nativeInitMs": 15.0,
            "conventionalInitMs": 400.0,
        }
    },
}


def test_per_million_commands() -> None:
    prices = load_prices()
    native = Variant("native", "x86_64", False, None, 0.01)
    python = Variant("python", "x86_64", True, 256, 0.01)
    out = compare(USAGE, prices, [native, python])
    direct = {(s, w.split(" (")[0]): usd for s, w, usd in out["direct"]}
    assert direct[("API Gateway", "REST requests")] == pytest.approx(3.50)
    assert direct[("DynamoDB", "write request units")] == pytest.approx(8 * 0.625)
    assert direct[("Step Functions", "Express requests")] == pytest.approx(3.0)
    lam = {w: usd for _, w, usd in out["variants"]["native"]["lambda"]}
    assert lam["requests"] == pytest.approx(2 * 0.20)
    assert lam["duration (warm)"] == pytest.approx(0.1 * 0.125 * 1e6 * 0.0000166667)
    conventional = {w: usd for _, w, usd in out["variants"]["python"]["lambda"]}
    assert conventional["duration (warm)"] == pytest.approx(2 * lam["duration (warm)"])  # 256 MB
    init = "INIT (1.0% cold)"
    assert conventional[init] / lam[init] == pytest.approx(400 / 15 * 2)
    total = out["variants"]["native"]
    assert total["total"] == pytest.approx(out["directTotal"] + total["lambdaTotal"], abs=0.01)


def test_fixed_costs_come_from_the_template() -> None:
    fixed = {(s, w): (n, usd) for s, w, n, usd in fixed_monthly([SHARED, TEMPLATE], load_prices(), 10)}
    assert fixed[("WAF", "web ACL")] == (1, 5.0)
    assert fixed[("CloudWatch", "dashboard")] == (1, 3.0)
    assert fixed[("CloudWatch", "custom metrics (EMF streams)")] == (10, 3.0)
    polled, _ = fixed[("SQS", "idle polling of the polled queues")]
    assert polled == 7  # six SQS event sources and the pipe; the harness relay is not the product
