"""The oracle's broker rules: a broker that refused every attempt is BROKER_UNAVAILABLE; a broker that
did not answer in time may have delivered (the mock's slow mode does), so the car's answer decides."""

from __future__ import annotations

from pathlib import Path

from simulator.scenario import load

CASE = """version: 1
cases:
  - name: held
    generation: G1
    serviceType: HORN_BLOW
    broker: {{mode: {mode}, times: {times}, slowMs: {slow}}}
    vehicle: {{connected: {connected}, ack: {{delayMs: 100}}, done: {{delayMs: 2000}}}}
    expect: {{status: {status}, reason: {reason}}}
"""


def _expect(
    tmp_path: Path, mode: str, times: int, slow: int, connected: bool, status: str, reason: str
) -> None:
    path = tmp_path / "broker.yaml"
    text = CASE.format(
        mode=mode, times=times, slow=slow, connected=str(connected).lower(), status=status, reason=reason
    )
    path.write_text(text)
    (case,) = load([path])  # the loader checks the expectation against the oracle (ScenarioError if not)
    assert (case.expect.final_status, case.expect.reason) == (status, None if reason == "null" else reason)


def test_every_call_held_then_the_car_answers_is_the_cars_answer(tmp_path: Path) -> None:
    _expect(tmp_path, "slow", 0, 1500, True, "EXECUTED", "null")


def test_every_call_held_and_a_silent_car_times_out(tmp_path: Path) -> None:
    _expect(tmp_path, "slow", 0, 1500, False, "FAILED", "TIMEOUT")


def test_every_call_refused_is_broker_unavailable(tmp_path: Path) -> None:
    _expect(tmp_path, "error", 0, 0, True, "FAILED", "BROKER_UNAVAILABLE")
    _expect(tmp_path, "refuse", 0, 0, True, "FAILED", "BROKER_UNAVAILABLE")


def test_a_refusing_broker_also_allows_timeout_and_waits_for_it(tmp_path: Path) -> None:
    """A refusal slower than the connector's timeout is an unanswered call to it: TIMEOUT is as true."""
    path = tmp_path / "broker.yaml"
    path.write_text(
        CASE.format(
            mode="error", times=0, slow=0, connected="true", status="FAILED", reason="BROKER_UNAVAILABLE"
        )
    )
    (case,) = load([path])
    assert case.expect.or_timeout
    assert case.timeout_s > 10 + 30  # HORN_BLOW's PENDING window plus the lifecycle's slack
    held = tmp_path / "held.yaml"
    held.write_text(
        CASE.format(mode="slow", times=0, slow=1500, connected="true", status="EXECUTED", reason="null")
    )
    (exact,) = load([held])
    assert not exact.expect.or_timeout
