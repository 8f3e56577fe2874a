"""The template's dashboard, rendered from the local cloud's datapoints (`metric_log`): the same
widgets (DashboardBody of the built template, its ${...} resolved to the local names), each metric
row, SEARCH expression and metric-math expression evaluated as CloudWatch would, per period.

    python -m localcloud dashboard          # reports/dashboard.png + reports/dashboard.json

Locally the period is 10 s (a demo lasts a minute or two; the template's panels use 60 s). What has
no local source says so on its panel (AWS/States: moto runs the workflows and keeps no metrics).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from localcloud.cloudwatch.metric_log import Point, read_context, read_points
from localcloud.provision.template import load_template

LOCAL_PERIOD_S = 10
NO_LOCAL_SOURCE = {"AWS/States": "moto runs the workflows and keeps no execution metrics"}
Series = dict[str, Any]  # {"label", "id", "visible", "points": [[t_ms, value], ...]}


def resolve_body(body: str, context: dict[str, Any]) -> dict[str, Any]:
    """The DashboardBody's Fn::Sub with the local parameters, region and physical names."""

    def value(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref == "AWS::Region":
            return str(context["region"])
        if ref in context["parameters"]:
            return str(context["parameters"][ref])
        if "." in ref:
            lid, attribute = ref.split(".", 1)
            return str(context["attributes"][lid][attribute])
        return str(context["physical"][ref])

    resolved: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", value, body))
    return resolved


def statistic(stat: str, values: list[float]) -> float:
    if stat == "Sum":
        return sum(values)
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "SampleCount":
        return float(len(values))
    if re.fullmatch(r"p\d+(\.\d+)?", stat):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(float(stat[1:]) / 100 * len(ordered)) - 1))]
    raise ValueError(f"statistic {stat!r} is not supported locally")


