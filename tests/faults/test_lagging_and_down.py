"""Our own parts lagging or down: the persister paused while vehicles answer, the subscriber down
for a while, the broker answering 5xx or too slowly. A timeout must still mean the vehicle did not
answer, and the owner must still hear of the final state."""

from __future__ import annotations

import time
from collections.abc import Iterator

from localcloud.cloud import LocalCloud
from simulator.fleet import Vehicle
from tests.faults.faults import assert_true_end, command, final_state, history, paused, visibility

EXECUTED = ["CREATED", "PENDING", "RUNNING", "EXECUTED"]


def test_a_paused_persister_is_not_mistaken_for_silent_vehicles(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The persister's processes are stopped (SIGSTOP) past the CREATED window (2 s) while a burst
    of vehicles answers: no command times out, STATE is final before the history is written, and
    the history is complete once the persister runs again."""
    cloud.host.warm("PersisterFunction")
    events = []
    # a batch handed to a stopped instance times out (10 s) and comes back after the visibility timeout
    with visibility(cloud, "PersisterQueue", 5), paused(cloud, "PersisterFunction"):
        events = [command(cloud, next(vehicles)) for _ in range(5)]
        for event_id in events:
            state = final_state(cloud, event_id, timeout_s=30)
            assert state["status"] == "EXECUTED", state
        time.sleep(3)  # past the CREATED checks: they read STATE, not the stalled history
        assert all(cloud.state(e)["status"] == "EXECUTED" for e in events)  # type: ignore[index]
    for event_id in events:
        assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)


def test_the_subscriber_down_for_a_while_delays_the_push_but_loses_none(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """Every push attempt fails for a while (503): the claim is given back each time, the record is
    retried after the visibility timeout, and the owner hears of it once the subscriber is back."""
    with visibility(cloud, "DistributorQueue", 2):
        cloud.subscriber.fail_next(6)  # two receives of three attempts each
        event_id = command(cloud, next(vehicles))
        pushes = assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
    assert cloud.subscriber.refused >= 6 and len(pushes) == 1


def test_a_broker_answering_5xx_is_retried_then_the_command_fails_as_broker_unavailable(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    cloud.broker.fail_next(2)  # two 503s: the third attempt goes through
    recovered = command(cloud, next(vehicles))
    assert_true_end(cloud, recovered, "EXECUTED", statuses=EXECUTED)
    cloud.broker.fail_next(3)  # every attempt of one receive fails: a final answer, not a retry storm
    refused = command(cloud, next(vehicles))
    assert_true_end(cloud, refused, "FAILED", "BROKER_UNAVAILABLE", statuses=["CREATED", "PENDING", "FAILED"])


def test_a_broker_slower_than_the_1s_timeout_is_retried(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The first call is held 1.5 s (the connector drops it after 1 s and retries): the car may get
    the command twice; it ends EXECUTED once, the second answers are audit only."""
    cloud.broker.slow_next(1, 1.5)
    event_id = command(cloud, next(vehicles))
    assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
    history(cloud, event_id, EXECUTED)
