"""The shipped scenario files: they load, the hand-written suite covers the catalog, the matrix is big."""

from __future__ import annotations

import json

from remote_services import catalog
from remote_services.vehicles import GENERATIONS
from simulator.scenario import SCENARIOS_DIR, Case, load, load_dir, scenario_files
from simulator.scenario.resolve import TIMEOUT_SLACK_MS


def app_types() -> set[str]:
    return {k for k, s in catalog.SERVICES.items() if s["initiator"] == catalog.APP}


def test_every_shipped_file_loads_and_is_schema_valid() -> None:
    files = scenario_files(SCENARIOS_DIR, include_matrix=True)
    assert len(files) >= 8
    for path in files:
        assert load([path]), path


def test_the_hand_written_suite_covers_every_app_service_on_both_generations_and_the_theft_alarm() -> None:
    cases = load_dir(SCENARIOS_DIR)
    assert len(cases) >= 30
    assert not [c for c in cases if c.id.startswith("matrix/")]
    covered = {(c.service_type, c.generation) for c in cases if c.expect.http_status == 202}
    assert {(s, g) for s in app_types() for g in GENERATIONS} <= covered
    alarms = [c for c in cases if c.service_type == "THEFT_ALARM"]
    assert alarms and all(c.expect.http_status == 0 and c.raise_events for c in alarms)
    assert len({c.id for c in cases}) == len(cases)


def test_the_hand_written_suite_has_few_slow_cases() -> None:
    cases = load_dir(SCENARIOS_DIR)
    # A TIMEOUT is decided at the deadline, or up to the checker's 30 s slack later under load: the
    # runner's wait bound covers that; the case ends as soon as the final status is there.
    slow = [c for c in cases if c.timeout_s > 60]
    assert len(slow) <= 3, [c.id for c in slow]
    assert sum(c.expect.reason == "TIMEOUT" for c in cases) <= 8
    assert max(c.timeout_s for c in cases) <= 90


def test_the_hand_written_suite_expects_what_the_api_answers_for_each_refusal() -> None:
    by_reason = {c.expect.reason: c for c in load_dir(SCENARIOS_DIR) if c.expect.final_status is None}
    assert by_reason["VALIDATION_FAILED"].expect.http_status == 400
    assert by_reason["UNSUPPORTED_BY_VEHICLE"].expect.http_status == 400  # enrich: not 403, not FAILED
    assert by_reason["NOT_OWNER"].expect.http_status == 403
    busy = by_reason["VEHICLE_BUSY"]
    assert busy.expect.http_status == 409 and busy.busy_with == "DOOR_LOCK"
    assert all(c.expect.pushes == 0 for c in by_reason.values())


def test_the_matrix_expands_to_more_than_a_thousand_unique_cases() -> None:
    cases = [c for c in load_dir(SCENARIOS_DIR, include_matrix=True) if c.id.startswith("matrix/")]
    assert len(cases) >= 1000
    assert len({c.id for c in cases}) == len(cases)
    assert {c.service_type for c in cases} == app_types()
    assert {c.generation for c in cases} == set(GENERATIONS)
    assert {c.expect.final_status for c in cases} == {"EXECUTED", "FAILED"}
    assert {c.expect.reason for c in cases} >= {None, "TIMEOUT", "BROKER_UNAVAILABLE", "REJECTED_BY_VEHICLE"}


def test_a_case_carries_the_behaviour_record_fully_resolved() -> None:
    case = next(c for c in load_dir(SCENARIOS_DIR) if c.id == "commands/horn-blow-ack-after-the-timeout")
    pending = catalog.expected_ms("HORN_BLOW", "PENDING")
    after = pending + TIMEOUT_SLACK_MS + 3000  # past the deadline and the checker's slack
    assert case.behaviour["vehicle"]["ack"] == {"send": True, "delayMs": after, "jitterMs": 0}
    assert set(case.behaviour) == {"vehicle", "broker"}
    assert json.loads(json.dumps(case.behaviour)) == case.behaviour  # plain JSON: numbers, no symbols
    assert case.expect.history == ("CREATED", "PENDING", "FAILED")
    assert case.timeout_s >= pending / 1000


def test_matrix_ids_name_their_axis_values() -> None:
    cases: list[Case] = load([SCENARIOS_DIR / "matrix.yaml"])
    assert "matrix/command[CLIMATE_START,G2,ack-after-timeout,late]" in {c.id for c in cases}
    climate = next(c for c in cases if c.id == "matrix/command[CLIMATE_START,G2,ack-after-timeout,late]")
    assert (
        climate.behaviour["vehicle"]["ack"]["delayMs"]
        == catalog.expected_ms("CLIMATE_START", "PENDING") + TIMEOUT_SLACK_MS + 3000
    )
    assert climate.parameters == {"targetTemperatureC": 20.5, "durationMin": 10}
