"""Our own parts lagging or down: the persister paused while vehicles answer, the subscriber down
for a while, the broker answering 5xx or too slowly. A timeout must still mean the vehicle did not
answer, and the owner must still hear of the final state."""

from __future__ import annotations

import time
from collections.abc import Iterator

from localcloud.cloud import LocalCloud
from simulator.fleet import Vehicle
from tests.faults.faults import (
    assert_true_end,
    behaving,
    broker,
    command,
    final_state,
    history,
    paused,
    throttled,
    visibility,
    wait_item,
)

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
        assert all(cloud.events.state(e)["status"] == "EXECUTED" for e in events)  # type: ignore[index]
    for event_id in events:
        assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)


def test_the_subscriber_down_for_a_while_delays_the_push_but_loses_none(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """Every push attempt fails for a while (the subscription mock throttled: 429): the claim is
    given back each time, the record is retried after the visibility timeout, and the owner hears of
    it once the subscriber is back."""
    with visibility(cloud, "DistributorQueue", 2):
        with throttled(cloud, "SubscriptionMockFunction"):
            event_id = command(cloud, next(vehicles))
            # two receives of three attempts each refused: the claim taken twice and given back (its
            # lease set to 0 at once)
            wait_item(
                cloud,
                event_id,
                lambda i: (
                    i["sk"] == "PUSH"
                    and int(i.get("attempts", 0)) >= 2
                    and int(i.get("leaseUntilMs", 1)) == 0
                ),
            )
        pushes = assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
    push = wait_item(cloud, event_id, lambda i: i["sk"] == "PUSH" and i.get("pushState") == "DONE")
    assert int(push["attempts"]) >= 3 and len(pushes) == 1  # >= 6 refused calls, then one push


def test_a_broker_answering_5xx_is_retried_then_the_command_fails_as_broker_unavailable(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    with behaving(
        cloud, next(vehicles), broker("error", 2)
    ) as car:  # two 503s: the third attempt goes through
        recovered = command(cloud, car)
        assert_true_end(cloud, recovered, "EXECUTED", statuses=EXECUTED)
    # every attempt of one receive fails: a final answer, not a retry storm
    with behaving(cloud, next(vehicles), broker("error", 3)) as car:
        refused = command(cloud, car)
        assert_true_end(
            cloud, refused, "FAILED", "BROKER_UNAVAILABLE", statuses=["CREATED", "PENDING", "FAILED"]
        )


def test_a_broker_slower_than_the_1s_timeout_is_retried(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The first call is held 1.5 s (the connector drops it after 1 s and retries): the car may get
    the command twice; it ends EXECUTED once, the second answers are audit only."""
    with behaving(cloud, next(vehicles), broker("slow", 1, 1500)) as car:
        event_id = command(cloud, car)
        assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
    history(cloud, event_id, EXECUTED)
