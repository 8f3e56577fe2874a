"""The one exception type of the lean AWS client, and the parsers of AWS error responses."""

from __future__ import annotations

from lambda_runtime import jsonlite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Error codes that mean "slow down": always retried with backoff (botocore's standard mode list).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
# Error codes of transient server-side failures, retried like a 5xx.
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable"}
)


def is_retryable(code: str, status: int) -> bool:
    """True for throttling codes, transient codes and any 5xx; never for other 4xx client errors."""
    return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500 or "Throttl" in code


class AwsError(Exception):
    """A failed AWS call: service, operation, code, message, status (0: no response), retryable, request_id.

    `details` is the parsed JSON error body (empty for XML or non-JSON errors); `attempts` counts the
    HTTP attempts that were made before giving up.
    """

    def __init__(
        self,
        service: str,
        operation: str,
        code: str,
        message: str,
        *,
        status: int = 0,
        retryable: bool = False,
        request_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.request_id = request_id
        self.details: dict[str, Any] = dict(details) if details else {}
        self.attempts = 1
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no response"
        rid = f", request id {self.request_id}" if self.request_id else ""
        return f"{self.service} {self.operation} failed: {self.code}: {self.message} ({where}{rid})"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (keyword-only arguments defeat the default)
        return (_restore, (type(self), self.__dict__))

    @property
    def cancellation_reasons(self) -> list[dict[str, Any]]:
        """DynamoDB TransactionCanceledException: one {"Code", "Message"?, "Item"?} per transaction item."""
        reasons = self.details.get("CancellationReasons")
        return [r for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else []


class ConditionalCheckFailed(AwsError):
    """DynamoDB ConditionalCheckFailedException (a 400, never retried)."""

    @property
    def item(self) -> dict[str, Any] | None:
        """The item as it was, when the request asked for ReturnValuesOnConditionCheckFailure=ALL_OLD."""
        item = self.details.get("Item")
        return item if isinstance(item, dict) else None


def _restore(cls: type[AwsError], state: dict[str, Any]) -> AwsError:
    error = cls(state["service"], state["operation"], state["code"], state["message"])
    error.__dict__.update(state)
    error.args = (error._describe(),)
    return error


def check_string_attributes(service: str, operation: str, attributes: Mapping[str, object]) -> None:
    """TypeError unless every message attribute name and value is a str."""
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            kind = type(value).__name__
            raise TypeError(
                f"{service} {operation}: message attribute {name!r} must be str -> str, got {kind}"
            )


def _make(
    service: str,
    operation: str,
    code: str,
    message: str,
    status: int,
    request_id: str | None,
    details: Mapping[str, Any] | None = None,
) -> AwsError:
    cls = ConditionalCheckFailed if code == "ConditionalCheckFailedException" else AwsError
    return cls(
        service,
        operation,
        code,
        message,
        status=status,
        retryable=is_retryable(code, status),
        request_id=request_id,
        details=details,
    )


def _http_code(status: int) -> str:
    return f"HTTP{status}"


def _snippet(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return text or "(empty body)"


def parse_json_error(
    service: str, operation: str, status: int, headers: Mapping[str, str], body: bytes
) -> AwsError:
    """An AwsError from a JSON 1.0 protocol error response (DynamoDB, SQS JSON).

    The code comes from `x-amzn-query-error` (SQS, as botocore does), else `__type` after its '#',
    else `x-amzn-errortype`; headers are expected lower-cased.
    """
    request_id = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id")
    details: dict[str, Any] = {}
    try:
        parsed = jsonlite.loads(body) if body else {}
        if isinstance(parsed, dict):
            details = parsed
    except ValueError:
        details = {}
    code = ""
    query_error = headers.get("x-amzn-query-error", "")
    if query_error:
        code = query_error.split(";", 1)[0].strip()
    if not code:
        raw = details.get("__type") or details.get("code") or headers.get("x-amzn-errortype") or ""
        code = str(raw).rsplit("#", 1)[-1].split(":", 1)[0].strip()
    message = details.get("message") or details.get("Message") or details.get("errorMessage")
    if not code:
        code = _http_code(status)
    if not isinstance(message, str) or not message:
        message = _snippet(body) if not details else "(no message)"
    return _make(service, operation, code, message, status, request_id, details)


_XML_ENTITIES = {"lt": "<", "gt": ">", "quot": '"', "apos": "'", "amp": "&"}
_HEX_DIGITS = "0123456789abcdefABCDEF"


def _entity(name: str) -> str | None:
    """The character of an XML entity body (`lt`, `#65`, `#x41`), or None if it is not one."""
    if name in _XML_ENTITIES:
        return _XML_ENTITIES[name]
    if name.startswith("#x") and len(name) > 2 and all(c in _HEX_DIGITS for c in name[2:]):
        return chr(int(name[2:], 16))
    if name.startswith("#") and len(name) > 1 and name[1:].isdecimal():
        return chr(int(name[1:]))
    return None


def _unescape(text: str) -> str:
    """Replace the five named XML entities and numeric character references; others stay as they are."""
    parts: list[str] = []
    pos = 0
    while (amp := text.find("&", pos)) >= 0:
        semi = text.find(";", amp + 1)
        char = _entity(text[amp + 1 : semi]) if semi >= 0 else None
        if char is None:
            parts.append(text[pos : amp + 1])
            pos = amp + 1
        else:
            parts.append(text[pos:amp])
            parts.append(char)
            pos = semi + 1
    parts.append(text[pos:])
    return "".join(parts)


def _is_word(text: str) -> bool:
    """`\\w+` of a regular expression: letters, digits, underscores, at least one."""
    return bool(text) and all(c.isalnum() or c == "_" for c in text)


def _names_at(xml: str, start: int, tag: str) -> list[int]:
    """Where `prefix:tag` (prefix: word characters), then `tag`, at `start` ends; those present."""
    ends: list[int] = []
    colon = xml.find(":", start)
    if colon > start and _is_word(xml[start:colon]) and xml.startswith(tag, colon + 1):
        ends.append(colon + 1 + len(tag))
    if xml.startswith(tag, start):
        ends.append(start + len(tag))
    return ends


def _open_end(xml: str, after: int) -> int:
    """The index of the `>` that closes an opening tag whose name ends at `after`, or -1."""
    if xml.startswith(">", after):
        return after
    if after < len(xml) and xml[after].isspace():
        return xml.find(">", after)
    return -1


def _element_content(xml: str, tag: str) -> tuple[int, int] | None:
    """Start and end of the content of the first <tag ...>...</tag> (namespace prefixes allowed).

    The same match as the regular expression `<(?:\\w+:)?tag(?:\\s[^>]*)?>(.*?)</(?:\\w+:)?tag>` (DOTALL).
    """
    lt = xml.find("<")
    while lt >= 0:
        for after in _names_at(xml, lt + 1, tag):
            gt = _open_end(xml, after)
            if gt < 0:
                continue
            close = xml.find("</", gt + 1)
            while close >= 0:
                if any(xml.startswith(">", end) for end in _names_at(xml, close + 2, tag)):
                    return gt + 1, close
                close = xml.find("</", close + 1)
        lt = xml.find("<", lt + 1)
    return None


def xml_text(xml: str, tag: str) -> str | None:
    """The unescaped text of the first <tag>...</tag> (namespace prefixes allowed), or None."""
    span = _element_content(xml, tag)
    if span is None:
        return None
    text = xml[span[0] : span[1]]
    if text.startswith("<![CDATA[") and text.endswith("]]>"):
        return text[9:-3]
    return _unescape(text)


def parse_xml_error(
    service: str, operation: str, status: int, headers: Mapping[str, str], body: bytes
) -> AwsError:
    """An AwsError from a query protocol XML error (<ErrorResponse><Error><Code>, <Message>, <RequestId>)."""
    xml = body.decode("utf-8", "replace")
    code = xml_text(xml, "Code") or _http_code(status)
    message = xml_text(xml, "Message")
    request_id = (
        xml_text(xml, "RequestId") or headers.get("x-amzn-requestid") or headers.get("x-amz-request-id")
    )
    if message is None:
        message = "(no message)" if code != _http_code(status) else _snippet(body)
    return _make(service, operation, code, message, status, request_id)
