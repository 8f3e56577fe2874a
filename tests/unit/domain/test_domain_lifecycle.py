"""Lifecycle timing and settings."""

from __future__ import annotations

import pytest

from remote_services.envelope import new_event
from remote_services.errors import ValidationError
from remote_services.lifecycle import MAX_DELAY_S, delay_seconds, due_ms
from remote_services.settings import ConfigError, env, env_float, env_int
from remote_services.typedefs import Envelope


def event(service: str, status: str) -> Envelope:
    return new_event(
        event_id="e-1",
        vin="WVWZZZ1JZXW000001",
        service_type=service,
        status=status,
        colour="blue",
        first_seen_ms=1_000_000,
        updated_ms=1_000_500,
        parameters={"targetTemperatureC": 20} if service == "CLIMATE_START" else {},
    )


def test_due_is_updated_plus_expected_time_scaled() -> None:
    assert due_ms(event("HORN_BLOW", "CREATED"), 1.0) == 1_000_500 + 30_000
    assert due_ms(event("HORN_BLOW", "PENDING"), 0.01) == 1_000_500 + 100
    assert due_ms(event("CLIMATE_START", "RUNNING"), 1.0) == 1_000_500 + 60000
    with pytest.raises(ValidationError, match="does not wait"):
        due_ms(event("THEFT_ALARM", "RUNNING"))


@pytest.mark.parametrize(
    ("due", "now", "delay"),
    [
        (10_000, 10_000, 0),
        (10_001, 10_000, 1),
        (9_000, 10_000, 0),
        (10_000 + 2_500, 10_000, 3),
        (10_000 + 3_600_000, 10_000, MAX_DELAY_S),
    ],
)
def test_delay_seconds_is_ceiled_and_capped(due: int, now: int, delay: int) -> None:
    assert delay_seconds(due, now) == delay


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_UNSET", raising=False)
    with pytest.raises(ConfigError, match="X_UNSET is not set"):
        env("X_UNSET")
    assert env_float("X_UNSET", 1.5) == 1.5 and env_int("X_UNSET", 30) == 30
    monkeypatch.setenv("X_SET", "0.25")
    assert env_float("X_SET", 1.0) == 0.25
    with pytest.raises(ConfigError, match="integer"):
        env_int("X_SET", 1)
