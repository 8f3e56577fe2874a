"""The runner's vehicle pool: one case per vehicle at a time, chosen by generation, capability, pattern."""

from __future__ import annotations

import threading
import time

import pytest

from simulator.runner.vehicles import NoVehicle, Vehicle, VehiclePool

G1 = Vehicle("WVWZZZ1JZXW000001", "alice", "G1", frozenset({"HORN_BLOW"}))
G1_B = Vehicle("WVWZZZ1JZXW000002", "alice", "G1", frozenset({"HORN_BLOW", "DOOR_LOCK"}))
G2 = Vehicle("WVWZZZ1JZXW000003", "bob", "G2", frozenset({"HORN_BLOW"}))


def test_takes_a_fitting_vehicle_and_never_the_same_twice() -> None:
    pool = VehiclePool([G1, G1_B, G2])
    first = pool.take("G1", "HORN_BLOW", None)
    second = pool.take("G1", "HORN_BLOW", None)
    assert {first.vin, second.vin} == {G1.vin, G1_B.vin}
    with pytest.raises(NoVehicle, match="busy"):
        pool.take("G1", "HORN_BLOW", None, timeout_s=0.1)


def test_capability_pattern_and_generation_select() -> None:
    pool = VehiclePool([G1, G1_B, G2])
    assert pool.take("G1", "DOOR_LOCK", None) == G1_B
    assert pool.take("G2", None, r"WVW.*3") == G2
    with pytest.raises(NoVehicle, match="no vehicle of generation G2 with DOOR_LOCK"):
        pool.take("G2", "DOOR_LOCK", None)
    with pytest.raises(NoVehicle, match="matching"):
        pool.take("G1", "HORN_BLOW", r"NOPE.*")


def test_a_vehicle_given_back_wakes_a_waiting_case() -> None:
    pool = VehiclePool([G2])
    held = pool.take("G2", "HORN_BLOW", None)
    got: list[Vehicle] = []
    waiter = threading.Thread(target=lambda: got.append(pool.take("G2", "HORN_BLOW", None, timeout_s=5)))
    waiter.start()
    time.sleep(0.1)
    assert not got
    pool.give_back(held)
    waiter.join(timeout=5)
    assert got == [G2]


def test_a_retired_vehicle_is_never_handed_out_again() -> None:
    pool = VehiclePool([G2])
    pool.retire(pool.take("G2", "HORN_BLOW", None))
    assert pool.retired == [G2.vin]
    with pytest.raises(NoVehicle, match="busy"):
        pool.take("G2", "HORN_BLOW", None, timeout_s=0.1)
