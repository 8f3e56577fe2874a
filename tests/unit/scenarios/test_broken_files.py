"""Broken scenario files are rejected with a message naming the file, the case and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario import ScenarioError, load, load_dir

GOOD = """\
version: 1
cases:
  - name: ok
    generation: G2
    serviceType: HORN_BLOW
    vehicle: {ack: {delayMs: 100}, done: {delayMs: 2000}}
    expect: {status: EXECUTED, history: [CREATED, PENDING, RUNNING, EXECUTED], pushes: 1}
"""

# file name -> (text, case, field, a word of the message)
BROKEN: dict[str, tuple[str, str | None, str, str]] = {
    "unknown-field": (
        GOOD.replace("    generation: G2", "    generation: G2\n    speed: 3"),
        "ok",
        "speed",
        "unknown",
    ),
    "wrong-type": (GOOD.replace("delayMs: 100", "delayMs: soon"), "ok", "vehicle.ack.delayMs", "soon"),
    "unknown-service": (GOOD.replace("HORN_BLOW", "TELEPORT"), "ok", "serviceType", "TELEPORT"),
    "unknown-generation": (GOOD.replace("G2", "G7"), "ok", "generation", "G7"),
    "unknown-status": (GOOD.replace("RUNNING", "WAITING"), "ok", "expect.history[2]", "WAITING"),
    "unknown-reason": (
        GOOD.replace("done: {delayMs: 2000}", "done: {delayMs: 2000, result: FAILED, reason: DOORS_OPEN}"),
        "ok",
        "vehicle.done.reason",
        "DOORS_OPEN",
    ),
    "executed-without-connectivity": (
        GOOD.replace("vehicle: {", "vehicle: {connected: false, "),
        "ok",
        "expect.status",
        "TIMEOUT",
    ),
    "ack-on-the-deadline": (
        GOOD.replace("delayMs: 100", "delayMs: 9500").replace("delayMs: 2000", "delayMs: 11000"),
        "ok",
        "vehicle.ack.delayMs",
        "race",
    ),
    "accepted-but-invalid": (
        GOOD.replace("    generation: G2", "    generation: G2\n    parameters: {durationS: 99}"),
        "ok",
        "expect.http",
        "400",
    ),
    "missing-name": (
        GOOD.replace("  - name: ok\n    generation", "  - generation"),
        "cases[0]",
        "name",
        "required",
    ),
    "duplicate-id": (GOOD + GOOD.split("cases:\n", 1)[1], "ok", "name", "duplicate"),
    "yaml-syntax": (GOOD.replace("history: [CREATED,", "history: [CREATED,,\n  ]]"), None, "line", "YAML"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_rejected_naming_file_case_and_field(tmp_path: Path, name: str) -> None:
    text, case, field, word = BROKEN[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load([path])
    error = caught.value
    assert error.file == str(path)
    assert error.case == case
    assert error.field.startswith(field), error.field
    message = str(error)
    assert str(path) in message and field in message and word.lower() in message.lower(), message
    if case is not None:
        assert repr(case) in message


def test_a_folder_with_several_broken_files_names_the_first_and_each_one_alone(tmp_path: Path) -> None:
    (tmp_path / "a-good.yaml").write_text(GOOD, encoding="utf-8")
    for name in ("b-unknown-service", "c-wrong-type"):
        key = name.split("-", 1)[1]
        (tmp_path / f"{name}.yaml").write_text(BROKEN[key][0], encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_dir(tmp_path)
    assert caught.value.file.endswith("b-unknown-service.yaml") and caught.value.field == "serviceType"
    assert len(load([tmp_path / "a-good.yaml"])) == 1


def test_the_same_case_in_two_files_is_two_ids_but_a_repeated_file_is_a_duplicate(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "two.yaml").write_text(GOOD, encoding="utf-8")
    assert [c.id for c in load_dir(tmp_path)] == ["one/ok", "two/ok"]
    with pytest.raises(ScenarioError, match="duplicate case id 'one/ok'"):
        load([tmp_path / "one.yaml", tmp_path / "one.yaml"])


def test_a_matrix_case_that_one_combination_contradicts_names_that_combination(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    generation: G2\n",
        "    matrix:\n      generation: [G1, G2]\n      timing:\n"
        "        fast: {vehicle: {ack: {delayMs: 100}}}\n        slow: {vehicle: {ack: {delayMs: 45000}, "
        "done: {delayMs: 46000}}}\n",  # past the PENDING deadline and the checker's slack: a TIMEOUT
    )
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load([path])
    assert caught.value.case == "ok[G1,slow]" and caught.value.field == "expect.status"
