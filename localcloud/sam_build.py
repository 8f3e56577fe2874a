"""Building for the local cloud: is the build up to date, and `sam build` with NATIVE=0|1.

    reason = build_state("0", Path(".aws-sam/build"))   # None: up to date; else why a build is needed
    sam_build("0", Path(".aws-sam/build"), out=print)   # streams sam's output; BuildError on failure

A marker `.localcloud-build.json` in the build directory records NATIVE and the build time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / ".aws-sam" / "build"
MARKER_NAME = ".localcloud-build.json"
SOURCES = (
    "template.yaml",
    "functions",
    "src",
    "statemachines",
    "api",
    "schemas",
    "build/native",
    "layers",
    "Makefile",
)


class BuildError(SystemExit):
    """`sam build` failed or is not installed (exits the CLI with the message)."""


def newest_source_mtime(root: Path = ROOT) -> float:
    """The newest modification time of any file the build depends on."""
    newest = 0.0
    for rel in SOURCES:
        p = root / rel
        if p.is_file():
            newest = max(newest, p.stat().st_mtime)
        elif p.is_dir():
            for f in p.rglob("*"):
                if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                    newest = max(newest, f.stat().st_mtime)
    return newest


def build_state(native: str, build_dir: Path = BUILD_DIR) -> str | None:
    """Why a build is needed, or None when `build_dir` is up to date for this NATIVE setting."""
    built = build_dir / "template.yaml"
    if not built.is_file():
        return f"{built} is missing"
    try:
        marker = json.loads((build_dir / MARKER_NAME).read_text())
    except (OSError, ValueError):
        marker = {}
    if marker.get("native", native) != native:
        return f"the build was made with NATIVE={marker.get('native')}, NATIVE={native} asked"
    if newest_source_mtime() > built.stat().st_mtime:
        return "sources changed since the last build"
    return None


def sam_build(
    native: str, build_dir: Path = BUILD_DIR, out: Callable[[str], None] = print, timeout_s: float = 3600.0
) -> float:
    """Run `.venv-sam/bin/sam build` (NATIVE=native) into `build_dir`; returns the seconds it took."""
    sam = ROOT / ".venv-sam" / "bin" / "sam"
    if not sam.exists():
        raise BuildError(f"{sam} not found: run `make venv` first")
    env = dict(os.environ, NATIVE=native)
    what = (
        "Nuitka native binaries (first build: minutes; cached after)"
        if native == "1"
        else "CPython bootstraps (NATIVE=0, seconds)"
    )
    out(f"[build] sam build: {what}")
    t0 = time.monotonic()
    cmd = [str(sam), "build", "--build-dir", str(build_dir)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                out(f"[build {time.monotonic() - t0:6.1f}s] {line}")
            if time.monotonic() - t0 > timeout_s:
                raise BuildError(f"sam build took more than {timeout_s:.0f} s: stopped")
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    if rc != 0:
        raise BuildError(f"sam build failed (exit {rc})")
    seconds = round(time.monotonic() - t0, 1)
    (build_dir / MARKER_NAME).write_text(
        json.dumps({"native": native, "builtAt": time.time(), "seconds": seconds})
    )
    out(f"[build] done in {seconds} s")
    return seconds
