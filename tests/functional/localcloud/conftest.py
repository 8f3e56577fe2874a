"""Fixtures: one local cloud (moto + function host + front) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.localcloud.lc_support import Cloud, start_cloud, stop_cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    started = start_cloud(tmp_path_factory.mktemp("logs"))
    try:
        yield started
    finally:
        stop_cloud(started)
