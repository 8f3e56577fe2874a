"""The benchmark's outputs: machine description, the printed table, ``coldstart.json`` and the chart."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _nuitka_version() -> str | None:
    try:
        from nuitka.Version import getNuitkaVersion  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None
    return str(getNuitkaVersion())


def machine_info() -> dict[str, Any]:
    """Where the numbers were taken (they only compare within one machine)."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "glibc": "-".join(platform.libc_ver()),
        "arch": platform.machine(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "nuitka": _nuitka_version(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def table(functions: Mapping[str, Mapping[str, Any]]) -> str:
    """A fixed-width text table: cold-start median/p90 per variant, speed-up, warm, RSS, zip size."""
    header = (
        f"{'function':<28} {'native med/p90 ms':>18} {'cpython med/p90 ms':>19} {'x faster':>8} "
        f"{'cpy+boto3 med':>13} {'x faster':>8} {'warm nat/cpy ms':>16} {'RSS MB':>7} {'zip MB':>7} "
        f"{'imports':>14}"
    )
    lines = [header, "-" * len(header)]
    for name, row in functions.items():
        if row.get("error") and not row.get("native") and not row.get("cpython"):
            lines.append(f"{name:<28} skipped: {row['error']}")
            continue
        native, cpython, boto = (
            row.get("native") or {},
            row.get("cpython") or {},
            row.get("cpython_boto3") or {},
        )
        imports = row.get("imports") or {}
        lines.append(
            f"{name:<28} "
            f"{_fmt(native.get('median_ms')):>8} / {_fmt(native.get('p90_ms')):>7}  "
            f"{_fmt(cpython.get('median_ms')):>8} / {_fmt(cpython.get('p90_ms')):>7}  "
            f"{_fmt(row.get('speedup_vs_cpython'), 'x'):>8} "
            f"{_fmt(boto.get('median_ms')):>13} {_fmt(row.get('speedup_vs_cpython_boto3'), 'x'):>8} "
            f"{_fmt(row.get('warm_native_ms'), '', 2):>7} / {_fmt(row.get('warm_cpython_ms'), '', 2):>6} "
            f"{_fmt(row.get('max_rss_mb')):>7} "
            f"{_fmt(None if row.get('zip_bytes') is None else row['zip_bytes'] / 1e6):>7} "
            f"{_fmt(imports.get('modules')):>4} / {_fmt(imports.get('ms'), ' ms'):>7}"
        )
        for note in row.get("notes", []):
            lines.append(f"{'':<28}   note: {note}")
    return "\n".join(lines)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """Write the report (indent 2, sorted as built), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


def chart(functions: Mapping[str, Mapping[str, Any]], path: Path, title: str) -> bool:
    """Grouped bars (median, p90 whisker) per function and variant; returns False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [n for n, row in functions.items() if row.get("native") or row.get("cpython")]
    if not names:
        return False
    variants = [("native", "native (Nuitka)", "#1b7837"), ("cpython", "CPython", "#2166ac")]
    variants.append(("cpython_boto3", "CPython + boto3 clients", "#b2182b"))
    fig, (cold_ax, rss_ax) = plt.subplots(
        1, 2, figsize=(13, 0.6 * len(names) + 2.5), gridspec_kw={"width_ratios": [3, 1]}, sharey=True
    )
    height = 0.27
    for index, (key, label, colour) in enumerate(variants):
        ys, medians, errs = [], [], []
        for row_index, name in enumerate(names):
            stats = functions[name].get(key)
            if not stats:
                continue
            ys.append(row_index + (index - 1) * height)
            medians.append(stats["median_ms"])
            errs.append(max(stats["p90_ms"] - stats["median_ms"], 0))
        if ys:
            cold_ax.barh(ys, medians, height=height, color=colour, label=label, xerr=[[0] * len(errs), errs])
    values = [functions[n][k]["median_ms"] for n in names for k, _, _ in variants if functions[n].get(k)]
    if values and max(values) / max(min(values), 0.1) > 20:
        cold_ax.set_xscale("log")  # native and CPython+boto3 differ by orders of magnitude
    cold_ax.axvline(25, color="grey", linestyle="--", linewidth=1, label="target 25 ms")
    cold_ax.set_xlabel("spawn -> first response (ms): median, whisker to p90")
    cold_ax.set_yticks(range(len(names)), names)
    cold_ax.invert_yaxis()
    cold_ax.legend(loc="lower right", fontsize=8)
    cold_ax.set_title(title, fontsize=10)
    rss = [functions[n].get("max_rss_mb") or 0 for n in names]
    rss_cpy = [functions[n].get("max_rss_cpython_mb") or 0 for n in names]
    rss_ax.barh(
        [i - height / 2 for i in range(len(names))], rss, height=height, color="#1b7837", label="native"
    )
    rss_ax.barh(
        [i + height / 2 for i in range(len(names))], rss_cpy, height=height, color="#2166ac", label="CPython"
    )
    rss_ax.set_xlabel("max RSS (MB)")
    rss_ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
