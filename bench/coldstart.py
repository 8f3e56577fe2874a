"""``make bench-coldstart``: cold starts of every function, native ``bootstrap`` vs CPython.

Local mode (default): for every ``AWS::Serverless::Function`` in ``template.yaml`` it spawns the
built ``bootstrap`` as Lambda picks it (``.aws-sam/build/<LogicalId>/bootstrap`` if the function
has one, else its layer's, e.g. ``.aws-sam/build/NativeRuntimeLayer/``,
``/opt`` on Lambda), with the function's artifact as task root and working directory, against a
local Runtime API ``--runs`` times and
measures spawn -> first response, a warm invoke and max RSS; the baseline is the same handler under
CPython (the NATIVE=0 artifact: ``python -m lambda_runtime`` with the handler's real imports) and,
for functions that call AWS, CPython that also imports boto3 and creates its clients at init.
Runs of the variants are interleaved (the machine is shared and noisy); compare ratios.

AWS mode: ``--aws STACK_NAME [--region R] [--invokes N]`` forces cold starts of a deployed stack
and reads the REPORT lines (see ``coldstart_aws.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = ROOT / "src"  # lambda_runtime (and the domain)
if str(ROOT) not in sys.path:  # run as a script: make ``bench.*`` importable
    sys.path.insert(0, str(ROOT))

from bench.coldstart_imports import measure_imports  # noqa: E402
from bench.coldstart_plan import (  # noqa: E402
    VARIANTS,
    Plan,
    Variant,
    plan_function,
    zip_size,
)
from bench.coldstart_report import chart, machine_info, table, write_json  # noqa: E402
from bench.coldstart_run import RunFailed, measure  # noqa: E402
from bench.coldstart_stats import ratio, summarize  # noqa: E402
from bench.coldstart_template import discover  # noqa: E402


def run_once(plan: Plan, variant: Variant, timeout_s: float) -> None:
    """Measure one start of one variant; the first failure disables the variant."""
    try:
        variant.samples.append(measure(variant.command, variant.env, variant.cwd, plan.event, timeout_s))
    except (RunFailed, OSError) as exc:
        variant.error = str(exc)
        print(f"  {plan.spec.logical_id} [{variant.name}] FAILED: {exc}", flush=True)


def summarize_plan(plan: Plan, imports: dict[str, Any] | None, zip_bytes: int | None) -> dict[str, Any]:
    """The JSON row of one function."""
    row: dict[str, Any] = {
        "handler": plan.spec.handler,
        "calls_aws": plan.spec.calls_aws,
        "event": plan.event_source,
        "boto3_clients": list(plan.spec.boto3_clients),
        "native_artifact": plan.native_kind,
        "memory_mb": plan.spec.memory_mb,
        "architecture": plan.spec.architecture,
    }
    medians: dict[str, float] = {}
    for name in VARIANTS:
        variant = plan.variants.get(name)
        if variant is None:
            if name != "native_alt":  # only reported when asked for
                row[name] = None
            continue
        if variant.error:
            row[f"{name}_error"] = variant.error
        if not variant.samples:
            row[name] = None
            continue
        row[name] = summarize([s.cold_ms for s in variant.samples])
        medians[name] = float(row[name]["median_ms"])
        warm = summarize([s.warm_ms for s in variant.samples])
        rss_values = [s.max_rss_mb for s in variant.samples if s.max_rss_mb is not None]
        rss = max(rss_values) if rss_values else None
        row[f"warm_{name}_ms"] = warm["median_ms"]
        row[f"max_rss_{name}_mb" if name != "native" else "max_rss_mb"] = (
            None if rss is None else round(rss, 1)
        )
    row["ratio_native_to_cpython"] = ratio(medians.get("native"), medians.get("cpython"))
    row["ratio_native_to_cpython_boto3"] = ratio(medians.get("native"), medians.get("cpython_boto3"))
    row["speedup_vs_cpython"] = ratio(medians.get("cpython"), medians.get("native"))
    row["speedup_vs_cpython_boto3"] = ratio(medians.get("cpython_boto3"), medians.get("native"))
    if "native_alt" in medians:
        row["ratio_native_alt_to_native"] = ratio(medians.get("native_alt"), medians.get("native"))
        plan.notes.append(
            f"native_alt median {medians['native_alt']} ms vs native {medians.get('native')} ms"
        )
    row.setdefault("warm_native_ms", None)
    row.setdefault("warm_cpython_ms", None)
    row.setdefault("max_rss_mb", None)
    row["zip_bytes"] = zip_bytes
    row["layer"] = None if plan.layer_dir is None else plan.layer_dir.name
    row["layer_zip_bytes"] = None if plan.layer_dir is None else _layer_zip(plan.layer_dir)
    row["imports"] = imports
    row["notes"] = plan.notes
    return row


_LAYER_ZIPS: dict[Path, int] = {}


def _layer_zip(layer: Path) -> int:
    """The layer's zip size, measured once per run (every function shares it)."""
    if layer not in _LAYER_ZIPS:
        _LAYER_ZIPS[layer] = zip_size(layer)
    return _LAYER_ZIPS[layer]


