"""Ended Express executions leave moto's memory, as they never stay on AWS.

    forget_ended_express_executions(older_than_s=60.0) -> int   # executions dropped, every account/region

moto keeps every execution of a state machine in a list, with its whole interpreter state (the
Environment, the event history, the workers: ~230 objects each); the local cloud makes ~3 Express
executions a command, so the heap, and with it every full pass of Python's garbage collector (which
stops every thread), grew for the life of a run. On AWS an Express execution is neither listed by
ListExecutions nor described by DescribeExecution (nor GetExecutionHistory): its result goes to the
StartSyncExecution caller and to CloudWatch Logs. So an Express execution that ended more than
`older_than_s` ago is dropped from its machine's list (STANDARD executions are kept, as AWS keeps
them for 90 days). Locally an ended Express execution stays readable for that long, a known
difference (docs/local-cloud.md, FIDELITY). `localcloud.aws.moto_server.MotoServer` calls this from
its janitor thread.

Only the oldest executions go, as a prefix of the list (``del executions[:n]``: one step under
the GIL), so an execution appended meanwhile by StartExecution is never lost; a still-running
execution ends the prefix.
"""

from __future__ import annotations

import datetime
from typing import Any


def forget_ended_express_executions(older_than_s: float = 60.0) -> int:
    """Drop the Express executions that ended more than `older_than_s` ago; returns how many."""
    try:
        from moto.stepfunctions.models import stepfunctions_backends
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    except ImportError:  # pragma: no cover - another moto layout
        return 0
    cutoff = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(seconds=older_than_s)
    dropped = 0
    every: tuple[Any, ...] = (stepfunctions_parser_backends, stepfunctions_backends)
    for backends in every:
        for regions in list(dict.values(backends)):
            for backend in list(dict.values(regions)):
                for machine in list(getattr(backend, "state_machines", [])):
                    if getattr(machine, "type", "STANDARD") == "EXPRESS":
                        dropped += _drop_ended_prefix(machine.executions, cutoff)
    return dropped


def _drop_ended_prefix(executions: list[Any], cutoff: datetime.datetime) -> int:
    count = 0
    for execution in list(executions):
        stopped = getattr(execution, "stop_date", None)
        if not isinstance(stopped, datetime.datetime) or _aware(stopped) > cutoff:
            break
        count += 1
    if count:
        del executions[:count]
    return count


def _aware(moment: datetime.datetime) -> datetime.datetime:
    """moto's dates: aware (the ASL engine) or naive UTC (moto's basic backend)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)
