"""Package the native runtime layer and the functions for ``provided.al2023`` (``sam build`` calls it).

Usage (from the Makefile rules ``build-NativeRuntimeLayer`` and ``build-%``)::

    package.py --layer --logical-id NativeRuntimeLayer --artifacts .aws-sam/build/NativeRuntimeLayer
    package.py --logical-id ValidateFunction --artifacts .aws-sam/build/ValidateFunction

The layer (extracted at ``/opt``; provided.al2023 runs ``/opt/bootstrap`` when the function has none):
NATIVE=1 (default): ONE Nuitka standalone binary holds the runtime loop and every handler.
It is compiled once per source tree (cache key: a hash of every input file, the flags and the
tool versions), kept under ``.cache/native/``, and copied into the layer with the executable
named ``bootstrap``. A file lock lets parallel targets share one compile.
NATIVE=0: the same handlers under CPython (``bootstrap`` is a shell script running
``python3 -m lambda_runtime`` over the sources next to it): for the local cloud only,
provided.al2023 has no python3. Either way ``native-runtime.json`` names the build.

A function: only ``function.json`` (its handler, and the layer build it was packaged for), so
that a function packaged for another build of the layer is detected (check_glibc.py).

Any error exits non-zero, and the artifact folder is left empty (the layer without ``bootstrap``).
See docs/native.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script (the Makefile's rules): make ``build.native`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from build.native.nuitka_build import (
    GLIBC_MAX,
    REPO_ROOT,
    SOURCES,
    BuildError,
    Log,
    cache_key,
    ensure_dist,
    file_hashes,
    manifest,
)

# The layer layout (docs/native.md, "The layer"); check_glibc.py reads the same two names.
LAYER_LOGICAL_ID = "NativeRuntimeLayer"
LAYER_MANIFEST = "native-runtime.json"  # in the layer: /opt/native-runtime.json
FUNCTION_MANIFEST = "function.json"  # in each function: /var/task/function.json


def folder_for(logical_id: str) -> str:
    """``VehicleDecoderFunction`` -> ``vehicle_decoder`` (the contract's naming rule)."""
    name = logical_id.removesuffix("Function")
    if not name or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
        raise BuildError(f"logical id {logical_id!r} is not of the form <CamelCase>Function")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def prepare_artifacts(artifacts: Path, root: Path) -> None:
    """Empty the artifact folder (refusing folders that hold sources)."""
    resolved = artifacts.resolve()
    for protected in (root.resolve(), REPO_ROOT, Path.home(), Path("/")):
        if resolved == protected or protected.is_relative_to(resolved):
            raise BuildError(f"refusing to use {artifacts} as the artifact folder: it contains {protected}")
    for relative in SOURCES.values():
        if resolved.is_relative_to((root / relative).resolve()):
            raise BuildError(f"refusing to write artifacts into the source folder {relative}")
    resolved.mkdir(parents=True, exist_ok=True)
    for child in resolved.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def copy_tree(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` (no bytecode caches); ``bootstrap`` is written last, atomically."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    for child in sorted(source.iterdir()):
        if child.name == "bootstrap":
            continue
        if child.is_dir():
            shutil.copytree(child, target / child.name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(child, target / child.name, follow_symlinks=False)
    bootstrap = source / "bootstrap"
    if bootstrap.exists():
        partial = target / ".bootstrap.partial"
        shutil.copy2(bootstrap, partial)
        partial.rename(target / "bootstrap")


def write_json_atomically(path: Path, data: dict[str, object]) -> None:
    """Write ``data`` to ``path`` through a temporary name and a rename."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    partial.rename(path)


def source_key(root: Path) -> str:
    """NATIVE=0 build id: a hash of the Python sources only (no compiler is involved)."""
    return "cpython-" + cache_key(file_hashes(root))


def layer_build(root: Path, native: str) -> str:
    """The id of the layer build for this source tree: the dist's cache key (NATIVE=1)."""
    return cache_key(manifest(root)) if native == "1" else source_key(root)


def handlers(root: Path) -> list[str]:
    """Every handler the layer can run (``functions.<name>.app.handler``), sorted."""
    return sorted(f"functions.{app.parent.name}.app.handler" for app in (root / "functions").glob("*/app.py"))


def layer_manifest(root: Path, native: str, build: str) -> dict[str, object]:
    """``native-runtime.json``: what the layer is, so that its functions can be matched to it."""
    return {"layer": LAYER_LOGICAL_ID, "native": int(native), "build": build, "handlers": handlers(root),
            "glibcMax": GLIBC_MAX if native == "1" else None}


def package_function(root: Path, logical_id: str, handler: str, native: str, artifacts: Path,
                     log: Log) -> None:
    """A function's artifact: ``function.json`` only; its code is the layer's bootstrap."""
    build = layer_build(root, native)
    write_json_atomically(artifacts / FUNCTION_MANIFEST, {
        "function": logical_id, "handler": handler, "native": int(native),
        "layer": LAYER_LOGICAL_ID, "layerBuild": build,
    })
    log(f"artifact ready: {artifacts}/{FUNCTION_MANIFEST} (Handler {handler}; runs /opt/bootstrap of "
        f"{LAYER_LOGICAL_ID} build {build})")


NATIVE0_BOOTSTRAP = """#!/bin/sh
# NATIVE=0 layer: the handlers under CPython, for the local cloud ONLY
# (provided.al2023 has no python3). Set PYTHON to choose the interpreter.
# The sources are next to this script (the layer, /opt); LAMBDA_TASK_ROOT is the function.
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
export PYTHONPATH="$HERE"
export PYTHONUNBUFFERED=1
exec "${PYTHON:-python3}" -m lambda_runtime "$@"
"""


def package_cpython(root: Path, artifacts: Path, log: Log) -> None:
    """NATIVE=0 layer: copy the sources and write a ``bootstrap`` that runs them with CPython."""
    with tempfile.TemporaryDirectory(prefix="native0-") as tmp:
        staging = Path(tmp)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")
        for name, relative in SOURCES.items():
            shutil.copytree(root / relative, staging / name, ignore=ignore)
        script = staging / "bootstrap"
        script.write_text(NATIVE0_BOOTSTRAP)
        script.chmod(0o755)
        write_json_atomically(staging / LAYER_MANIFEST, layer_manifest(root, "0", source_key(root)))
        copy_tree(staging, artifacts)
    log(f"NATIVE=0: CPython layer in {artifacts} (local cloud only; provided.al2023 has no python3)")


def package_layer(root: Path, cache: Path, native: str, artifacts: Path, log: Log) -> None:
    """The layer: the cached dist (compiled first if needed) and ``native-runtime.json``.

    NATIVE=0: the sources and a shell ``bootstrap``."""
    if native == "0":
        package_cpython(root, artifacts, log)
        return
    dist = ensure_dist(root, cache, log)
    key = dist.name.removeprefix("dist-")
    write_json_atomically(artifacts / LAYER_MANIFEST, layer_manifest(root, "1", key))
    copy_tree(dist, artifacts)  # bootstrap last
    log(f"layer ready: {artifacts}/bootstrap (build {key}, every handler; /opt on Lambda)")


def main(argv: list[str] | None = None) -> int:
    """Command line entry: package one function, or fail loudly."""
    parser = argparse.ArgumentParser(description="Package the native layer or a function (docs/native.md).")
    parser.add_argument("--logical-id", required=True, help="the logical id in template.yaml")
    parser.add_argument("--layer", action="store_true",
                        help="package the layer (the bootstrap), not a function")
    parser.add_argument("--artifacts", required=True, type=Path, help="ARTIFACTS_DIR given by sam build")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="source root (default: this repo)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("NATIVE_CACHE_DIR", REPO_ROOT / ".cache" / "native")))
    args = parser.parse_args(argv)
    log = Log(args.logical_id)
    native = os.environ.get("NATIVE", "1").strip()
    artifacts: Path = args.artifacts
    prepared = False
    try:
        if native not in ("0", "1"):
            raise BuildError(f"NATIVE must be 0 or 1, not {native!r}")
        if not str(artifacts) or str(artifacts) == ".":
            raise BuildError("--artifacts is empty (ARTIFACTS_DIR is set by sam build)")
        root = args.root.resolve()
        if args.layer:
            if args.logical_id != LAYER_LOGICAL_ID:
                raise BuildError(f"the layer's logical id is {LAYER_LOGICAL_ID}, not {args.logical_id!r}")
            prepare_artifacts(artifacts, root)
            prepared = True
            package_layer(root, args.cache_dir.resolve(), native, artifacts, log)
            return 0
        folder = folder_for(args.logical_id)
        handler = root / "functions" / folder / "app.py"
        if not handler.is_file():
            raise BuildError(f"{args.logical_id}: no handler at {handler} (LogicalId <Name>Function -> "
                             f"functions/<name>/app.py)")
        prepare_artifacts(artifacts, root)
        prepared = True
        package_function(root, args.logical_id, f"functions.{folder}.app.handler", native, artifacts, log)
        return 0
    except (BuildError, OSError, subprocess.SubprocessError) as error:
        print(f"[native {args.logical_id}] ERROR: {error}", file=sys.stderr, flush=True)
        if prepared:  # never leave a half-written artifact that looks good
            shutil.rmtree(artifacts, ignore_errors=True)
            artifacts.mkdir(parents=True, exist_ok=True)
        return 1

if __name__ == "__main__":
    sys.exit(main())
