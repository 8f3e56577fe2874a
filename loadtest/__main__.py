"""`python -m loadtest`: the seed's load profile with Artillery, end to end from the pushes.

    python -m loadtest                                   # the local cloud, scaled (make loadtest-local)
    python -m loadtest --stack alice-blue --region eu-central-1 --token-cmd './token.sh {owner}'
                                                         # a deployed stack, unscaled (make loadtest)

Writes reports/loadtest-<target>.json (phases, sent, accepted, final states, errors by kind, end
to end and API percentiles, a series per 10 s) and reports/loadtest-<target>.png. Exit status: 0
when Artillery's checks passed and no request failed, 1 otherwise, 2 for a setup error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from loadtest.plot import plot
from loadtest.profile import ProfileError
from loadtest.run import LoadOptions, run_load
from simulator.fleet import DEFAULT_FLEET, load_fleet
from simulator.runner.local_cloud import RUNNING, target_from_args
from simulator.runner.targets import TargetError

ROOT = Path(__file__).resolve().parents[1]
# What one machine of this kind carries (docs/local-cloud.md, the benchmark): 100/s -> 3/s; the
# 3-hour plateau -> 9 minutes, the ramps in proportion.
LOCAL_RATE_SCALE = 0.05
LOCAL_TIME_SCALE = 0.05


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m loadtest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--stack", help="a deployed stack (DeployTestHarness=true) instead of the local cloud")
    ap.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-central-1"))
    ap.add_argument("--token-cmd", help="deployed stack: a command printing an id token for {owner}")
    ap.add_argument("--running", type=Path, default=RUNNING, help="a running local cloud's description")
    ap.add_argument("--fleet", type=Path, default=DEFAULT_FLEET)
    ap.add_argument("--rate-scale", type=float, help="request rates x this (local default %(default)s)")
    ap.add_argument("--time-scale", type=float, help="phase durations x this")
    ap.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the last pushes")
    ap.add_argument("--output", type=Path, help="default reports/loadtest-<target>.json")
    return ap.parse_args(argv)


def local_dashboard(png: Path) -> str | None:
    """The template's dashboard of the local cloud that ran the test (`python -m localcloud dashboard`,
    a process of its own: the load test talks to the local cloud as to a deployed stack)."""
    command = [
        sys.executable,
        "-m",
        "localcloud",
        "dashboard",
        "--state-dir",
        str(ROOT / ".localcloud"),
        "--png",
        str(png),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"no dashboard: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return str(png)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    local = not args.stack
    options = LoadOptions(
        rate_scale=args.rate_scale or (LOCAL_RATE_SCALE if local else 1.0),
        time_scale=args.time_scale or (LOCAL_TIME_SCALE if local else 1.0),
        drain_s=args.drain,
    )
    fleet = load_fleet(args.fleet)
    try:
        with target_from_args(args, fleet) as target:
            report = run_load(target, options, out=lambda m: print(m, file=sys.stderr, flush=True))
    except (TargetError, ProfileError) as exc:
        print(f"load test: {exc}", file=sys.stderr)
        return 2
    output = args.output or ROOT / "reports" / f"loadtest-{report['target']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    if local:  # the same run as the dashboard shows it (the local cloud's own metrics)
        report["dashboard"] = local_dashboard(output.with_name(output.stem + "-dashboard.png"))
    output.write_text(json.dumps(report, indent=1) + "\n")
    plot(report, output.with_suffix(".png"))
    result = report["result"]
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "sent",
                    "accepted",
                    "http",
                    "errors",
                    "final",
                    "endToEndMs",
                    "apiMs",
                    "seedThresholds",
                )
            },
            indent=1,
        )
    )
    print(f"wrote {output} and {output.with_suffix('.png')}")
    ok = report["artilleryExitCode"] == 0 and result["seedThresholds"]["zeroErrors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
