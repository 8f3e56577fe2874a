"""The local cloud as a target: the one `make run` serves (its `.localcloud/running.json`), or one
started for the run (`python -m localcloud serve --harness`) and stopped after it. Over HTTP and a
subprocess only: the simulator never imports the local cloud.

    with local_cloud(RUNNING) as info:     # what LocalCloud.info() publishes
        target = local_target(info, fleet)
    with target_from_args(args, fleet) as target:   # --stack/--region/--token-cmd, else --running
        ...
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simulator.fleet import Fleet
from simulator.runner.targets import (
    Target,
    TargetError,
    env_tokens,
    fleet_of,
    local_target,
    stack_target,
    token_command,
)

ROOT = Path(__file__).resolve().parents[2]
RUNNING = ROOT / ".localcloud" / "running.json"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered (401/403/404): it runs
    except OSError:
        return False


def running_info(path: Path) -> dict[str, Any] | None:
    """The description of a local cloud that runs and answers, or None."""
    if not path.is_file():
        return None
    info = json.loads(path.read_text())
    return info if isinstance(info, dict) and _answers(str(info.get("apiUrl", ""))) else None


def start_local(path: Path, timeout_s: float = 600.0) -> subprocess.Popen[bytes]:
    """`python -m localcloud serve` with the harness, until it has written `path`."""
    path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "localcloud", "serve", "--harness", "--info-file", str(path)]
    print(f"starting the local cloud: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    process = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + timeout_s
    while not path.is_file():
        if process.poll() is not None:
            raise TargetError(f"the local cloud exited with {process.returncode} before it was up")
        if time.monotonic() > deadline:
            process.terminate()
            raise TargetError(f"the local cloud was not up within {timeout_s:.0f} s")
        time.sleep(0.5)
    return process


@contextmanager
def local_cloud(path: Path = RUNNING) -> Iterator[dict[str, Any]]:
    """The running local cloud's description, or one started for the block (stopped after it)."""
    info = running_info(path)
    process = None
    if info is None:
        process = start_local(path)
        info = json.loads(path.read_text())
    try:
        yield info
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def target_from_args(args: argparse.Namespace, fleet: Fleet) -> Iterator[Target]:
    """The target a command line names: a deployed stack (`--stack`, `--region`, `--token-cmd` or the
    SCENARIO_TOKEN_<OWNER> variables), else the local cloud (`--running`, or one started for it)."""
    colour = getattr(args, "colour", None)
    if args.stack:
        if colour and not str(args.stack).endswith(f"-{colour}"):
            raise TargetError(
                f"--colour {colour}: name {colour}'s stack (<environment>-{colour}), not {args.stack}"
            )
        tokens = token_command(args.token_cmd) if args.token_cmd else env_tokens()
        shared = getattr(args, "shared_stack", None)
        yield stack_target(args.stack, args.region, tokens, fleet_of(fleet), shared_stack=shared)
        return
    with local_cloud(args.running) as info:
        yield local_target(info, fleet, colour)
