"""The context object handed to a handler, with the attributes of the managed runtime's context.

Plain classes with ``__slots__`` (no dataclasses, no typing at run time) to keep start-up cheap.
"""

import sys
import time


class CognitoIdentity:
    """The Amazon Cognito identity that authorised a mobile SDK invocation."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, cognito_identity_id: str | None = None, cognito_identity_pool_id: str | None = None):
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = cognito_identity_pool_id

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity(cognito_identity_id={self.cognito_identity_id!r}, "
            f"cognito_identity_pool_id={self.cognito_identity_pool_id!r})"
        )


class MobileClient:
    """The ``client`` part of a mobile SDK client context."""

    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, data: dict[str, object]) -> None:
        self.installation_id = _str_or_none(data.get("installation_id"))
        self.app_title = _str_or_none(data.get("app_title"))
        self.app_version_name = _str_or_none(data.get("app_version_name"))
        self.app_version_code = _str_or_none(data.get("app_version_code"))
        self.app_package_name = _str_or_none(data.get("app_package_name"))


class ClientContext:
    """The client context sent by a mobile SDK (``Lambda-Runtime-Client-Context``)."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, data: dict[str, object]) -> None:
        client = data.get("client")
        custom = data.get("custom")
        env = data.get("env")
        self.client = MobileClient(client) if isinstance(client, dict) else None
        self.custom: dict[str, object] | None = custom if isinstance(custom, dict) else None
        self.env: dict[str, object] | None = env if isinstance(env, dict) else None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


class LambdaContext:
    """What ``context`` offers a handler; the same names as the managed Python runtime's object."""

    __slots__ = (
        "_deadline_ms",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
        "tenant_id",
    )

    def __init__(
        self,
        aws_request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        environ: "dict[str, str] | None" = None,
        identity: CognitoIdentity | None = None,
        client_context: ClientContext | None = None,
        tenant_id: str | None = None,
    ) -> None:
        env = environ if environ is not None else {}
        self.aws_request_id = aws_request_id
        self._deadline_ms = deadline_ms
        self.invoked_function_arn = invoked_function_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = identity if identity is not None else CognitoIdentity()
        self.client_context = client_context
        self.tenant_id = tenant_id

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out (never negative)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: object) -> None:
        """Write a line to the function's log stream (stdout), as the managed runtime's ``context.log``."""
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(aws_request_id={self.aws_request_id!r}, function_name={self.function_name!r}, "
            f"function_version={self.function_version!r}, "
            f"invoked_function_arn={self.invoked_function_arn!r}, "
            f"memory_limit_in_mb={self.memory_limit_in_mb!r})"
        )
