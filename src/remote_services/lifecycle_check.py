"""The lifecycle check: a command must leave `expectStatus` by `dueMs`, or it times out.

- before `dueMs`: re-delay (SQS caps a delay at 900 s);
- STATE moved past `expectStatus` (or is final): the check is dropped;
- our own inputs are behind (messages waiting or in flight on the outgoing or incoming queue: the
  command may not have left, or the vehicle's answer may not be read yet): re-check in 1 s, for at most
  LIFECYCLE_MAX_SLACK_MS past `dueMs`, so a timeout means the vehicle did not answer;
- else decide FAILED/TIMEOUT on STATE (rank condition, `updatedMs = dueMs`: a retry decides the same),
  publish it only if that decision won, and free the vehicle.
"""

from __future__ import annotations

from .clock import now_ms
from .envelope import dumps, sns_attributes, with_status
from .events_table import EventsTable, expires_at, holds, release_lock
from .lifecycle import delay_seconds, dump_message
from .settings import env, env_int
from .status import FailureReason, Status, is_final, rank

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .aws import DynamoDB, Sns, Sqs
    from .lifecycle import DelayMessage

BACKLOG_RECHECK_S = 1
_BACKLOG_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


class LifecycleCheck:
    """Checks delay-queue messages with the function's clients; settings are read at call time."""

    def __init__(self, dynamodb: DynamoDB, sqs: Sqs, sns: Sns) -> None:
        self.dynamodb, self.sqs, self.sns = dynamodb, sqs, sns

    def inputs_backlog(self) -> int:
        """Messages waiting or in flight on the queues that feed STATE (LIFECYCLE_INPUT_QUEUE_URLS)."""
        total = 0
        for url in filter(None, (env("LIFECYCLE_INPUT_QUEUE_URLS").split(","))):
            attributes = self.sqs.call(
                "GetQueueAttributes", {"QueueUrl": url.strip(), "AttributeNames": _BACKLOG_ATTRIBUTES}
            )
            for value in (attributes.get("Attributes") or {}).values():
                total += int(value)
        return total

    def check(self, message: DelayMessage) -> str:
        """Handle one delay-queue message; returns "redelayed", "moved-on", "waiting-for-inputs",
        "timed-out" or "lost-race" (another decision reached STATE first)."""
        event, expect, due = message["event"], message["expectStatus"], message["dueMs"]
        now = now_ms()
        if now < due:
            self._redelay(message, delay_seconds(due, now))
            return "redelayed"
        table = EventsTable(self.dynamodb, env("EVENTS_TABLE"))
        failed = with_status(event, Status.FAILED, max(due, event["updatedMs"]), FailureReason.TIMEOUT)
        current = table.read_state(event["eventId"])
        if not holds(current, failed):
            if current is not None and (is_final(current["status"]) or current["statusRank"] > rank(expect)):
                return "moved-on"
            if (
                expect != Status.CREATED
                and now < due + env_int("LIFECYCLE_MAX_SLACK_MS", 30_000)
                and self.inputs_backlog()
            ):
                self._redelay(message, BACKLOG_RECHECK_S)
                return "waiting-for-inputs"
            if not table.decide(failed, rank(expect), expires_at(now, env_int("EVENT_TTL_DAYS", 30))):
                return "lost-race"
        self.sns.publish(env("EVENTS_TOPIC_ARN"), dumps(failed), sns_attributes(failed))
        if event["source"] == "APP":
            release_lock(self.dynamodb, env("LOCK_TABLE"), event["vin"], event["eventId"])
        return "timed-out"

    def _redelay(self, message: DelayMessage, delay_s: int) -> None:
        self.sqs.send_message(env("LIFECYCLE_DELAY_QUEUE_URL"), dump_message(message), delay_s)
