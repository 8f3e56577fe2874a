"""Per-function import budget: what importing the handler's module costs under CPython.

``python -X importtime -c "import <module>"`` lists every module imported with its self and
cumulative time (µs). The interpreter's own start-up modules (those of ``-c pass``) are left out,
so the figures are the handler's closed world: module count and total self time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


@dataclass(frozen=True)
class ImportRecord:
    """One line of ``-X importtime``."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int


def parse_importtime(text: str) -> list[ImportRecord]:
    """The records of an ``-X importtime`` stderr (other lines are ignored)."""
    records = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            records.append(
                ImportRecord(
                    match.group(4), int(match.group(1)), int(match.group(2)), (len(match.group(3)) - 1) // 2
                )
            )
    return records


def budget(records: list[ImportRecord], baseline: set[str], top: int = 5) -> dict[str, object]:
    """``{"modules", "ms", "top"}`` for the records not in ``baseline`` (top: heaviest by self time)."""
    own = [r for r in records if r.module not in baseline]
    heaviest = sorted(own, key=lambda r: r.self_us, reverse=True)[:top]
    return {
        "modules": len(own),
        "ms": round(sum(r.self_us for r in own) / 1000, 2),
        "top": [
            {
                "module": r.module,
                "self_ms": round(r.self_us / 1000, 2),
                "cumulative_ms": round(r.cumulative_us / 1000, 2),
            }
            for r in heaviest
        ],
    }


def _importtime(code: str, env: Mapping[str, str], cwd: Path, python: str) -> str:
    result = subprocess.run(
        [python, "-X", "importtime", "-c", code],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"importing failed: {tail[0]}")
    return result.stderr


def measure_imports(
    module: str, env: Mapping[str, str], cwd: Path, python: str = sys.executable, repeats: int = 3
) -> dict[str, object]:
    """The import budget of ``module``: the best (least noisy) of ``repeats`` runs, bytecode cached."""
    baseline = {r.module for r in parse_importtime(_importtime("pass", env, cwd, python))}
    best: dict[str, object] | None = None
    for _ in range(max(repeats, 1) + 1):  # one more: the first run may compile bytecode (the min drops it)
        result = budget(parse_importtime(_importtime(f"import {module}", env, cwd, python)), baseline)
        if best is None or float(result["ms"]) < float(best["ms"]):  # type: ignore[arg-type]
            best = result
    assert best is not None
    return best
