"""The benchmark's statistics: nearest-rank percentiles, summaries, ratios."""

from __future__ import annotations

import pytest

from bench.coldstart_imports import budget, parse_importtime
from bench.coldstart_stats import percentile, ratio, summarize


def test_percentile_is_nearest_rank() -> None:
    samples = [float(x) for x in range(1, 11)]  # 1..10
    assert percentile(samples, 90) == 9.0
    assert percentile(samples, 50) == 5.0
    assert percentile(samples, 100) == 10.0
    assert percentile([7.0], 90) == 7.0
    assert percentile([3.0, 1.0, 2.0], 90) == 3.0  # order of input does not matter


def test_percentile_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 90)
    with pytest.raises(ValueError, match="percentile"):
        percentile([1.0], 0)


def test_summary() -> None:
    summary = summarize([12.0, 10.0, 30.0, 11.0, 13.0])
    assert summary == {"n": 5, "min_ms": 10.0, "median_ms": 12.0, "p90_ms": 30.0, "max_ms": 30.0}
    assert summarize([1.0, 2.0])["median_ms"] == 1.5
    with pytest.raises(ValueError):
        summarize([])


def test_ratio() -> None:
    assert ratio(10.0, 40.0) == 0.25
    assert ratio(40.0, 10.0) == 4.0
    assert ratio(None, 1.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None


IMPORTTIME = """import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:       900 |       1020 | site
import time:       300 |        300 |     _json
import time:       500 |        800 |   json
import time:      2000 |       2000 |       http.client
import time:       700 |       2700 |   remote_services.aws
import time:      1000 |       4500 | functions.persister.app
Traceback lines and other output are ignored
"""


def test_import_budget_leaves_out_the_interpreter_start_up() -> None:
    records = parse_importtime(IMPORTTIME)
    assert [r.module for r in records][:2] == ["_io", "site"]
    assert records[4].depth == 3
    result = budget(records, baseline={"_io", "site"}, top=2)
    assert result["modules"] == 5
    assert result["ms"] == 4.5
    assert result["top"] == [
        {"module": "http.client", "self_ms": 2.0, "cumulative_ms": 2.0},
        {"module": "functions.persister.app", "self_ms": 1.0, "cumulative_ms": 4.5},
    ]
