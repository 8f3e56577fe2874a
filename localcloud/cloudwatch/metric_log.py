"""Datapoints of the local CloudWatch: written as JSON lines, read back with the EMF documents of the
function logs and the API's access log (what CloudWatch extracts from them on AWS).

    log = MetricLog(state_dir)                       # <state_dir>/metrics/
    log.put("AWS/Lambda", "Duration", {"FunctionName": "f"}, 12.5, "Milliseconds")
    log.write_context({...})                         # how the dashboard's ${...} resolve locally
    points = read_points(state_dir)                  # every Point, sorted by time
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POINTS_FILE = "points.jsonl"
CONTEXT_FILE = "context.json"


@dataclass(frozen=True)
class Point:
    """One datapoint: epoch ms, namespace, metric, dimensions, value, unit."""

    t: int
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    value: float
    unit: str = "None"


class MetricLog:
    """Writes datapoints to ``<state_dir>/metrics/points.jsonl`` (thread-safe), anew for each cloud."""

    def __init__(self, state_dir: str | Path) -> None:
        self.dir = Path(state_dir) / "metrics"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = (self.dir / POINTS_FILE).open("w", encoding="utf-8")  # one run: the last cloud's

    def put(
        self, namespace: str, name: str, dimensions: dict[str, str], value: float, unit: str = "None"
    ) -> None:
        line = json.dumps(
            {
                "t": int(time.time() * 1000),
                "ns": namespace,
                "name": name,
                "dims": dimensions,
                "v": value,
                "unit": unit,
            },
            separators=(",", ":"),
        )
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def lambda_metric(self, function_name: str, metric: str, value: float) -> None:
        """What AWS/Lambda publishes per invocation (FunctionHost.on_metric)."""
        unit = "Milliseconds" if metric in ("Duration", "InitDuration") else "Count"
        self.put("AWS/Lambda", metric, {"FunctionName": function_name}, value, unit)

    def write_context(self, context: dict[str, Any]) -> None:
        (self.dir / CONTEXT_FILE).write_text(json.dumps(context, indent=1), encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_context(state_dir: str | Path) -> dict[str, Any]:
    path = Path(state_dir) / "metrics" / CONTEXT_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no local cloud has run with this state directory (make demo, make run)"
        )
    context: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return context


def _emf_points(doc: dict[str, Any]) -> list[Point]:
    """Every metric of an EMF document under each of its dimension sets (as CloudWatch extracts it)."""
    out = []
    meta = doc["_aws"]
    for directive in meta.get("CloudWatchMetrics", []):
        for metric in directive.get("Metrics", []):
            raw = doc.get(metric["Name"])
            values = raw if isinstance(raw, list) else [raw]
            for dimension_set in directive.get("Dimensions", []):
                dims = tuple(sorted((d, str(doc[d])) for d in dimension_set if d in doc))
                out += [
                    Point(
                        int(meta["Timestamp"]),
                        directive["Namespace"],
                        metric["Name"],
                        dims,
                        float(v),
                        metric.get("Unit", "None"),
                    )
                    for v in values
                    if isinstance(v, (int, float))
                ]
    return out


def _access_log_points(line: dict[str, Any], api: tuple[tuple[str, str], ...]) -> list[Point]:
    """AWS/ApiGateway Count, 4XXError, 5XXError, Latency of one access-log entry."""
    t, status = int(line["requestTimeEpoch"]), int(line["status"])
    points = [
        Point(t, "AWS/ApiGateway", "Count", api, 1.0, "Count"),
        Point(t, "AWS/ApiGateway", "4XXError", api, float(400 <= status < 500), "Count"),
        Point(t, "AWS/ApiGateway", "5XXError", api, float(status >= 500), "Count"),
    ]
    if line.get("responseLatency") is not None:
        points.append(
            Point(t, "AWS/ApiGateway", "Latency", api, float(line["responseLatency"]), "Milliseconds")
        )
    return points


def _json_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if raw.startswith("{"):
            try:
                item = json.loads(raw)
            except ValueError:
                continue  # a function's own line that only looks like JSON
            if isinstance(item, dict):
                out.append(item)
    return out


def read_points(state_dir: str | Path, api: tuple[tuple[str, str], ...] = ()) -> list[Point]:
    """Every datapoint of a state directory, sorted by time: the metric log, the EMF lines of the
    function logs, the API access log (`api`: the ApiName/Stage dimensions to give its points)."""
    root = Path(state_dir)
    points: list[Point] = []
    log = root / "metrics" / POINTS_FILE
    if log.is_file():
        for item in _json_lines(log):
            dims = tuple(sorted((str(k), str(v)) for k, v in item["dims"].items()))
            points.append(
                Point(int(item["t"]), item["ns"], item["name"], dims, float(item["v"]), item["unit"])
            )
    for path in sorted((root / "logs").glob("*.log")):
        if path.name == "api-access.log":
            points += [
                p
                for line in _json_lines(path)
                if "requestTimeEpoch" in line
                for p in _access_log_points(line, api)
            ]
        else:
            points += [
                p for doc in _json_lines(path) if isinstance(doc.get("_aws"), dict) for p in _emf_points(doc)
            ]
    return sorted(points, key=lambda p: p.t)
