"""SNS over the query protocol (Version 2010-03-31): publish, and call() for any other action."""

from __future__ import annotations

from .client import Client
from .errors import AwsError, check_string_attributes, parse_xml_error, xml_text
from .sigv4 import form_encode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .transport import Response

API_VERSION = "2010-03-31"


class Sns(Client):
    """`Sns().publish(topic_arn, message, {"status": "EXECUTED", ...})` -> message id."""

    service = "SNS"
    signing_name = "sns"
    service_id = "SNS"
    host_prefix = "sns"

    def parse_error(self, operation: str, response: Response) -> AwsError:
        return parse_xml_error(self.service, operation, response.status, response.headers, response.body)

    def call(self, action: str, params: Mapping[str, str]) -> str:
        """POST Action=<action>&Version=2010-03-31&<params> (form-encoded); return the response XML."""
        pairs = [("Action", action), ("Version", API_VERSION), *params.items()]
        body = form_encode(pairs).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return self.send(action, headers, body).body.decode("utf-8", "replace")

    def publish(self, topic_arn: str, message: str, attributes: Mapping[str, str]) -> str:
        """Publish `message` with String message attributes; return the MessageId."""
        check_string_attributes(self.service, "Publish", attributes)
        params = {"TopicArn": topic_arn, "Message": message}
        for n, (name, value) in enumerate(attributes.items(), start=1):
            prefix = f"MessageAttributes.entry.{n}"
            params[f"{prefix}.Name"] = name
            params[f"{prefix}.Value.DataType"] = "String"
            params[f"{prefix}.Value.StringValue"] = value
        xml = self.call("Publish", params)
        message_id = xml_text(xml, "MessageId")
        if not message_id:
            raise AwsError(self.service, "Publish", "InvalidResponse", f"no MessageId in {xml[:300]!r}")
        return message_id
