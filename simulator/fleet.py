"""The simulated fleet: vehicles (owner, generation, country, capabilities) and their behaviour.

`simulator/fleet.json` (or any JSON/YAML file of the same shape)::

    {"weights": {"blue": 100, "green": 0},
     "defaults": {"behaviour": "immediate", "ackMs": 0, "doneMs": 0},
     "vehicles": [{"vin": "...", "owner": "alice", "generation": "G2", "country": "DE",
                   "capabilities": ["HORN_BLOW", ...] | "ALL",
                   "behaviour": "late", "ackMs": 500, "doneMs": 1500}],
     "generated": [{"prefix": "WVWZZZ1JZXB", "count": 200, "owner": "bench", "generation": "ALTERNATE",
                    "country": "DE", "capabilities": "ALL", "behaviour": "immediate"}]}

Behaviours: immediate | late (ack after ackMs, done after doneMs) | silent (no connectivity) |
reject (ack, then FAILED with `reason`, default REJECTED_BY_VEHICLE) | duplicate (every message
twice) | out_of_order (done before ack). Delays are multiplied by the simulator's time scale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from remote_services import catalog
from remote_services.errors import DomainError
from remote_services.vehicles import GENERATIONS, check_vin

BEHAVIOURS = ("immediate", "late", "silent", "reject", "duplicate", "out_of_order")
DEFAULT_FLEET = Path(__file__).with_name("fleet.json")


class FleetError(ValueError):
    """A fleet/scenario file that does not make sense."""


@dataclass(frozen=True)
class Behaviour:
    """How one vehicle answers commands."""

    kind: str = "immediate"
    ack_ms: int = 0
    done_ms: int = 0
    reason: str = "REJECTED_BY_VEHICLE"


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of the fleet (a registry item plus its simulated behaviour)."""

    vin: str
    owner: str  # a user name; the registry stores the owner's Cognito `sub`
    generation: str
    country: str
    capabilities: tuple[str, ...]
    behaviour: Behaviour = field(default_factory=Behaviour)


@dataclass
class Fleet:
    """The vehicles by VIN and the blue/green weights."""

    vehicles: dict[str, Vehicle]
    weights: dict[str, int]

    def owners(self) -> list[str]:
        return sorted({v.owner for v in self.vehicles.values()})

    def by_behaviour(self, kind: str, owner: str | None = None) -> list[Vehicle]:
        return [v for v in self.vehicles.values() if v.behaviour.kind == kind and owner in (None, v.owner)]

    def with_behaviour(self, vin: str, behaviour: Behaviour) -> None:
        self.vehicles[vin] = replace(self.vehicles[vin], behaviour=behaviour)

    def registry_items(self, subs: Mapping[str, str]) -> Iterable[dict[str, Any]]:
        """DynamoDB items (AttributeValue JSON) for the registry; `subs` maps user name -> Cognito sub."""
        for v in self.vehicles.values():
            yield {
                "vin": {"S": v.vin},
                "owner": {"S": subs.get(v.owner, v.owner)},
                "generation": {"S": v.generation},
                "country": {"S": v.country},
                "capabilities": {"SS": list(v.capabilities)},
            }


def _all_app_services() -> tuple[str, ...]:
    return tuple(sorted(k for k, s in catalog.SERVICES.items() if s["initiator"] == catalog.APP))


def _behaviour(raw: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> Behaviour:
    merged = {**defaults, **raw}
    kind = str(merged.get("behaviour", "immediate"))
    if kind not in BEHAVIOURS:
        raise FleetError(f"{where}: behaviour {kind!r} is not one of {', '.join(BEHAVIOURS)}")
    try:
        return Behaviour(
            kind,
            int(merged.get("ackMs", 0)),
            int(merged.get("doneMs", 0)),
            str(merged.get("reason", "REJECTED_BY_VEHICLE")),
        )
    except (TypeError, ValueError) as exc:
        raise FleetError(f"{where}: ackMs/doneMs must be integers ({exc})") from None


def _capabilities(raw: Any, where: str) -> tuple[str, ...]:
    if raw in (None, "ALL"):
        caps = _all_app_services()
    elif isinstance(raw, list):
        caps = tuple(str(c) for c in raw)
    else:
        raise FleetError(f'{where}: capabilities must be a list of service types or "ALL"')
    unknown = [c for c in caps if c not in catalog.SERVICES]
    if unknown:
        raise FleetError(f"{where}: unknown service type(s) {unknown}")
    return caps


def _vehicle(raw: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> Vehicle:
    try:
        vin = check_vin(raw.get("vin"))
    except DomainError as exc:
        raise FleetError(f"{where}: {exc.message}") from None
    gen = raw.get("generation", "G2")
    if gen not in GENERATIONS:
        raise FleetError(f"{where}: generation {gen!r} is not one of {GENERATIONS}")
    owner = raw.get("owner")
    if not isinstance(owner, str) or not owner:
        raise FleetError(f"{where}: owner must be a user name")
    return Vehicle(
        vin,
        owner,
        str(gen),
        str(raw.get("country", "DE")),
        _capabilities(raw.get("capabilities"), where),
        _behaviour(raw, defaults, where),
    )


def parse_fleet(data: Mapping[str, Any]) -> Fleet:
    """Build a Fleet from the parsed fleet document; FleetError names the bad entry."""
    defaults = data.get("defaults") or {}
    vehicles: dict[str, Vehicle] = {}
    for i, raw in enumerate(data.get("vehicles") or []):
        v = _vehicle(raw, defaults, f"vehicles[{i}]")
        if v.vin in vehicles:
            raise FleetError(f"vehicles[{i}]: duplicate VIN {v.vin}")
        vehicles[v.vin] = v
    for i, gen in enumerate(data.get("generated") or []):
        prefix, count = str(gen.get("prefix", "")), int(gen.get("count", 0))
        if len(prefix) != 11:
            raise FleetError(f"generated[{i}]: prefix must be 11 characters (plus a 6-digit serial)")
        for n in range(count):
            generation = gen.get("generation", "G2")
            if generation == "ALTERNATE":
                generation = GENERATIONS[n % len(GENERATIONS)]
            raw = {**gen, "vin": f"{prefix}{n:06d}", "generation": generation}
            v = _vehicle(raw, defaults, f"generated[{i}] #{n}")
            vehicles[v.vin] = v
    weights = {str(k): int(v) for k, v in (data.get("weights") or {"blue": 100, "green": 0}).items()}
    return Fleet(vehicles, weights)


def load_fleet(path: str | Path = DEFAULT_FLEET) -> Fleet:
    """Read a fleet file (JSON, or YAML when the name ends in .yaml/.yml)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix in (".yaml", ".yml"):
        import yaml  # type: ignore[import-untyped, unused-ignore]

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise FleetError(f"{p}: the fleet must be a JSON object")
    return parse_fleet(data)
