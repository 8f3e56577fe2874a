"""One LocalCloud for the workflow executions: provisioned from the BUILT template
(.aws-sam/build/template.yaml), real handlers on the function host, moto's Step Functions
interpreter. Event sources (pollers, pipes) stay off, so the queues keep what the workflows
sent and the tests read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud.cloud import LocalCloud
from tests.functional.statemachines.harness import ROOT, Mailbox

BUILT = ROOT / ".aws-sam" / "build" / "template.yaml"
SOURCES = [ROOT / "template.yaml"]


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    if not BUILT.is_file():
        pytest.skip("no built template: run `NATIVE=0 .venv-sam/bin/sam build` (or `make build`) first")
    stale = [p.name for p in SOURCES if p.stat().st_mtime > BUILT.stat().st_mtime]
    if stale:
        pytest.skip(f"the built template is older than {stale}: run `sam build` again")
    started = LocalCloud(
        build_dir=BUILT.parent,
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
