"""The blue/green demo's picture (reports/bluegreen-demo.png): green's weight over time, as the shift
set it, against the share of the customers' commands green actually created (10 s windows), and
every customer command at the time it was sent, by the colour that created it and how it ended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WINDOW_S = 10.0


def plot(report: dict[str, Any], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    commands = [c for c in report["customers"] if c.get("colour")]
    marks = report["weightChanges"]
    start = min([m["ms"] for m in marks] + [c["sent_ms"] for c in commands]) if marks or commands else 0

    def s(ms: float) -> float:
        return (ms - start) / 1000.0

    end = max([s(c["sent_ms"]) for c in commands] + [s(m["ms"]) for m in marks] + [0.0])
    fig, (share, points) = plt.subplots(2, 1, figsize=(11, 6), sharex=True, height_ratios=[3, 2])
    xs: list[float] = []
    ys: list[float] = []
    for mark in marks:
        if xs:
            xs.append(s(mark["ms"]))
            ys.append(ys[-1])
        xs.append(s(mark["ms"]))
        ys.append(mark["weights"]["green"])
    xs.append(end)
    ys.append(ys[-1] if ys else 0)
    share.plot(xs, ys, color="tab:green", linewidth=2, label="green's weight (the router)")
    windows: dict[int, list[str]] = {}
    for c in commands:
        windows.setdefault(int(s(c["sent_ms"]) // WINDOW_S), []).append(c["colour"])
    observed = sorted(windows.items())
    share.plot(
        [(w + 0.5) * WINDOW_S for w, _ in observed],
        [100.0 * cs.count("green") / len(cs) for _, cs in observed],
        "o--", color="tab:olive", label=f"green's share of the commands ({WINDOW_S:g} s windows)",
    )  # fmt: skip
    share.set_ylabel("% to green")
    share.set_ylim(-5, 105)
    share.legend(fontsize=8, loc="upper left")
    for colour, y in (("blue", 0), ("green", 1)):
        mine = [c for c in commands if c["colour"] == colour]
        ok = [s(c["sent_ms"]) for c in mine if c.get("final") == "EXECUTED"]
        failed = [s(c["sent_ms"]) for c in mine if c.get("final") != "EXECUTED"]
        points.scatter(
            ok, [y] * len(ok), color=f"tab:{colour}", marker="|", s=300, label=f"{colour}: EXECUTED"
        )
        points.scatter(
            failed,
            [y] * len(failed),
            color="tab:red",
            marker="x",
            label=f"{colour}: FAILED" if failed else None,
        )
    points.set_yticks([0, 1], ["blue", "green"])
    points.set_ylim(-0.6, 1.6)
    points.set_xlabel("s since the first command")
    points.legend(fontsize=8, loc="upper left", ncol=2)
    passed = sum(1 for c in report["checks"] if c["passed"])
    fig.suptitle(
        f"blue/green demo: {len(commands)} customer commands, each on the colour that created it; "
        f"{passed}/{len(report['checks'])} checks passed",
        fontsize=11,
    )
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=90)
    plt.close(fig)
