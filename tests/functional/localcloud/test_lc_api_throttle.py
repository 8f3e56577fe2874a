"""The local stage throttle: LocalCloud's api_rate/api_burst become the template parameters
ApiThrottleRate/ApiThrottleBurst, reach the API front through the stage's MethodSettings, and the
API answers 429 once the burst is spent (no timing asserted: the rate refills one token in 1000 s)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.cloud import LOCAL_API_BURST, LOCAL_API_RATE, LocalCloud, throttle_parameters
from localcloud.demo import call_api
from localcloud.sam_build import BUILD_DIR

BURST = 3


def _built() -> Path:
    """A built template (stale sources do not matter here: only the API stage is exercised)."""
    build_dir = Path(os.environ.get("LOCALCLOUD_BUILD_DIR") or BUILD_DIR)
    if not (build_dir / "template.yaml").is_file():
        pytest.skip(f"{build_dir}/template.yaml missing: build first (make build)")
    return build_dir


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(
        build_dir=_built(),
        # moto's backends are per process and region: stay clear of the session-wide e2e cloud
        region="eu-west-3",

        event_sources=False,
        warm=False,
        state_dir=tmp_path_factory.mktemp("localcloud"),
        progress=None,
        api_rate=0.001,
        api_burst=BURST,
    ) as cloud:
        yield cloud


def test_the_override_reaches_the_stage_and_429_follows_the_burst(throttled: LocalCloud) -> None:
    assert throttled.api_throttle == (0.001, float(BURST))
    assert throttled.info()["apiThrottle"] == [0.001, float(BURST)]
    path = "/v1/vehicles/WVWZZZ1JZXW000001/services/HORN_BLOW"
    answers = [call_api(throttled.api_url, "POST", path, None, b"{}").status for _ in range(BURST + 2)]
    assert answers[:BURST] == [401] * BURST  # within the burst: on to the authorizer (no token)
    assert answers[BURST:] == [429, 429]


def test_the_parameters_and_the_defaults() -> None:
    assert throttle_parameters(2.5, 7) == {"ApiThrottleRate": "2.5", "ApiThrottleBurst": "7"}
    assert throttle_parameters(None, None) == {}  # the template's values
    assert throttle_parameters(3.0, None) == {"ApiThrottleRate": "3"}
    assert 0 < LOCAL_API_RATE < 200 and 0 < LOCAL_API_BURST < 400  # below the template's (AWS) values
