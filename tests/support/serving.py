"""A local cloud serving in a process of its own (`python -m localcloud serve`), as a developer runs
it: for the end-to-end tests that need one beside the session's (moto's state is per process).

    with serving(info_file, "--colours", "blue,green") as info:   # what LocalCloud.info() publishes
        ...
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


@contextmanager
def serving(info_file: Path, *args: str, timeout_s: float = 300.0) -> Iterator[dict[str, Any]]:
    """`python -m localcloud serve --harness --no-build --info-file ... *args`; yields its description."""
    command = [sys.executable, "-m", "localcloud", "serve", "--harness", "--no-build",
               "--info-file", str(info_file), *args]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while not info_file.is_file():
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, f"the local cloud was not up within {timeout_s:.0f} s"
            time.sleep(0.2)
        yield json.loads(info_file.read_text())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
