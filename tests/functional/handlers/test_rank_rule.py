"""The rank rule on STATE (EventsTable.decide) against moto, through the handlers' fixtures.
The real path: the lean AWS client against a real moto server, real HTTP servers for the partners."""

from __future__ import annotations

import pytest

from remote_services.envelope import new_event
from tests.functional.handlers.aws_events import VIN_G1, eid
from tests.functional.handlers.conftest import Cloud

DAY_S = 86400


@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        (None, "PENDING", True),
        (None, "RUNNING", True),
        ("CREATED", "PENDING", True),
        ("PENDING", "CREATED", False),  # out of order: never backwards
        ("EXECUTED", "RUNNING", False),  # a late RUNNING after EXECUTED
        ("EXECUTED", "FAILED", False),  # first final wins
        ("RUNNING", "RUNNING", False),  # a repeat at another time
        ("RUNNING", "FAILED", True),
    ],
)
def test_state_moves_only_up(cloud: Cloud, current: str | None, new: str, ok: bool) -> None:
    """EventsTable.decide: a status replaces STATE only with a higher rank (remote_services.events_table)."""
    from remote_services.aws import DynamoDB
    from remote_services.events_table import EventsTable
    from remote_services.status import rank

    if current is not None:
        cloud.put_state(eid(70), current, updatedMs=1)
    event = new_event(
        event_id=eid(70), vin=VIN_G1, service_type="HORN_BLOW", status=new, colour="blue", first_seen_ms=2,
        failure_reason="TIMEOUT" if new == "FAILED" else None,
    )  # fmt: skip
    assert EventsTable(DynamoDB(), cloud.events_table).decide(event, rank(new) - 1, 0) is ok
    assert cloud.items(eid(70))["STATE"]["status"]["S"] == (new if ok else current)
