"""The simulated fleet, the scenario files and the scenario runner (dev tools, never deployed).

The vehicle's side runs in the deployed test harness (`src/remote_services/harness/`, the broker and
subscription mocks); this package says what it should do (`simulator.scenario`) and checks what
happened (`simulator.runner`).
"""

from simulator.fleet import Fleet, FleetError, Vehicle, load_fleet, parse_fleet

__all__ = ["Fleet", "FleetError", "Vehicle", "load_fleet", "parse_fleet"]
