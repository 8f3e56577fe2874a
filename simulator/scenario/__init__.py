"""Scenario files (simulator/scenarios/*.yaml, schemas/scenario.schema.json) -> runnable cases.

    cases = load_dir(Path("simulator/scenarios"))                      # the hand-written suite
    cases = load_dir(Path("simulator/scenarios"), include_matrix=True)  # + the generated matrix
    case.behaviour  # the HarnessTable behaviour record; case.expect: what must happen

A case's `vin_pattern` is matched with `re.fullmatch`; None: any vehicle of `generation` that can do
`service_type`. The format: docs/test-harness.md, "Scenario files".
"""

from pathlib import Path

from simulator.scenario.loader import load, load_dir, scenario_files
from simulator.scenario.model import Case, Expect, ScenarioError

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"

__all__ = ["SCENARIOS_DIR", "Case", "Expect", "ScenarioError", "load", "load_dir", "scenario_files"]
