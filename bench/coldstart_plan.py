"""What the cold-start benchmark runs for one function: each variant's command, environment and
artifact (the native bootstrap from the layer, the NATIVE=0 CPython layer, CPython + boto3)."""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.coldstart_run import Sample, lambda_env
from bench.coldstart_template import FunctionSpec, sample_event

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = ROOT / "src"  # lambda_runtime (and the domain)

VARIANTS = ("native", "native_alt", "cpython", "cpython_boto3")


@dataclass
class Variant:
    """One way of running a function: the command, its environment, and the samples taken."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None


@dataclass
class Plan:
    """Everything measured for one function."""

    spec: FunctionSpec
    event: object
    event_source: str
    variants: dict[str, Variant]
    native_kind: str | None = None
    native_dir: Path | None = None  # the function's artifact (LAMBDA_TASK_ROOT)
    layer_dir: Path | None = None  # the layer whose bootstrap runs, if any
    notes: list[str] = field(default_factory=list)


def is_elf(path: Path) -> bool:
    """True for an ELF executable (a Nuitka ``bootstrap``), False for a script."""
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def zip_size(folder: Path) -> int:
    """The folder as a deflated zip (what SAM uploads), in bytes; bytecode caches left out."""
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(folder))
        return handle.tell()


def find_bootstrap(function_dir: Path, layer_dirs: list[Path]) -> tuple[Path, Path | None] | None:
    """The ``bootstrap`` Lambda runs on provided.al2023: the function's own, else ``/opt``'s (the
    layers merged there in order: the last one that has a ``bootstrap``); with the layer it came
    from. None if there is none."""
    for folder, layer in [(function_dir, None), *((d, d) for d in reversed(layer_dirs))]:
        bootstrap = folder / "bootstrap"
        if bootstrap.is_file() and os.access(bootstrap, os.X_OK):
            return bootstrap, layer
    return None


def cpython_artifact(spec: FunctionSpec, root: Path, cache: Path, python: str) -> tuple[Path, str]:
    """The NATIVE=0 layer (packaged by build/native/package.py: the sources, as the local cloud runs
    them), or the source tree."""
    package = root / "build" / "native" / "package.py"
    target = cache / "NativeRuntimeLayer"
    if package.is_file() and (target / "lambda_runtime").is_dir() and target in _PACKAGED:
        return target, f"NATIVE=0 layer {target}"
    if package.is_file():
        env = dict(os.environ, NATIVE="0")
        result = subprocess.run(
            [
                python,
                str(package),
                "--layer",
                "--logical-id",
                "NativeRuntimeLayer",
                "--artifacts",
                str(target),
                "--root",
                str(root),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode == 0 and (target / "lambda_runtime").is_dir():
            _PACKAGED.add(target)  # one layer for every function of this run
            return target, f"NATIVE=0 layer {target}"
        reason = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        print(
            f"  {spec.logical_id}: NATIVE=0 packaging failed ({reason[0]}); using the source tree", flush=True
        )
    return root, "source tree (PYTHONPATH=src:.)"


_PACKAGED: set[Path] = set()


def pythonpath_for(artifact: Path, root: Path) -> str:
    """The NATIVE=0 artifact holds everything; the source tree needs src (domain, runtime loop) and root."""
    if artifact == root:
        return os.pathsep.join(str(p) for p in dict.fromkeys((root / "src", RUNTIME_DIR, root)))
    return str(artifact)


def plan_function(spec: FunctionSpec, args: argparse.Namespace, home: Path) -> Plan | str:
    """Commands and environments of every variant; a string says why the function is skipped."""
    try:
        event, event_source = sample_event(args.root, spec)
    except LookupError as exc:
        return str(exc)
    plan = Plan(spec, event, event_source, {})
    native_dir = args.build_dir / spec.logical_id
    found = find_bootstrap(native_dir, [args.build_dir / layer for layer in spec.layers])
    if found is not None and native_dir.is_dir():
        bootstrap, plan.layer_dir = found
        plan.native_kind = "native (ELF)" if is_elf(bootstrap) else "script (not an ELF: a NATIVE=0 build?)"
        if plan.layer_dir is not None:
            plan.native_kind += f" from layer {plan.layer_dir.name}"
        plan.native_dir = native_dir
        env = lambda_env(
            handler=spec.handler,
            function_name=spec.logical_id,
            memory_mb=spec.memory_mb,
            task_root=native_dir,
            home=home,
            extra=spec.environment,
        )
        plan.variants["native"] = Variant("native", [str(bootstrap.resolve())], env, native_dir)
        if not is_elf(bootstrap):
            plan.notes.append(f"{bootstrap} is not a native binary: run `sam build` with NATIVE=1")
    else:
        where = ", ".join(str(args.build_dir / d / "bootstrap") for d in (spec.logical_id, *spec.layers))
        plan.notes.append(f"no native artifact ({where}): run `sam build` (NATIVE=1)")
    if args.native_alt is not None:
        alt_dir = args.native_alt / spec.logical_id
        alt_found = find_bootstrap(alt_dir, [args.native_alt / layer for layer in spec.layers])
        if alt_found is not None:
            task_root = alt_dir if alt_dir.is_dir() else alt_found[0].parent
            alt_env = lambda_env(
                handler=spec.handler,
                function_name=spec.logical_id,
                memory_mb=spec.memory_mb,
                task_root=task_root,
                home=home,
                extra=spec.environment,
            )
            plan.variants["native_alt"] = Variant(
                "native_alt", [str(alt_found[0].resolve())], alt_env, task_root
            )
        else:
            plan.notes.append(f"no alternative native artifact at {alt_dir / 'bootstrap'} or its layers")
    artifact, source = cpython_artifact(spec, args.root, args.cache_dir, args.python)
    plan.notes.append(f"cpython baseline: {source}")
    cpy_env = lambda_env(
        handler=spec.handler,
        function_name=spec.logical_id,
        memory_mb=spec.memory_mb,
        task_root=artifact,
        home=home,
        extra={
            **spec.environment,
            "PYTHONPATH": pythonpath_for(artifact, args.root),
            "PYTHONUNBUFFERED": "1",
        },
    )
    plan.variants["cpython"] = Variant("cpython", [args.python, "-m", "lambda_runtime"], cpy_env, artifact)
    if spec.boto3_clients and not args.no_boto3:
        boto_env = dict(cpy_env, COLDSTART_BOTO3_CLIENTS=",".join(spec.boto3_clients))
        shim = str(ROOT / "bench" / "coldstart_boto3_shim.py")
        plan.variants["cpython_boto3"] = Variant("cpython_boto3", [args.python, shim], boto_env, artifact)
    return plan