def binned(points: Iterable[Point], stat: str, start_ms: int) -> list[list[float]]:
    bins: dict[int, list[float]] = defaultdict(list)
    for p in points:
        bins[(p.t - start_ms) // (LOCAL_PERIOD_S * 1000)].append(p.value)
    return [[start_ms + k * LOCAL_PERIOD_S * 1000, statistic(stat, v)] for k, v in sorted(bins.items())]


class Evaluator:
    """Evaluates one widget's metric rows over the datapoints."""

    def __init__(self, points: list[Point], start_ms: int) -> None:
        self.points, self.start_ms = points, start_ms

    def row(self, row: list[Any], stat: str, named: bool) -> Series:
        """One metric row; its label (unless given) the last dimension's value (`named`: with the metric
        name and the statistic, when the widget shows several metrics)."""
        options = row[-1] if isinstance(row[-1], dict) else {}
        namespace, name, *rest = [x for x in row if not isinstance(x, dict)]
        pairs = list(zip(rest[0::2], rest[1::2], strict=True))
        dims = tuple(sorted(pairs))
        matching = [p for p in self.points if (p.namespace, p.name, p.dimensions) == (namespace, name, dims)]
        use = options.get("stat", stat)
        last = pairs[-1][1] if pairs else name
        return {
            "id": options.get("id"),
            "label": options.get("label") or (f"{name} {use}" if named else last),
            "visible": options.get("visible", True),
            "points": binned(matching, use, self.start_ms),
            "namespace": namespace,
        }

    def search(self, expression: str) -> list[Series]:
        match = re.fullmatch(r"SEARCH\('\{(.*?)\} MetricName=\"(\w+)\"(.*)', '(\w+)', \d+\)", expression)
        if match is None:
            raise ValueError(f"not a SEARCH expression this renderer reads: {expression}")
        namespace, *names = match.group(1).split(",")
        filters = dict(re.findall(r'(\w+)="([^"]*)"', match.group(3)))
        groups: dict[tuple[tuple[str, str], ...], list[Point]] = defaultdict(list)
        for p in self.points:
            keys = dict(p.dimensions)
            wanted = (p.namespace, p.name) == (namespace, match.group(2)) and set(keys) == set(names)
            if wanted and all(keys.get(k) == v for k, v in filters.items()):
                groups[p.dimensions].append(p)
        return [
            {
                "id": None,
                "label": " ".join(v for k, v in dims if k not in filters),
                "visible": True,
                "points": binned(ps, match.group(4), self.start_ms),
                "namespace": namespace,
            }
            for dims, ps in sorted(groups.items())
        ]

    @staticmethod
    def math(expression: str, label: str, by_id: dict[str, Series]) -> Series:
        """Metric math over the ids (the template uses IF and + - * /), per period of any input."""
        code = compile(re.sub(r"\bIF\(", "_if(", expression), "<metric math>", "eval")
        names = {"_if": lambda c, a, b: a if c else b, "__builtins__": {}}
        series = {k: dict((int(t), v) for t, v in s["points"]) for k, s in by_id.items()}
        stamps = sorted({t for s in series.values() for t in s})
        points = [
            [t, float(eval(code, names, {k: s.get(t, 0.0) for k, s in series.items()}))] for t in stamps
        ]
        return {"id": None, "label": label, "visible": True, "points": points, "namespace": "math"}

    def widget(self, widget: dict[str, Any]) -> list[Series]:
        props = widget["properties"]
        if widget["type"] == "log":  # the cold-start panel: the platform reports with an init duration
            inits = [p for p in self.points if (p.namespace, p.name) == ("AWS/Lambda", "InitDuration")]
            return [
                {
                    "id": None,
                    "label": "cold starts",
                    "visible": True,
                    "points": binned(inits, "SampleCount", self.start_ms),
                    "namespace": "AWS/Lambda",
                },
                {
                    "id": None,
                    "label": "init P99 ms",
                    "visible": True,
                    "points": binned(inits, "p99", self.start_ms),
                    "namespace": "AWS/Lambda",
                },
            ]
        out: list[Series] = []
        maths = []
        rows = props.get("metrics", [])
        metric_rows = [row for row in rows if isinstance(row, list)]
        plain = {tuple(x for x in row if not isinstance(x, dict)) for row in metric_rows}
        named = len({row[1] for row in metric_rows}) > 1 or len(plain) < len(metric_rows)  # stats differ
        for row in rows:
            if isinstance(row, list):
                out.append(self.row(row, props.get("stat", "Average"), named))
            elif row["expression"].startswith("SEARCH("):
                out += self.search(row["expression"])
            else:
                maths.append(row)
        by_id = {s["id"]: s for s in out if s["id"]}
        out += [self.math(m["expression"], m.get("label", m["id"]), by_id) for m in maths]
        return [s for s in out if s["visible"]]


def evaluate(state_dir: str | Path) -> dict[str, Any]:
    """Every widget of the built template's dashboard with its series over the last run's data."""
    context = read_context(state_dir)
    template = load_template(context["template"])
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = resolve_body(body, context)["widgets"]
    api = tuple(sorted((str(k), str(v)) for k, v in context["apiDimensions"]))
    points = [p for p in read_points(state_dir, api) if p.t >= int(context["startedMs"])]
    evaluator = Evaluator(points, int(context["startedMs"]))
    panels = []
    for widget in widgets:
        series = evaluator.widget(widget)
        namespaces = {row[0] for row in widget["properties"].get("metrics", []) if isinstance(row, list)}
        empty = next((NO_LOCAL_SOURCE[n] for n in namespaces if n in NO_LOCAL_SOURCE), "no data in this run")
        panels.append(
            {
                "title": widget["properties"]["title"],
                "series": series,
                "note": "" if any(s["points"] for s in series) else empty,
            }
        )
    params = context["parameters"]
    return {
        "dashboard": f"{params.get('EnvironmentName', '')}-{params.get('Colour', '')}-remote-services",
        "periodS": LOCAL_PERIOD_S,
        "startedMs": context["startedMs"],
        "points": len(points),
        "panels": panels,
    }


def plot(result: dict[str, Any], png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = result["panels"]
    rows = math.ceil(len(panels) / 2)
    fig, axes = plt.subplots(rows, 2, figsize=(16, 3.2 * rows), squeeze=False)
    t0 = int(result["startedMs"])
    for ax, panel in zip(axes.flat, panels, strict=False):
        ax.set_title(panel["title"], fontsize=10)
        for s in panel["series"]:
            if s["points"]:
                xs = [(t - t0) / 1000 for t, _v in s["points"]]
                ax.plot(xs, [v for _t, v in s["points"]], marker=".", label=s["label"][:40])
        if panel["note"]:
            ax.text(0.5, 0.5, panel["note"], ha="center", va="center", transform=ax.transAxes, color="grey")
        elif len(panel["series"]) <= 12:
            ax.legend(fontsize=7, loc="upper left")
        ax.set_xlabel("s since the local cloud started", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=80)
    plt.close(fig)


def render(
    state_dir: str | Path, png: Path, out_json: Path, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """evaluate + plot + the JSON beside it."""
    result = evaluate(state_dir)
    title = f"{result['dashboard']}, local cloud ({result['points']} datapoints, {LOCAL_PERIOD_S} s periods)"
    plot(result, png, title)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    filled = sum(1 for p in result["panels"] if not p["note"])
    progress(f"wrote {png} and {out_json}: {filled} of {len(result['panels'])} panels with data")
    return result
