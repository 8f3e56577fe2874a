"""The loaded form of a scenario case (`Case`, `Expect`) and the error a broken file raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ScenarioError(ValueError):
    """A scenario file that is broken: `file`, `case` (its name, or None for the file as a whole),
    `field` (dotted path in the case, e.g. ``vehicle.ack.delayMs``) and `message`."""

    def __init__(self, file: str, case: str | None, field: str, message: str) -> None:
        self.file, self.case, self.field, self.message = file, case, field, message
        where = f"case {case!r}" if case is not None else "(file)"
        super().__init__(f"{file}: {where}: {field}: {message}")


@dataclass(frozen=True)
class Expect:
    """What must happen."""

    http_status: int  # the API's answer to POST (202, 400, 403, 409); 0: no command (vehicle-initiated)
    final_status: str | None  # EXECUTED / FAILED; None when the command is refused at the API
    reason: str | None  # failureReason when FAILED; for a refusal, the API's error code (body "error")
    history: tuple[str, ...] | None  # statuses GET returns, in order (None: not checked)
    pushes: int | None  # pushes the subscriber receives for the event(s) (None: not checked)
    push_result: str | None  # the push's "result" (its "reason" = `reason` when set)
    # FAILED/TIMEOUT is as true as `reason` (BROKER_UNAVAILABLE): a refusal answered slower than the
    # connector's timeout is unanswered to it, and an unanswered call may have delivered (oracle)
    or_timeout: bool = False


@dataclass(frozen=True)
class Case:
    """One runnable case: the command, the behaviour record to write first, what must happen."""

    id: str  # "<file stem>/<case name>" plus "[<axis values>]" for an expanded case
    file: str
    service_type: str
    generation: str
    vin_pattern: str | None  # None: any vehicle of `generation` able to do `service_type`
    colour: str | None
    parameters: dict[str, Any]
    behaviour: dict[str, Any]  # the HarnessTable behaviour record (docs/test-harness.md section 1)
    raise_events: tuple[dict[str, Any], ...]  # {"serviceType", "count", "everyMs"}
    expect: Expect
    timeout_s: float  # how long to wait for the final status (and the pushes)
    caller: str = "owner"  # "owner" | "stranger" (a user who does not own the vehicle: 403)
    busy_with: str | None = None  # a command of this type is sent first and left in flight (409)
