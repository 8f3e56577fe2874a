"""The vehicle simulator, the broker mock and the subscriber mock (dev tools, never deployed)."""

from simulator.broker import BrokerCall, BrokerMock
from simulator.fleet import Behaviour, Fleet, FleetError, Vehicle, load_fleet, parse_fleet
from simulator.subscriber import Push, SubscriberMock
from simulator.vehicle import SimEntry, VehicleSimulator

__all__ = [
    "Behaviour",
    "BrokerCall",
    "BrokerMock",
    "Fleet",
    "FleetError",
    "Push",
    "SimEntry",
    "SubscriberMock",
    "Vehicle",
    "VehicleSimulator",
    "load_fleet",
    "parse_fleet",
]
