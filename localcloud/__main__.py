"""`python -m localcloud run | demo | invoke | build`: the local cloud's command line.

    run     build if needed, start the local cloud, run the demo, keep serving until Ctrl-C
            (described in .localcloud/running.json meanwhile: `make scenarios` uses it)
    demo    the same demo, then exit: 0 only when every case passed
    serve   serve until Ctrl-C, no demo (--info-file: where to describe it)
    invoke  FN EVENT: one built function, one event (a Docker-free `sam local invoke`)
    build   `sam build` now (NATIVE=0: CPython bootstraps, fast; NATIVE=1: Nuitka)

Native or not: `--native` / `--no-native`, else the environment variable LOCALCLOUD_NATIVE, else
NATIVE, else 0 (CPython bootstraps: the fast dev loop).

The local cloud runs the template's test harness (DeployTestHarness "true": the broker and
subscription mocks as deployed, the fleet's behaviours from simulator/scenarios/fleet-*.yaml);
`--no-harness`: without it (DeployTestHarness "false"); then `--parameter BrokerUrl=...` (and
SubscriberUrl, DisclosureUrl) point the functions at endpoints of your own.

The API stage is throttled locally (`--api-rate`, `--api-burst`; defaults: what this machine
finishes with no error, far below the template's ApiThrottleRate/ApiThrottleBurst for AWS); beyond
it the API answers 429 instead of accepting commands the local cloud cannot finish.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcloud.sam_build import BUILD_DIR, build_state, sam_build


def say(msg: str) -> None:
    print(msg, flush=True)


def _native(args: argparse.Namespace) -> str:
    if args.native is not None:
        return "1" if args.native else "0"
    return os.environ.get("LOCALCLOUD_NATIVE") or os.environ.get("NATIVE") or "0"


def ensure_built(args: argparse.Namespace) -> None:
    native = _native(args)
    build_dir = Path(args.build_dir)
    reason = None if args.no_build else build_state(native, build_dir)
    if reason:
        say(f"[build] {reason}: building")
        sam_build(native, build_dir, out=say)


def _parameters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--parameter {pair!r}: expected Key=Value")
        out[key] = value
    return out


# what `python -m simulator run` reads (`make scenarios` then uses the running cloud)
RUNNING = Path(__file__).resolve().parents[1] / ".localcloud" / "running.json"


def _cloud(args: argparse.Namespace, **kw: Any) -> Any:
    from localcloud.cloud import LocalCloud
    from localcloud.stacks import colours_arg

    kw.setdefault("harness", args.harness)
    kw.setdefault("colours", colours_arg(args.colours))
    kw.setdefault("environment", args.environment)
    kw.setdefault("state_dir", args.state_dir)
    kw.setdefault("neighbours", [n.strip() for n in args.neighbours.split(",") if n.strip()])
    return LocalCloud(
        build_dir=args.build_dir,
        parameters=_parameters(args.parameter),
        time_scale=args.time_scale,
        concurrency=args.concurrency,
        api_port=args.port,
        api_rate=args.api_rate,
        api_burst=args.api_burst,
        **kw,
    )


def _publish(cloud: Any, info_file: Path) -> None:
    """The running cloud's description (URLs, region, tokens, resources, Function URLs), written whole."""
    info_file.parent.mkdir(parents=True, exist_ok=True)
    partial = info_file.with_name(info_file.name + ".partial")
    partial.write_text(json.dumps(cloud.info(), indent=2) + "\n")
    partial.rename(info_file)  # a reader never sees half a file
    say(f"  described in {info_file}")


def cmd_demo(args: argparse.Namespace, keep_serving: bool) -> int:
    from localcloud.demo import run_demo

    ensure_built(args)
    if not args.harness:
        raise SystemExit("the demo runs on the test harness (the scenario runner): drop --no-harness")
    cloud = _cloud(args)
    with cloud:
        info = cloud.info()
        say(f"local cloud up in {cloud.startup_s:.2f} s (steps: {json.dumps(cloud.timings)})")
        say(f"  API:       {cloud.api_url}   (stage prefix optional: /{info.get('stage', '')})")
        say(f"  AWS front: {cloud.endpoint_url}   (AWS_ENDPOINT_URL for the aws CLI / boto3)")
        say(f"  logs:      {info['logs']}")
        say(f"  time scale {args.time_scale} (lifecycle timers and the fleet's standing behaviours)")
        throttle = info.get("apiThrottle")
        if throttle:
            say(f"  API stage throttle {throttle[0]:g}/s, burst {throttle[1]:g} (beyond it: 429)")
        results = run_demo(cloud, out=say)
        failed = [r for r in results if not r.passed]
        say(f"demo: {len(results) - len(failed)}/{len(results)} cases passed")
        if not keep_serving:
            return 1 if failed else 0
        info_file: Path = args.info_file or RUNNING
        _publish(cloud, info_file)
        token = cloud.token("alice")
        say("")
        say("serving until Ctrl-C. Try (owner alice, vehicle WVWZZZ1JZXW000001):")
        say(f"  TOKEN='{token}'")
        say(
            f"  curl -s -X POST -H \"Authorization: $TOKEN\" -H 'Content-Type: application/json' "
            f"-d '{{}}' {cloud.api_url}/v1/vehicles/WVWZZZ1JZXW000001/services/HORN_BLOW"
        )
        say(
            f'  curl -s -H "Authorization: $TOKEN" {cloud.api_url}/v1/vehicles/WVWZZZ1JZXW000001'
            "/services/<eventId>"
        )
        say("  make scenarios (python -m simulator run) uses this cloud while it runs")
        _dashboard(cloud.state_dir)
        say(f"  {DASHBOARD_PNG} is refreshed every {DASHBOARD_EVERY_S:.0f} s while it serves")
        try:
            _wait_for_interrupt(lambda: _dashboard(cloud.state_dir, quiet=True))
        finally:
            info_file.unlink(missing_ok=True)
        return 0


