"""The custom metrics the functions emit (EMF), in one place: names, units and dimension sets.

The template's dashboard and alarms (`observability/dashboard.py` writes the dashboard), the code that
emits them (`remote_services.final_metrics`, the vehicle decoder) and the local dashboard renderer
(`localcloud/dashboard/`) read these; tests keep them equal. Plain tuples: this module is imported
by Lambda functions at every cold start.

Namespace: ``RemoteServices/<EnvironmentName>`` (the template's POWERTOOLS_METRICS_NAMESPACE), so
two developers' stacks never mix their metrics; the colour is a dimension.
"""

from __future__ import annotations

NAMESPACE_PREFIX = "RemoteServices"

# name -> (unit, dimension sets); every set is published for every metric of its EMF document
END_TO_END_LATENCY = "EndToEndLatency"  # ms from first seen at the API to the push (distributor)
COMMANDS_FINAL = "CommandsFinal"  # app commands that reached EXECUTED or FAILED (distributor)
COMMANDS_TIMED_OUT = "CommandsTimedOut"  # of them, FAILED with TIMEOUT: 1, else 0 (distributor)
VEHICLE_REPORTS_REJECTED = "VehicleReportsRejected"  # vehicle messages parked undecodable (decoder)

LATENCY_DIMENSIONS = (("Colour",), ("ServiceType", "Colour"))
FINAL_DIMENSIONS = (("Colour",), ("Colour", "Status", "Reason"))
REJECTED_DIMENSIONS = (("Reason",),)

METRICS: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    END_TO_END_LATENCY: ("Milliseconds", LATENCY_DIMENSIONS),
    COMMANDS_FINAL: ("Count", FINAL_DIMENSIONS),
    COMMANDS_TIMED_OUT: ("Count", FINAL_DIMENSIONS),
    VEHICLE_REPORTS_REJECTED: ("Count", REJECTED_DIMENSIONS),
}

NO_REASON = "NONE"  # the Reason dimension of an EXECUTED command
