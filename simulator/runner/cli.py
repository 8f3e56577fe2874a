"""`python -m simulator run`: the scenario suite against the local cloud (default) or a deployed stack.

    python -m simulator run                           # the hand-written suite, local cloud
    python -m simulator run --matrix --concurrency 8  # plus the generated matrix
    python -m simulator run --stack alice-blue --region eu-central-1 --token-cmd './token.sh {owner}'

Local: uses the running local cloud described by `.localcloud/running.json` (written by `make run` /
`python -m localcloud serve`), or starts one (`python -m localcloud serve`) and stops it at the end.
Exit status: 0 when every case passed, 1 when one failed, 2 for a usage or setup error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
from pathlib import Path

from simulator.fleet import DEFAULT_FLEET, load_fleet
from simulator.runner import report
from simulator.runner.execute import CaseResult
from simulator.runner.local_cloud import RUNNING, target_from_args
from simulator.runner.suite import Progress, run_suite
from simulator.runner.targets import Target, TargetError
from simulator.scenario import Case, ScenarioError, load_dir

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "simulator" / "scenarios"
COLOUR_HEADER = "X-Target-Environment"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the scenario suite")
    run.add_argument("--scenarios", type=Path, default=SCENARIOS, help="folder of scenario files")
    run.add_argument("--matrix", action="store_true", help="also the generated matrix (1,000+ cases)")
    run.add_argument("--cases", default="", help="only the cases whose id matches this regular expression")
    run.add_argument("--concurrency", type=int, default=4, help="cases at once (one per vehicle)")
    run.add_argument("--colour", choices=("blue", "green"), help=f"force a colour ({COLOUR_HEADER} header)")
    run.add_argument("--fleet", type=Path, default=DEFAULT_FLEET, help="the fleet the stack was seeded with")
    run.add_argument("--running", type=Path, default=RUNNING, help="a running local cloud's description")
    run.add_argument("--stack", help="a deployed colour stack, <environment>-blue|green "
                     "(DeployTestHarness=true), instead of the local cloud")
    run.add_argument("--shared-stack", help="its environment's shared stack (default: <environment>-shared)")
    run.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-central-1"))
    run.add_argument("--token-cmd", help="deployed stack: a command printing an id token for {owner}")
    run.add_argument("--json", type=Path, default=ROOT / "reports" / "scenarios.json")
    run.add_argument("--junit", type=Path, default=ROOT / "reports" / "scenarios.xml")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cases = load_dir(args.scenarios, include_matrix=args.matrix)
    except ScenarioError as exc:
        print(f"scenario error: {exc}", file=sys.stderr)
        return 2
    if args.cases:
        pattern = re.compile(args.cases)
        cases = [c for c in cases if pattern.search(c.id)]
    if not cases:
        print("no case to run", file=sys.stderr)
        return 2
    fleet = load_fleet(args.fleet)
    try:
        with target_from_args(args, fleet) as target:
            results, wall = _run(args, target, cases)
    except TargetError as exc:
        print(f"target error: {exc}", file=sys.stderr)
        return 2
    report.print_table(results, sys.stdout)
    written = report.write_json(results, args.json, target.name, wall)
    report.write_junit(results, args.junit, "scenarios", wall)
    total = written["summary"]
    print(f"\n{total['passed']}/{total['cases']} cases passed in {total['wallS']} s "
          f"({total['casesPerMinute']} cases/min); reports: {args.json}, {args.junit}")
    return 0 if total["failed"] == 0 else 1


def _run(args: argparse.Namespace, target: Target, cases: list[Case]) -> tuple[list[CaseResult], float]:
    """The cases against the target (the colour forced when asked), with a progress bar."""
    if args.colour:
        target.colour_header = COLOUR_HEADER
        cases = [dataclasses.replace(c, colour=args.colour) for c in cases]
    print(f"{len(cases)} case(s) against {target.name} ({target.api_url}), {args.concurrency} at once",
          file=sys.stderr, flush=True)
    started = time.monotonic()
    progress = Progress(len(cases))
    results = run_suite(target, cases, args.concurrency, on_result=progress.update)
    return results, time.monotonic() - started
