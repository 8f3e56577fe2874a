"""The load test's picture: the request rate, accepted and pushed per second over time, and the
end-to-end P50/P99 and the API's P99 over time (reports/loadtest-<target>.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtest.results import SERIES_S


def plot(report: dict[str, Any], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["result"]["series"]
    ts = [r["t"] for r in rows]
    fig, (rate, latency) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    for key, label in (
        ("answeredPerS", "answered"),
        ("acceptedPerS", "accepted (202)"),
        ("pushedPerS", "pushed"),
    ):
        rate.plot(ts, [r[key] for r in rows], marker=".", label=label)
    rate.set_ylabel("commands / s")
    rate.legend(fontsize=8)
    for key, label in (("e2eP50", "end to end P50"), ("e2eP99", "end to end P99"), ("apiP99", "API 202 P99")):
        points = [(r["t"], r[key]) for r in rows if r[key] is not None]
        latency.plot([t for t, _ in points], [v for _, v in points], marker=".", label=label)
    latency.axhline(1000, color="grey", linestyle="--", linewidth=0.8, label="1 s (the seed's P99)")
    latency.set_ylabel("ms")
    latency.set_xlabel(f"s since the start ({SERIES_S} s buckets)")
    latency.legend(fontsize=8)
    result = report["result"]
    fig.suptitle(
        f"load test against {report['target']}: {result['accepted']} accepted of {result['sent']} sent, "
        f"end to end P50 {result['endToEndMs'].get('p50')} ms, P99 {result['endToEndMs'].get('p99')} ms",
        fontsize=11,
    )
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=90)
    plt.close(fig)
