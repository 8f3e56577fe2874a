"""What the pipeline does with a command, given the vehicle's and the broker's behaviour: the
final status, its reason, the history GET returns and when it is decided.

The rules, from the code (docs/architecture.md, "Every command ends truthfully"):
- the connector tries the broker BROKER_ATTEMPTS times, BROKER_TIMEOUT_S each; 5xx and timeouts are
  retried, any other 4xx fails at once; out of attempts, every one refused -> FAILED/BROKER_UNAVAILABLE;
  an attempt unanswered in time may have reached the car (the broker mock's slow mode delivers the
  held call), so the connector decides nothing: the car's answer, or TIMEOUT, ends the command;
- the broker mock plans the done no earlier than the ack; with order done-first the two swap (the
  done goes out at the ack's delay, the ack at the done's), as fleet.json's out_of_order did;
- a report counts only when decodable and on the vehicle's own topic (else it is parked: UNDECODABLE,
  FOREIGN_VEHICLE); the ack (RUNNING) must come within the catalog's PENDING time, the done within
  the RUNNING time after the ack, else FAILED/TIMEOUT; a status of lower or equal rank than the
  current one is late (audit only, not in the history); repeats are late too.
A message due within MARGIN_MS of a deadline is a race, not a test: the case is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from remote_services.outgoing import BROKER_ATTEMPTS, BROKER_TIMEOUT_S
from remote_services.status import FailureReason, Status
from simulator.scenario.resolve import TIMEOUT_SLACK_MS, CaseFault, window_ms

MARGIN_MS = 2_000  # a report this close to its deadline could land on either side
ORDER_GAP_MS = 1_000  # SQS delays are whole seconds: closer messages may arrive in either order
BACKOFF_MS = 500  # the connector's retry backoff, at most, over its attempts
GIVE_UP_MS = int(BROKER_ATTEMPTS * BROKER_TIMEOUT_S * 1000) + BACKOFF_MS

C, P, R = Status.CREATED, Status.PENDING, Status.RUNNING


@dataclass(frozen=True)
class Outcome:
    """The truth for one command (or one set of raised events)."""

    http: int
    final: str | None
    reason: str | None
    history: tuple[str, ...] | None
    pushes: int
    final_ms: int  # when the final status is decided, after the command was accepted (upper bound)
    or_timeout_ms: int | None = None  # FAILED/TIMEOUT is as true as `reason`, decided by then

    @property
    def wait_ms(self) -> int:
        """How long the final status may take, whichever true outcome comes."""
        return max(self.final_ms, self.or_timeout_ms or 0)


def _delivery(broker: Mapping[str, Any]) -> tuple[int, int] | None:
    """(earliest, latest) offset of the command first reaching the vehicle; None: BROKER_UNAVAILABLE."""
    mode, times, slow_ms = broker["mode"], broker["times"], broker["slowMs"]
    if mode == "accept":
        return (0, 0)
    if mode == "refuse":  # a 403 is not retried
        return None
    recovers = 0 < times < BROKER_ATTEMPTS
    if mode == "error":
        return (0, BACKOFF_MS) if recovers else None
    # slow: a held call still reaches the vehicle, after the connector gave up on it
    timeout_ms = int(BROKER_TIMEOUT_S * 1000)
    if recovers:
        return (min(slow_ms, times * timeout_ms), max(slow_ms, times * timeout_ms + BACKOFF_MS))
    return (slow_ms, slow_ms)  # every call held: the first one reaches the car; nothing is decided


def _side(deadline: tuple[int, int], lo: int, hi: int, what: str) -> bool:
    """True if a message due in [lo, hi] is in time for a deadline in [deadline]; False if after it."""
    if hi <= deadline[0] - MARGIN_MS:
        return True
    if lo >= deadline[1] + MARGIN_MS:
        return False
    raise CaseFault(
        f"vehicle.{what}.delayMs",
        f"due between {lo} and {hi} ms: within {MARGIN_MS} ms of the deadline "
        f"({deadline[0]}-{deadline[1]} ms): a race",
    )


def _times(v: Mapping[str, Any], lo: int, hi: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(earliest, latest) of the ack and of the done, as the broker mock plans them
    (remote_services.harness.plan): the done never before the ack's slot; done-first swaps the two."""
    ack, done = v["ack"], v["done"]
    a = (lo + ack["delayMs"], hi + ack["delayMs"] + ack["jitterMs"])
    d = (lo + done["delayMs"], hi + done["delayMs"] + done["jitterMs"])
    if ack["send"]:
        d = (max(d[0], a[0]), max(d[1], a[1]))
        if done["send"] and v["order"] == "done-first":
            a, d = d, a
    return a, d