def cmd_bluegreen_demo(args: argparse.Namespace) -> int:
    from localcloud.bluegreen_demo import run_bluegreen_demo

    ensure_built(args)
    if not args.harness:
        raise SystemExit("the blue/green demo runs on the test harness: drop --no-harness")
    with _cloud(args, colours=("blue", "green"), state_dir=Path(".localcloud") / "bluegreen") as cloud:
        say(f"local cloud up in {cloud.startup_s:.2f} s with blue and green over the shared stack")
        return 0 if run_bluegreen_demo(cloud, say, args.report) else 1


def cmd_serve(args: argparse.Namespace) -> int:
    """The local cloud, serving until Ctrl-C; its description goes to --info-file while it runs."""
    ensure_built(args)
    cloud = _cloud(args)
    info_file: Path | None = args.info_file
    with cloud:
        say(f"local cloud up in {cloud.startup_s:.2f} s: API {cloud.api_url}, AWS {cloud.endpoint_url}")
        if info_file is not None:
            _publish(cloud, info_file)
        try:
            _wait_for_interrupt()
        finally:
            if info_file is not None:
                info_file.unlink(missing_ok=True)
    return 0


DASHBOARD_PNG = Path("reports") / "dashboard.png"
DASHBOARD_EVERY_S = 60.0


def _dashboard(state_dir: Path, quiet: bool = False, png: Path = DASHBOARD_PNG) -> None:
    """reports/dashboard.png + .json from the local cloud's datapoints (localcloud.cloudwatch)."""
    from localcloud.cloudwatch.dashboard import render

    render(state_dir, png, png.with_suffix(".json"), (lambda _m: None) if quiet else say)


def cmd_dashboard(args: argparse.Namespace) -> int:
    try:
        _dashboard(Path(args.state_dir), png=Path(args.png))
    except FileNotFoundError as exc:
        raise SystemExit(str(exc)) from None
    return 0


def _wait_for_interrupt(refresh: Callable[[], None] | None = None) -> None:
    """Until Ctrl-C or SIGTERM; `refresh` every DASHBOARD_EVERY_S seconds meanwhile."""
    stop = False
    due = time.monotonic() + DASHBOARD_EVERY_S

    def handler(_sig: int, _frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, handler)
    try:
        while not stop:
            time.sleep(0.5)
            if refresh is not None and time.monotonic() >= due:
                refresh()
                due = time.monotonic() + DASHBOARD_EVERY_S
    except KeyboardInterrupt:
        pass
    say("stopping")


