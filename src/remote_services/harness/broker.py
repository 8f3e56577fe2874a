"""The broker API mock behind its Function URL (docs/test-harness.md section 2): the broker team's
contract (`POST /publish` -> 202), the broker side's misbehaviour per VIN, and the vehicle's answers
planned from the VIN's behaviour and put on the IncomingQueue with per-message delays.

    BrokerMock(dynamodb, sqs, logger).handle(event)   # the handler's whole body
"""

from __future__ import annotations

from ..clock import now_ms
from ..errors import DomainError, ValidationError
from ..settings import env
from .behaviour import DEFAULT_BEHAVIOUR, broker_answer, parse_behaviour
from .function_url import UrlRequest, bad_request, not_found, respond
from .plan import plan_command, plan_raise
from .schedule import schedule
from .tables import HarnessTable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..aws import DynamoDB, Sqs
    from ..obs.logger import Logger

_REFUSALS = {
    "error": (503, {"error": "UNAVAILABLE", "message": "broker mock: error mode"}),
    "refuse": (403, {"error": "FORBIDDEN", "message": "broker mock: refuse mode"}),
}


def _random() -> float:
    import random  # only when a behaviour has jitter

    return random.random()


class BrokerMock:
    """Routes Function URL requests; clients and time are injected (the tests pass their own)."""

    def __init__(
        self,
        dynamodb: DynamoDB,
        sqs: Sqs,
        logger: Logger,
        rand: Callable[[], float] = _random,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.dynamodb, self.sqs, self.logger = dynamodb, sqs, logger
        self.rand, self.clock = rand, clock
        self.sleep = sleep

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            request = UrlRequest(event)
            if request.method == "POST" and request.path == "/publish":
                return self.publish(request.json())
            if request.method == "POST" and request.path == "/raise":
                return self.raise_event(request.json())
        except ValidationError as exc:
            self.logger.warning(f"bad request: {exc.message}")
            return bad_request(exc)
        return not_found(request)

    def _send(self, queue_url: str, body: str, delay_seconds: int) -> None:
        self.sqs.send_message(queue_url, body, delay_seconds=delay_seconds)

    def _schedule(self, planned: list[tuple[int, dict[str, Any]]], now: int) -> dict[str, int]:
        return schedule(planned, now, env("INCOMING_QUEUE_URL"), env("HARNESS_DELAY_QUEUE_URL"), self._send)

    def publish(self, body: object) -> dict[str, Any]:
        """The broker team's API: validate, decide the broker side, plan and schedule the vehicle."""
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object")
        topic, payload, corr = body.get("topic"), body.get("payload"), body.get("correlationId", "")
        if not isinstance(topic, str) or not topic or not isinstance(payload, str):
            raise ValidationError("body", "topic and payload must be non-empty strings")
        from ..vehicles import decode_command

        try:
            command = decode_command(topic, payload)
        except DomainError as exc:  # a car that does not understand it: accepted, never answered
            self.logger.warning(f"undecodable command: {exc.message}", topic=topic, correlationId=corr)
            return respond(202, {"accepted": True})
        vin = command["vin"]
        table = HarnessTable(self.dynamodb, env("HARNESS_TABLE"))
        item = table.item(vin)
        try:
            behaviour = parse_behaviour(item["behaviour"]) if item else DEFAULT_BEHAVIOUR
        except DomainError as exc:
            case = (item or {}).get("caseId")
            self.logger.error(f"bad behaviour record: {exc.message}", vin=vin, caseId=case)
            return respond(500, {"error": "BAD_BEHAVIOUR", "message": exc.message})
        broker = behaviour["broker"]
        answer = "accept"
        if broker["mode"] != "accept":
            answer = broker_answer(broker, table.count_call(vin))
        if answer in _REFUSALS:
            status, reply = _REFUSALS[answer]
            self.logger.info(f"broker {answer}", vin=vin, eventId=command["eventId"])
            return respond(status, reply)
        if answer == "slow":
            import time

            (self.sleep or time.sleep)(broker["slowMs"] / 1000)
        now = self.clock()
        planned = plan_command(command, behaviour, now, self.rand)
        counts = self._schedule(planned, now)
        self.logger.info(
            "command accepted",
            vin=vin,
            eventId=command["eventId"],
            serviceType=command["serviceType"],
            broker=answer,
            **counts,
        )
        return respond(202, {"accepted": True})

    def raise_event(self, body: object) -> dict[str, Any]:
        """A vehicle-initiated event, `count` times `everyMs` apart (generation from the registry when
        the body does not give it)."""
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object")
        from ..vehicles import check_vin

        vin = check_vin(body.get("vin"))
        generation = body.get("generation")
        if generation is None:
            from ..attribute_values import from_item, serialize

            reply = self.dynamodb.call(
                "GetItem", {"TableName": env("REGISTRY_TABLE"), "Key": {"vin": serialize(vin)}}
            )
            generation = from_item(reply.get("Item") or {}).get("generation")
            if generation is None:
                raise ValidationError("vin", f"{vin} is not registered (give its generation)")
        now = self.clock()
        planned = plan_raise(
            vin,
            generation,
            body.get("serviceType", "THEFT_ALARM"),
            body.get("count", 1),
            body.get("everyMs", 0),
            now,
        )
        counts = self._schedule(planned, now)
        self.logger.info("vehicle event raised", vin=vin, serviceType=body.get("serviceType"), **counts)
        return respond(202, {"accepted": True, "messages": len(planned)})
