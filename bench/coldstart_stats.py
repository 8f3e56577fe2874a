"""Summary statistics of the benchmark: min / median / p90 (nearest rank) and ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (a value that was really measured); ``ValueError`` when empty."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(samples)
    rank = math.ceil(pct / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summarize(samples: Sequence[float]) -> dict[str, float | int]:
    """``{"n", "min_ms", "median_ms", "p90_ms", "max_ms"}`` rounded to 0.01 ms."""
    if not samples:
        raise ValueError("no samples")
    return {
        "n": len(samples),
        "min_ms": round(min(samples), 2),
        "median_ms": round(statistics.median(samples), 2),
        "p90_ms": round(percentile(samples, 90), 2),
        "max_ms": round(max(samples), 2),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` rounded to 3 digits, or None when either is missing or zero."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 3)