def cmd_invoke(args: argparse.Namespace) -> int:
    ensure_built(args)
    event_path = Path(args.event)
    try:
        event = event_path.read_bytes() if args.event != "-" else sys.stdin.buffer.read()
        json.loads(event)
    except OSError as exc:
        raise SystemExit(f"cannot read the event: {exc}") from None
    except ValueError as exc:
        raise SystemExit(f"{args.event} is not JSON: {exc}") from None
    cloud = _cloud(args, warm=False, event_sources=False, progress=None)
    say("starting moto + the function host and provisioning (so functions that call AWS work)...")
    with cloud:
        fn = cloud.resources.function_by_name(args.function)
        if fn is None:
            names = ", ".join(sorted(cloud.resources.functions))
            raise SystemExit(f"unknown function {args.function!r}; the template has: {names}")
        say(f"invoking {fn.logical_id} ({fn.name}) with {args.event}")
        result = cloud.host.invoke(fn.name, event, invocation_type="RequestResponse", log_type="Tail")
        if result.log_result:
            say("---- log (tail) ----")
            say(base64.b64decode(result.log_result).decode("utf-8", "replace").rstrip())
        say("---- result ----")
        payload = result.payload.decode("utf-8", "replace")
        try:
            say(json.dumps(json.loads(payload), indent=2))
        except ValueError:
            say(payload)
        log = cloud.host.log_dir / f"{fn.logical_id}.log"
        reports = (
            [line for line in log.read_text().splitlines() if line.startswith("REPORT")]
            if log.exists()
            else []
        )
        if reports and (
            not result.log_result or reports[-1] not in base64.b64decode(result.log_result).decode()
        ):
            say(reports[-1])
        return 1 if result.function_error else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, scale: float) -> None:
        from localcloud.cloud import LOCAL_API_BURST, LOCAL_API_RATE

        p.add_argument("--build-dir", default=str(BUILD_DIR))
        p.add_argument(
            "--time-scale",
            type=float,
            default=scale,
            help="multiplies lifecycle timers and simulated vehicle delays (default %(default)s)",
        )
        p.add_argument("--concurrency", type=int, default=4, help="max instances per function")
        p.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
        p.add_argument(
            "--parameter",
            action="append",
            default=[],
            metavar="Key=Value",
            help="template parameter override (repeatable)",
        )
        p.add_argument(
            "--api-rate",
            type=float,
            default=LOCAL_API_RATE,
            help="API stage throttle, requests/s (template parameter ApiThrottleRate; default %(default)s, "
            "what this machine finishes; an explicit --parameter ApiThrottleRate=... wins)",
        )
        p.add_argument(
            "--api-burst",
            type=int,
            default=LOCAL_API_BURST,
            help="API stage throttle burst (template parameter ApiThrottleBurst; default %(default)s)",
        )
        p.add_argument("--native", dest="native", action="store_true", default=None)
        p.add_argument("--no-native", dest="native", action="store_false")
        p.add_argument("--no-build", action="store_true", help="never build, even if stale")
        p.add_argument(
            "--harness",
            dest="harness",
            action="store_true",
            default=True,
            help="DeployTestHarness: the deployed broker and subscription mocks (the default)",
        )
        p.add_argument(
            "--no-harness",
            dest="harness",
            action="store_false",
            help="DeployTestHarness false: point BrokerUrl, SubscriberUrl, DisclosureUrl with --parameter",
        )
        p.add_argument(
            "--colours",
            default="blue",
            help="the colour stacks to run over the shared stack, the live one first: blue, or blue,green "
            "(docs/bluegreen.md)",
        )
        p.add_argument("--environment", default="dev", help="EnvironmentName: the prefix of every name")
        p.add_argument(
            "--neighbours",
            default="",
            help="other environments (developers) in the same local account, comma-separated: e.g. bob",
        )
        p.add_argument("--state-dir", type=Path, default=Path(".localcloud"), help="logs and metrics go here")

    for name, text in (("run", "demo, then serve until Ctrl-C"), ("demo", "demo, then exit 0/1")):
        p_demo = sub.add_parser(name, help=text)
        # the production expected times: the scenario files' delays are what a car does, unscaled
        common(p_demo, 1.0)
        if name == "run":
            p_demo.add_argument(
                "--info-file", type=Path, help=f"where to describe the running cloud (default {RUNNING})"
            )
    p_bg = sub.add_parser(
        "bluegreen-demo", help="both colours: a gated canary shift, a broken green rolled back"
    )
    common(p_bg, 1.0)
    p_bg.add_argument("--report", type=Path, default=Path("reports") / "bluegreen-demo.json")
    p_serve = sub.add_parser("serve", help="serve until Ctrl-C (no demo)")
    common(p_serve, 1.0)
    p_serve.add_argument("--info-file", type=Path, help="write what a client needs (URLs, tokens) here")
    p_inv = sub.add_parser("invoke", help="run one function with one event")
    p_inv.add_argument("function", help="logical id or function name")
    p_inv.add_argument("event", help="event JSON file, or - for stdin")
    common(p_inv, 1.0)
    common(sub.add_parser("build", help="sam build now"), 1.0)
    p_dash = sub.add_parser("dashboard", help="render the template's dashboard from the last run's metrics")
    p_dash.add_argument("--state-dir", default=".localcloud", help="the local cloud's state directory")
    p_dash.add_argument("--png", default=str(DASHBOARD_PNG), help="the picture (its .json beside it)")
    args = parser.parse_args(argv)
    if args.command == "build":
        sam_build(_native(args), Path(args.build_dir), out=say)
        return 0
    if args.command == "invoke":
        return cmd_invoke(args)
    if args.command == "serve":
        return cmd_serve(args)
    if args.command == "dashboard":
        return cmd_dashboard(args)
    if args.command == "bluegreen-demo":
        return cmd_bluegreen_demo(args)
    return cmd_demo(args, keep_serving=args.command == "run")


if __name__ == "__main__":
    sys.exit(main())