def command_outcome(service_type: str, behaviour: Mapping[str, Any]) -> Outcome:
    """The outcome of an accepted (202) command. `history` is None when the ack and the done are due
    less than ORDER_GAP_MS apart: which one the pipeline sees first is then not certain."""
    v, broker = behaviour["vehicle"], behaviour["broker"]
    ack, done = v["ack"], v["done"]
    effective = v["connected"] and v["payload"] == "valid" and v["topic"] == "own"
    ack_on, done_on = effective and ack["send"], effective and done["send"]
    offset = _delivery(broker)
    pending = window_ms(service_type, P) or 0
    running = window_ms(service_type, R) or 0
    if offset is None:
        # Every attempt refused: BROKER_UNAVAILABLE. But a refusal that comes later than the
        # connector's timeout (a loaded broker) is an unanswered call to it, which may have
        # delivered: then it decides nothing and the lifecycle's TIMEOUT ends the command, as true.
        decided = 100 if broker["mode"] == "refuse" else GIVE_UP_MS
        unavailable = (Status.FAILED, FailureReason.BROKER_UNAVAILABLE)
        timed_out_by = pending + TIMEOUT_SLACK_MS
        return Outcome(202, *unavailable, (C, P, Status.FAILED), 1, decided, or_timeout_ms=timed_out_by)
    (a_lo, a_hi), (d_lo, d_hi) = _times(v, *offset)
    final, reason = done["result"], done["reason"]
    timeout = (Status.FAILED, FailureReason.TIMEOUT)
    ack_first = ack_on and (not done_on or v["order"] == "ack-first")
    if ack_on and done_on:
        first_hi, second_lo = (a_hi, d_lo) if ack_first else (d_hi, a_lo)
        certain = second_lo - first_hi >= ORDER_GAP_MS
    else:
        certain = True
    slack = TIMEOUT_SLACK_MS
    if ack_first:
        if not _side((pending, pending + slack), a_lo, a_hi, "ack"):
            return Outcome(202, *timeout, (C, P, Status.FAILED), 1, pending + slack)
        if done_on and _side((a_lo + running, a_hi + running + slack), d_lo, d_hi, "done"):
            return Outcome(202, final, reason, (C, P, R, final) if certain else None, 1, d_hi)
        return Outcome(202, *timeout, (C, P, R, Status.FAILED), 1, a_hi + running + slack)
    if done_on and _side((pending, pending + slack), d_lo, d_hi, "done"):  # no ack, or the done first
        return Outcome(202, final, reason, (C, P, final) if certain else None, 1, d_hi)
    return Outcome(202, *timeout, (C, P, Status.FAILED), 1, pending + slack)


def raised_outcome(raise_events: tuple[dict[str, Any], ...]) -> Outcome:
    """Vehicle-initiated events only: each one published once, EXECUTED, and pushed."""
    count = sum(int(e["count"]) for e in raise_events)
    last = max((int(e["count"]) - 1) * int(e["everyMs"]) for e in raise_events)
    return Outcome(0, Status.EXECUTED, None, (Status.EXECUTED,), count, last)


def refusal_outcome(http: int, code: str) -> Outcome:
    """Refused at the API: the caller has its answer; nothing is pushed."""
    return Outcome(http, None, code, None, 0, 0)
