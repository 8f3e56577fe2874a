"""Cold-start hygiene: importing a handler pulls in none of the heavy modules (checked in a fresh
interpreter, by module presence, not by timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PURE = ["validate", "enrich", "vehicle_decoder"]
AWS = [
    "persister",
    "distributor",
    "lifecycle_scheduler",
    "lifecycle_checker",
    "vehicle_connector",
    "disclosure",
]
HARNESS = ["broker_mock", "subscription_mock", "harness_relay"]  # DeployTestHarness only
NEVER = [
    "typing",
    "logging",
    "dataclasses",
    "uuid",
    "asyncio",
    "decimal",
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "pydantic",
    "urllib.request",
]
NOT_AT_INIT = ["http.client", "ssl", "email", "traceback"]  # imported on first use only


def imported(module: str) -> set[str]:
    code = f"import sys, json; import {module}; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("src", "."))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("name", PURE + AWS + HARNESS)
def test_handler_import_is_lean(name: str) -> None:
    modules = imported(f"functions.{name}.app")
    assert f"functions.{name}.app" in modules
    assert sorted(m for m in NEVER + NOT_AT_INIT if m in modules) == []
