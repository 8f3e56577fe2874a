"""The Artillery profile: the seed's, read from loadtest/seed-profile.yml, scaled for a target.

profile = load_profile()                          # the YAML as a dict
scaled(profile, rate_scale=0.03, time_scale=0.05) # rates and durations multiplied
phases(profile) -> [{"name", "duration", "arrivalRate", "rampTo"?}]
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

HERE = Path(__file__).resolve().parent
SEED_PROFILE = HERE / "seed-profile.yml"
PROCESSOR = HERE / "processor.js"
MIN_PHASE_S = 5


class ProfileError(ValueError):
    """A profile that cannot be run (says which phase and field)."""


def load_profile(path: Path = SEED_PROFILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "config" not in data or "scenarios" not in data:
        raise ProfileError(f"{path}: not an Artillery script (config and scenarios)")
    phases(data)  # checked
    return data


def phases(profile: dict[str, Any]) -> list[dict[str, Any]]:
    out = profile["config"].get("phases") or []
    for i, phase in enumerate(out):
        for key in ("duration", "arrivalRate"):
            value = phase.get(key)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ProfileError(
                    f"config.phases[{i}] ({phase.get('name', '?')}): {key} must be a positive number"
                )
    if not out:
        raise ProfileError("config.phases: none")
    return list(out)


def _rate(value: float, scale: float) -> int:
    """Artillery's arrival rates are whole numbers per second: at least 1 where the seed has one."""
    return max(1, round(value * scale))


def scaled(profile: dict[str, Any], rate_scale: float, time_scale: float) -> dict[str, Any]:
    """The profile with every phase's rates times `rate_scale` (at least 1/s) and its duration times
    `time_scale` (at least MIN_PHASE_S); the processor by absolute path (the file is written elsewhere)."""
    if rate_scale <= 0 or time_scale <= 0:
        raise ProfileError("--rate-scale and --time-scale must be positive")
    out = copy.deepcopy(profile)
    for phase in out["config"]["phases"]:
        phase["duration"] = max(MIN_PHASE_S, math.ceil(phase["duration"] * time_scale))
        phase["arrivalRate"] = _rate(phase["arrivalRate"], rate_scale)
        if "rampTo" in phase:
            phase["rampTo"] = _rate(phase["rampTo"], rate_scale)
    out["config"]["processor"] = str(PROCESSOR)
    return out


def expected_requests(profile: dict[str, Any]) -> int:
    """About how many requests the phases send (a linear ramp sends its mean rate)."""
    total = 0.0
    for phase in phases(profile):
        rate_to = phase.get("rampTo", phase["arrivalRate"])
        total += phase["duration"] * (phase["arrivalRate"] + rate_to) / 2
    return round(total)
