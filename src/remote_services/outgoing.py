"""The outgoing side: a PENDING command, encoded for the vehicle's generation, handed to the broker API
as {topic, payload, correlationId} (1 s timeout, retry with jitter).

A command whose event is already final (timed out or refused while it waited on the queue) is not
sent: the owner has been told it failed, so the car must not act on it. When the broker refused every
attempt (5xx, 429, a refused connection, or a 4xx at once), FAILED/BROKER_UNAVAILABLE is decided on
STATE (unless the vehicle answered meanwhile) and published only if that decision won; the vehicle
is freed. When an attempt went unanswered (a timeout: the broker may have taken the command and the
car may act on it), nothing is decided here: the car's answer, or the lifecycle check's TIMEOUT when
it stays silent, is the truth ("unconfirmed").
"""

from __future__ import annotations

from .clock import now_ms
from .envelope import dumps, sns_attributes, with_status
from .errors import ValidationError
from .events_table import EventsTable, expires_at, release_lock
from .http_post import PostError, post_json
from .settings import env, env_int, env_opt
from .status import FailureReason, Status, is_final, rank
from .vehicles import encode_command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .aws import DynamoDB, Sns
    from .obs.logger import Logger
    from .typedefs import Envelope

BROKER_TIMEOUT_S = 1.0
BROKER_ATTEMPTS = 3


class CommandSender:
    """Sends commands with the function's clients; settings are read at call time."""

    def __init__(self, dynamodb: DynamoDB, sns: Sns, logger: Logger) -> None:
        self.dynamodb, self.sns, self.logger = dynamodb, sns, logger

    def send(self, event: Envelope) -> str:
        """Hand one command to the broker; returns "sent", "already-final", "broker-unavailable",
        "unconfirmed" (no answer from the broker: it may have delivered, so nothing is decided) or
        "lost-race" (the broker failed, but another status reached STATE first)."""
        if event["status"] != Status.PENDING:
            got = event["status"]
            raise ValidationError("status", f"the outgoing queue carries PENDING commands, got {got}")
        topic, payload = encode_command(event)
        table = EventsTable(self.dynamodb, env("EVENTS_TABLE"))
        current = table.read_state(event["eventId"])
        if current is not None and is_final(current["status"]):
            if current.get("failureReason") == FailureReason.BROKER_UNAVAILABLE:  # our own decision: a retry
                failed = with_status(
                    event, Status.FAILED, current["updatedMs"], FailureReason.BROKER_UNAVAILABLE
                )
                self._publish_failed(table, failed, current["expiresAt"])
                return "broker-unavailable"
            return "already-final"
        body = {"topic": topic, "payload": payload, "correlationId": event["traceId"] or event["eventId"]}
        try:
            post_json(
                env("BROKER_URL"),
                body,
                timeout_s=BROKER_TIMEOUT_S,
                attempts=BROKER_ATTEMPTS,
                auth=env_opt("BROKER_AUTH"),  # AWS_IAM: the test harness's broker mock (a Function URL)
            )
        except PostError as exc:
            if exc.maybe_delivered:  # BROKER_UNAVAILABLE could be a lie: the car may execute it
                self.logger.warning(
                    f"broker did not confirm (the car may have the command): {exc}",
                    eventId=event["eventId"],
                    reason=exc.reason,
                )
                return "unconfirmed"
            self.logger.error(f"broker unavailable: {exc}", eventId=event["eventId"], reason=exc.reason)
            now = now_ms()
            failed = with_status(
                event, Status.FAILED, max(now, event["updatedMs"]), FailureReason.BROKER_UNAVAILABLE
            )
            if not self._publish_failed(table, failed, expires_at(now, env_int("EVENT_TTL_DAYS", 30))):
                return "lost-race"
            return "broker-unavailable"
        return "sent"

    def _publish_failed(self, table: EventsTable, failed: Envelope, expires: int) -> bool:
        """Decide FAILED/BROKER_UNAVAILABLE unless the vehicle answered meanwhile; publish it if it won."""
        if not table.decide(failed, rank(Status.PENDING), expires):
            return False
        self.sns.publish(env("EVENTS_TOPIC_ARN"), dumps(failed), sns_attributes(failed))
        release_lock(self.dynamodb, env("LOCK_TABLE"), failed["vin"], failed["eventId"])
        return True
