"""The vehicles the runner may use: at most one case per vehicle at a time (the API refuses a second
command while one is in flight), chosen by generation, capability and an optional VIN pattern."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Vehicle:
    vin: str
    owner: str
    generation: str
    capabilities: frozenset[str]


class NoVehicle(LookupError):
    """No vehicle of the fleet can ever run the case (say which selection found none)."""


class VehiclePool:
    """Hands out free vehicles; `take` blocks until one that fits is free."""

    def __init__(self, vehicles: list[Vehicle]) -> None:
        self._vehicles = list(vehicles)
        self._busy: set[str] = set()
        self.retired: list[str] = []
        self._cond = threading.Condition()

    def _fits(self, vehicle: Vehicle, generation: str, capability: str | None, pattern: str | None) -> bool:
        return (
            vehicle.generation == generation
            and (capability is None or capability in vehicle.capabilities)
            and (pattern is None or re.fullmatch(pattern, vehicle.vin) is not None)
        )

    def candidates(self, generation: str, capability: str | None, pattern: str | None) -> list[Vehicle]:
        return [v for v in self._vehicles if self._fits(v, generation, capability, pattern)]

    def take(
        self, generation: str, capability: str | None, pattern: str | None, timeout_s: float = 600.0
    ) -> Vehicle:
        """A free vehicle that fits (marked busy until `give_back`); NoVehicle if none ever fits.
        `capability` None: any vehicle (vehicle-initiated events need no capability)."""
        fitting = self.candidates(generation, capability, pattern)
        if not fitting:
            raise NoVehicle(
                f"no vehicle of generation {generation} with {capability or 'any capability'}"
                + (f" matching {pattern!r}" if pattern else "")
            )
        with self._cond:
            if not self._cond.wait_for(
                lambda: any(v.vin not in self._busy for v in fitting), timeout=timeout_s
            ):
                raise NoVehicle(f"every fitting vehicle stayed busy for {timeout_s:.0f} s")
            chosen = next(v for v in fitting if v.vin not in self._busy)
            self._busy.add(chosen.vin)
            return chosen

    def give_back(self, vehicle: Vehicle) -> None:
        with self._cond:
            self._busy.discard(vehicle.vin)
            self._cond.notify_all()

    def retire(self, vehicle: Vehicle) -> None:
        """Never hand `vehicle` out again: a command of it is still in flight (the API would refuse
        the next case's command with 409, a failure that is not that case's)."""
        with self._cond:
            self._busy.add(vehicle.vin)
            self.retired.append(vehicle.vin)
