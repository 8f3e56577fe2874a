"""The metrics of a final event, as the distributor pushes it (EMF; names in `obs.catalog`):

- ``EndToEndLatency`` (ms, first seen at the API -> pushed), by Colour and by ServiceType + Colour;
- for app commands (not vehicle-initiated events): ``CommandsFinal`` 1 and ``CommandsTimedOut``
  1 or 0, by Colour (the TIMEOUT rate alarm divides them) and by Colour + Status + Reason (the
  dashboard's commands per minute by final status; Reason ``NONE`` when EXECUTED).
"""

from __future__ import annotations

from remote_services.catalog import VEHICLE
from remote_services.obs import catalog
from remote_services.status import FailureReason, Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from remote_services.obs.metrics import Metrics
    from remote_services.typedefs import Envelope


def emit_final(metrics: Metrics, event: Envelope, pushed_ms: int) -> None:
    """Two EMF documents for one pushed final event (see the module docstring)."""
    metrics.add_dimension("ServiceType", event["serviceType"])
    metrics.add_dimension("Colour", event["colour"])
    metrics.add_metric(catalog.END_TO_END_LATENCY, "Milliseconds", pushed_ms - event["firstSeenMs"])
    metrics.add_metadata("eventId", event["eventId"])
    metrics.flush(catalog.LATENCY_DIMENSIONS)
    if event["source"] == VEHICLE:  # a vehicle-initiated event (a theft alarm) is no command
        return
    reason = event.get("failureReason") or catalog.NO_REASON
    metrics.add_dimension("Colour", event["colour"])
    metrics.add_dimension("Status", event["status"])
    metrics.add_dimension("Reason", reason)
    metrics.add_metric(catalog.COMMANDS_FINAL, "Count", 1)
    timed_out = event["status"] == Status.FAILED and reason == FailureReason.TIMEOUT
    metrics.add_metric(catalog.COMMANDS_TIMED_OUT, "Count", 1 if timed_out else 0)
    metrics.add_metadata("eventId", event["eventId"])
    metrics.flush(catalog.FINAL_DIMENSIONS)
