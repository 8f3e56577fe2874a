"""The suite's results: a table on stdout, JUnit XML (for CI) and a JSON report under reports/."""

from __future__ import annotations

import json
import platform
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from simulator.runner.execute import CaseResult


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    return {"p50": percentile(values, 50), "p90": percentile(values, 90), "p99": percentile(values, 99),
            "max": max(values, default=None)}


def summary(results: Sequence[CaseResult], wall_s: float) -> dict[str, Any]:
    latencies = [r.push_latency_ms for r in results if r.push_latency_ms is not None]
    e2e = [r.end_to_end_ms for r in results if r.end_to_end_ms is not None]
    failed = [r.case_id for r in results if not r.passed]
    return {
        "cases": len(results),
        "passed": len(results) - len(failed),
        "failed": len(failed),
        "failedCases": failed,
        "wallS": round(wall_s, 1),
        "casesPerMinute": round(len(results) / wall_s * 60, 1) if wall_s > 0 else None,
        "pushLatencyMs": _stats(latencies),
        "endToEndMs": _stats(e2e),
    }


def print_table(results: Sequence[CaseResult], out: TextIO) -> None:
    """One line per case: pass/fail, HTTP, final status, history, pushes, latency, and why it failed."""
    width = min(60, max((len(r.case_id) for r in results), default=10))
    out.write(f"{'case':<{width}}  res   HTTP  {'final':<30}  {'history':<35}  push  e2e ms  push ms\n")
    for r in results:
        final = f"{r.final_status or '-'}{'/' + r.failure_reason if r.failure_reason else ''}"
        history = ">".join(s[:4] for s in r.history) or "-"
        e2e = f"{r.end_to_end_ms:.0f}" if r.end_to_end_ms is not None else "-"
        push = f"{r.push_latency_ms:.0f}" if r.push_latency_ms is not None else "-"
        out.write(f"{r.case_id[:width]:<{width}}  {'ok  ' if r.passed else 'FAIL'}  {r.http_status:>4}  "
                  f"{final:<30}  {history:<35}  {r.pushes:>4}  {e2e:>6}  {push:>7}\n")
        for reason in r.reasons:
            out.write(f"{'':<{width}}    why: {reason}\n")


def write_junit(results: Sequence[CaseResult], path: Path, suite: str, wall_s: float) -> None:
    failures = sum(1 for r in results if not r.passed)
    root = ET.Element("testsuite", name=suite, tests=str(len(results)), failures=str(failures),
                      errors="0", time=f"{wall_s:.3f}", hostname=platform.node())
    for r in results:
        case = ET.SubElement(root, "testcase", classname=r.file, name=r.case_id, time=f"{r.duration_s:.3f}")
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.reasons[0][:200])
            failure.text = "\n".join(r.reasons)
        ET.SubElement(case, "system-out").text = json.dumps(r.as_json())
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_json(results: Sequence[CaseResult], path: Path, target: str, wall_s: float) -> dict[str, Any]:
    report = {
        "target": target,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "summary": summary(results, wall_s),
        "cases": [r.as_json() for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report
