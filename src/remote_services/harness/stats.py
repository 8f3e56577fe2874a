"""Latency statistics of the pushes the subscription mock received (nearest-rank percentiles)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


def nearest_rank(ordered: list[int], percent: int) -> int:
    """The nearest-rank percentile of an ascending, non-empty list: the value at rank ceil(p/100 * n)."""
    n = len(ordered)
    rank = -(-percent * n // 100)  # ceil without math
    return ordered[max(1, rank) - 1]


def latency_stats(latencies: Iterable[int]) -> dict[str, int | None]:
    """{"count","p50","p90","p99","max"} of the latencies (ms); the percentiles are null for none."""
    ordered = sorted(latencies)
    if not ordered:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    return {
        "count": len(ordered),
        "p50": nearest_rank(ordered, 50),
        "p90": nearest_rank(ordered, 90),
        "p99": nearest_rank(ordered, 99),
        "max": ordered[-1],
    }
