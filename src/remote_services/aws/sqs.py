"""SQS over the JSON 1.0 protocol (AmazonSQS): send_message, and call() for any other operation."""

from __future__ import annotations

from .errors import AwsError, check_string_attributes
from .jsonproto import JsonClient

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


class Sqs(JsonClient):
    """`Sqs().send_message(queue_url, body, delay_seconds=..., attributes={...})` -> message id."""

    service = "SQS"
    signing_name = "sqs"
    service_id = "SQS"
    host_prefix = "sqs"
    target_prefix = "AmazonSQS"

    def send_message(
        self,
        queue_url: str,
        body: str,
        delay_seconds: int | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        """Send one message; `attributes` become String message attributes. Returns the MessageId.

        `delay_seconds` None leaves the queue's own delay in force; an int (0..900) sets it.
        """
        request: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": body}
        if delay_seconds is not None:
            request["DelaySeconds"] = int(delay_seconds)
        if attributes:
            check_string_attributes(self.service, "SendMessage", attributes)
            request["MessageAttributes"] = {
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            }
        response = self.call("SendMessage", request)
        message_id = response.get("MessageId")
        if not isinstance(message_id, str):
            raise AwsError(self.service, "SendMessage", "InvalidResponse", f"no MessageId in {response!r}")
        return message_id