def floors(python: str, runs: int) -> dict[str, Any]:
    """What no function can beat here: spawn -> exit of ``/bin/true`` and of an empty CPython (median ms)."""
    commands = {
        "true_ms": ["/bin/true"],
        "cpython_empty_ms": [python, "-c", "pass"],
        "cpython_isolated_empty_ms": [python, "-S", "-I", "-c", "pass"],
    }
    out: dict[str, Any] = {}
    for name, command in commands.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False
            )
            samples.append((time.perf_counter() - started) * 1000)
        out[name] = summarize(samples)["median_ms"]
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=30, help="cold starts per function and variant (default 30)"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (functions/, events/)")
    parser.add_argument("--template", type=Path, help="default: ROOT/template.yaml")
    parser.add_argument("--build-dir", type=Path, help="default: ROOT/.aws-sam/build")
    parser.add_argument(
        "--cache-dir", type=Path, help="NATIVE=0 artifacts (default: ROOT/.cache/coldstart/cpython)"
    )
    parser.add_argument("--python", default=sys.executable, help="the CPython of the baseline")
    parser.add_argument(
        "--native-alt",
        type=Path,
        help="a second build folder (<LogicalId>/bootstrap), measured interleaved as 'native_alt' (A/B)",
    )
    parser.add_argument("--functions", nargs="*", help="logical ids to run (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "coldstart.json")
    parser.add_argument("--png", type=Path, default=ROOT / "reports" / "coldstart.png")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer")
    parser.add_argument("--no-boto3", action="store_true", help="skip the CPython + boto3 variant")
    parser.add_argument("--no-imports", action="store_true", help="skip the import budget")
    parser.add_argument("--aws", metavar="STACK_NAME", help="AWS mode: measure a deployed stack")
    parser.add_argument("--region", help="AWS mode: the stack's region")
    parser.add_argument("--invokes", type=int, default=5, help="AWS mode: forced cold starts per function")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.root = args.root.resolve()
    args.template = args.template or args.root / "template.yaml"
    args.build_dir = args.build_dir or args.root / ".aws-sam" / "build"
    args.cache_dir = (args.cache_dir or args.root / ".cache" / "coldstart" / "cpython").resolve()
    return args


def run_local(args: argparse.Namespace) -> int:
    """Local mode; returns the exit status (non-zero when nothing could be measured)."""
    specs, source = discover(args.root, args.template)
    if args.functions:
        unknown = set(args.functions) - {s.logical_id for s in specs}
        if unknown:
            print(f"unknown function(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        specs = [s for s in specs if s.logical_id in args.functions]
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    print(
        f"cold-start benchmark: {len(specs)} function(s) from {source}, {args.runs} run(s) each", flush=True
    )
    skipped: dict[str, str] = {}
    plans: list[Plan] = []
    with tempfile.TemporaryDirectory(prefix="coldstart-home-") as home_dir:
        home = Path(home_dir)
        for spec in specs:
            planned = plan_function(spec, args, home)
            if isinstance(planned, str):
                skipped[spec.logical_id] = planned
                print(f"  {spec.logical_id}: skipped: {planned}", flush=True)
            else:
                plans.append(planned)
                for note in planned.notes:
                    print(f"  {spec.logical_id}: {note}", flush=True)
        imports: dict[str, dict[str, Any] | None] = {}
        for plan in plans:
            imports[plan.spec.logical_id] = None
            if args.no_imports:
                continue
            module = plan.spec.handler.rpartition(".")[0]
            cpy = plan.variants["cpython"]
            try:
                imports[plan.spec.logical_id] = measure_imports(module, cpy.env, cpy.cwd, args.python)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                plan.notes.append(f"import budget not measured: {exc}")
        runtime_imports: dict[str, Any] | None = None
        if not args.no_imports:
            env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(RUNTIME_DIR)}
            try:
                runtime_imports = measure_imports("lambda_runtime.loop", env, args.root, args.python)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"  runtime loop import budget not measured: {exc}", flush=True)
        print("warming up (one unmeasured start of each variant: bytecode, page cache)...", flush=True)
        for plan in plans:
            for variant in plan.variants.values():
                run_once(plan, variant, args.timeout)
                variant.samples.clear()
        started = time.monotonic()
        for run in range(args.runs):
            for plan in plans:
                order = [v for v in plan.variants.values() if v.error is None]
                shift = run % len(order) if order else 0
                for variant in order[shift:] + order[:shift]:  # interleaved, rotating who goes first
                    run_once(plan, variant, args.timeout)
            if (run + 1) % 5 == 0 or run + 1 == args.runs:
                print(f"  run {run + 1}/{args.runs} ({time.monotonic() - started:.0f} s)", flush=True)
    functions: dict[str, Any] = {}
    for plan in plans:
        zip_bytes = zip_size(plan.native_dir) if plan.native_dir is not None else None
        functions[plan.spec.logical_id] = summarize_plan(plan, imports.get(plan.spec.logical_id), zip_bytes)
    for name, reason in skipped.items():
        functions[name] = {"error": reason, "native": None, "cpython": None}
    machine = machine_info()
    machine["load_avg_at_start"] = load_at_start
    report: dict[str, Any] = {
        "machine": machine,
        "floors": floors(args.python, max(args.runs, 5)),
        "runtime_loop_imports": runtime_imports,
        "method": {
            "runs": args.runs,
            "cold": "spawn -> first response received by the local Runtime API (ms)",
            "warm": "second invocation on the same process: /next handed out -> response (ms)",
            "max_rss": "peak RSS (VmHWM) of the function process, read before it is stopped",
            "baseline": "CPython running the same handler with its real imports (python -m lambda_runtime)",
            "cpython_boto3": "CPython + import boto3 + boto3.client(...) for each client the function uses",
            "bytecode": "CPython runs with cached bytecode (favours the baseline)",
            "aws_functions": "functions that call AWS are invoked with an empty SQS batch: no network",
            "functions_from": source,
        },
        "functions": functions,
    }
    print()
    print(table(functions))
    print(
        "floors (spawn -> exit, median ms): "
        + ", ".join(f"{k.removesuffix('_ms')} {v}" for k, v in report["floors"].items())
        + (
            f"; runtime loop imports: {runtime_imports['modules']} modules, {runtime_imports['ms']} ms"
            if runtime_imports
            else ""
        )
    )
    write_json(report, args.out)
    print(f"\nwrote {args.out}")
    title = f"cold start, {args.runs} runs, {machine['cpu_model']} ({machine['cores']} cores)"
    if chart(functions, args.png, title):
        print(f"wrote {args.png}")
    measured = any(f.get("native") or f.get("cpython") for f in functions.values())
    return 0 if measured else 1


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    args = parse_args(argv)
    if args.aws:
        from bench.coldstart_aws import run_aws

        return run_aws(args.aws, args.region, args.invokes, args.out.with_name("coldstart-aws.json"))
    if shutil.which(args.python) is None and not Path(args.python).is_file():
        print(f"--python {args.python} not found", file=sys.stderr)
        return 2
    return run_local(args)


if __name__ == "__main__":
    sys.exit(main())
