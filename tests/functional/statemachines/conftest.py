"""One LocalCloud for the workflow executions: provisioned from a BUILT template, real handlers on
the function host, moto's Step Functions interpreter. The template is built for this session
(`sam build --build-dir <tmp>`, NATIVE=0: the handlers under CPython), so the tests always run the
current template and never touch .aws-sam/. It runs in its own region (see REGION). Event sources
(pollers, pipes) stay off, so the queues keep what the workflows sent and the tests read it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud
from tests.functional.statemachines.harness import ROOT, Mailbox

SAM = ROOT / ".venv-sam" / "bin" / "sam"
REGION = "eu-west-1"


def build(build_dir: Path) -> Path:
    """`sam build` of template.yaml into build_dir (CPython artifacts); the built template's path."""
    env = {**os.environ, "NATIVE": "0", "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [str(SAM), "build", "--template-file", str(ROOT / "template.yaml"), "--build-dir", str(build_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"sam build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return build_dir / "template.yaml"


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    if not SAM.exists():
        pytest.skip(".venv-sam/bin/sam is missing (make venv installs it): cannot build the template")
    built = build(tmp_path_factory.mktemp("sam-build"))
    started = LocalCloud(
        build_dir=built.parent,
        # moto's backends are per process and per region: the session-wide e2e cloud
        # (tests/conftest.py, us-east-1) and this one must not share queues or tables.
        region=REGION,

        event_sources=False,
        warm=False,
        state_dir=tmp_path_factory.mktemp("localcloud"),
        progress=None,
    ).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def mailbox(cloud: LocalCloud) -> Mailbox:
    return Mailbox(cloud.client("sqs"))
