"""Shared fixtures: `cloud`, ONE LocalCloud for the whole session (built artifacts, production
expected times, the deployed test harness: docs/test-harness.md), and `target`, the scenario runner's
view of it (`simulator.runner.targets.local_target`) for the cases driven through the runner.

The build used: `.aws-sam/build` when it is up to date (CI builds it natively before pytest);
otherwise a CPython build (NATIVE=0) made once into `.localcloud/build`. Set LOCALCLOUD_BUILD_DIR
to force a build directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud
from simulator.runner.targets import Target, local_target

# the shared moto fixture (`moto_server`) for every suite
pytest_plugins = ["tests.support.moto"]

ROOT = Path(__file__).resolve().parent.parent
# The lifecycle's expected times as in production (HORN_BLOW: CREATED 30 s, PENDING 10 s): a silent
# car fails in ~10 s.
TIME_SCALE = 1.0


def _build_dir() -> Path:
    from localcloud.sam_build import BUILD_DIR, build_state, sam_build

    forced = os.environ.get("LOCALCLOUD_BUILD_DIR")
    if forced:
        return Path(forced)
    if build_state(os.environ.get("NATIVE", "1"), BUILD_DIR) is None:
        return BUILD_DIR
    private = ROOT / ".localcloud" / "build"
    if build_state("0", private) is not None:
        sam_build("0", private, out=lambda _line: None)
    return private


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    """The running local cloud."""
    with LocalCloud(
        build_dir=_build_dir(),
        time_scale=TIME_SCALE,
        state_dir=ROOT / ".localcloud" / "e2e",
        progress=None,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def target(cloud: LocalCloud) -> Target:
    """The session's cloud as the scenario runner sees it (over HTTP, as `python -m simulator run`)."""
    return local_target(cloud.info(), cloud.fleet)
