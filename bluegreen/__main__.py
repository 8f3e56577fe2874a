"""`python -m bluegreen`: the blue/green router of an environment (docs/bluegreen.md).

    python -m bluegreen status                                     # the running local cloud's weights
    python -m bluegreen shift --colour green --steps 10,50,100     # the gated canary shift
    python -m bluegreen sync                                       # the weights table from the stage
    python -m bluegreen shift --env alice --region eu-central-1 --token-cmd './token.sh {owner}' ...

Local (default): the cloud `.localcloud/running.json` describes (`make run`, or `python -m localcloud
serve --colours blue,green`). Deployed: `--env NAME` (its stacks NAME-shared, NAME-blue, NAME-green).
Exit status of shift: 0 shifted, 1 refused or rolled back, 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bluegreen.environment import EnvironmentRef, deployed_environment, local_environment
from bluegreen.gate import Gate
from bluegreen.router import RouterError
from bluegreen.shift import shift
from bluegreen.weights import WeightsError, parse_steps
from simulator.fleet import DEFAULT_FLEET, load_fleet
from simulator.runner.local_cloud import RUNNING, running_info
from simulator.runner.targets import (
    Target,
    TargetError,
    env_tokens,
    fleet_of,
    local_target,
    stack_target,
    token_command,
)
from simulator.scenario import Case, ScenarioError, load, load_dir

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "simulator" / "scenarios"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bluegreen", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "status": sub.add_parser("status", help="the router's weights and the weights table"),
        "sync": sub.add_parser("sync", help="write the weights table from the stage (after a deploy)"),
        "shift": sub.add_parser("shift", help="the gated canary shift (rolls back on a failed gate)"),
    }
    for p in commands.values():
        p.add_argument("--running", type=Path, default=RUNNING, help="a running local cloud's description")
        p.add_argument("--env", help="a deployed environment (stacks ENV-shared, ENV-blue, ENV-green)")
        p.add_argument("--region", default="eu-central-1")
        p.add_argument("--shared-stack", help="the deployed environment's shared stack (default ENV-shared)")
    s = commands["shift"]
    s.add_argument("--colour", required=True, choices=("blue", "green"), help="the colour that takes traffic")
    s.add_argument("--steps", default="10,50,100", help="its shares, in %%, one after the other")
    s.add_argument("--bake-s", type=float, default=30.0, help="seconds at each step before the next gate")
    s.add_argument("--scenarios", type=Path, default=SCENARIOS, help="the gate's scenario file or folder")
    s.add_argument("--concurrency", type=int, default=4, help="gate cases at once")
    s.add_argument("--fleet", type=Path, default=DEFAULT_FLEET, help="the fleet the stacks were seeded with")
    s.add_argument("--token-cmd", help="deployed: a command printing an id token for {owner}")
    s.add_argument("--json", type=Path, default=ROOT / "reports" / "shift.json", help="the shift's report")
    return parser.parse_args(argv)


@contextmanager
def environment(args: argparse.Namespace) -> Iterator[tuple[EnvironmentRef, Callable[[str], Target] | None]]:
    """The environment and, for a shift, how to reach each colour's harness."""
    fleet = load_fleet(getattr(args, "fleet", DEFAULT_FLEET))
    if args.env:
        env = deployed_environment(args.env, args.region, args.shared_stack)
        token_cmd = getattr(args, "token_cmd", None)
        tokens = token_command(token_cmd) if token_cmd else env_tokens()
        yield (
            env,
            lambda c: stack_target(
                f"{env.name}-{c}", args.region, tokens, fleet_of(fleet), shared_stack=args.shared_stack
            ),
        )
        return
    info = running_info(args.running)
    if info is None:
        raise TargetError(
            f"no local cloud answers at {args.running}: start one with both colours "
            "(python -m localcloud serve --colours blue,green), or name a deployed one with --env"
        )
    yield local_environment(info), lambda c: local_target(info, fleet, c)


def load_cases(path: Path) -> list[Case]:
    return load_dir(path) if path.is_dir() else load([path])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        steps = parse_steps(args.steps) if args.command == "shift" else []
        cases = load_cases(args.scenarios) if args.command == "shift" else []
        with environment(args) as (env, target_for):
            router = env.router()
            if args.command == "status":
                state = router.read()
                print(
                    json.dumps(
                        {
                            "environment": env.name,
                            "stage": state.weights(),
                            "live": state.live,
                            "canaryPercent": state.canary_percent,
                            "table": router.read_table(),
                        }
                    )
                )
                return 0
            if args.command == "sync":
                say(f"weights table {env.weights_table} <- {router.sync().describe()}")
                return 0
            assert target_for is not None
            gate = Gate(env, target_for, cases, args.concurrency)
            report = shift(router, gate, args.colour, steps, args.bake_s, progress=say)
    except (TargetError, RouterError, WeightsError, ScenarioError) as exc:
        say(f"bluegreen: {exc}")
        return 2
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"environment": env.name, **report.as_json()}, indent=2) + "\n")
    say(f"{report.outcome}; report: {args.json}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
