"""The simulated fleet: vehicles (owner, generation, country, capabilities).

`simulator/fleet.json` (or any JSON/YAML file of the same shape)::

    {"vehicles": [{"vin": "...", "owner": "alice", "generation": "G2", "country": "DE",
                   "capabilities": ["HORN_BLOW", ...] | "ALL"}],
     "generated": [{"prefix": "WVWZZZ1JZXB", "count": 200, "owner": "bench", "generation": "ALTERNATE",
                    "country": "DE", "capabilities": "ALL"}]}

How each vehicle answers commands is not here: the scenario files `simulator/scenarios/fleet-*.yaml`
say it (`simulator.scenario.seeds`), and the test harness's broker mock acts it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remote_services import catalog
from remote_services.errors import DomainError
from remote_services.vehicles import GENERATIONS, check_vin

MOVED = ("behaviour", "ackMs", "doneMs", "reason")  # to simulator/scenarios/fleet-*.yaml
IS_A_SCENARIO = "a vehicle's behaviour is a scenario now (simulator/scenarios/fleet-*.yaml)"
DEFAULT_FLEET = Path(__file__).with_name("fleet.json")


class FleetError(ValueError):
    """A fleet/scenario file that does not make sense."""


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of the fleet (a registry item)."""

    vin: str
    owner: str  # a user name; the registry stores the owner's Cognito `sub`
    generation: str
    country: str
    capabilities: tuple[str, ...]


@dataclass
class Fleet:
    """The vehicles by VIN."""

    vehicles: dict[str, Vehicle]

    def owners(self) -> list[str]:
        return sorted({v.owner for v in self.vehicles.values()})

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


def _vehicle(raw: Mapping[str, Any], where: str) -> Vehicle:
    moved = [k for k in MOVED if k in raw]
    if moved:
        raise FleetError(f"{where}: {', '.join(moved)}: {IS_A_SCENARIO}")
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
    )


def parse_fleet(data: Mapping[str, Any]) -> Fleet:
    """Build a Fleet from the parsed fleet document; FleetError names the bad entry."""
    if "defaults" in data:
        raise FleetError(f"defaults: {IS_A_SCENARIO}")
    if "weights" in data:
        raise FleetError(
            "weights: the blue/green weights are the router's (the shared API stage), mirrored in the "
            "weights table by `python -m bluegreen sync|shift` (docs/bluegreen.md), not the fleet's"
        )
    vehicles: dict[str, Vehicle] = {}
    for i, raw in enumerate(data.get("vehicles") or []):
        v = _vehicle(raw, f"vehicles[{i}]")
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
            v = _vehicle(raw, f"generated[{i}] #{n}")
            vehicles[v.vin] = v
    return Fleet(vehicles)


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
