"""Region, credentials and endpoint from the environment, the way botocore reads them in a Lambda."""

from __future__ import annotations

import os

from .errors import AwsError
from .sigv4 import Credentials


class Endpoint:
    """A parsed endpoint URL: scheme (http|https), host, port and base path."""

    __slots__ = ("host", "path", "port", "scheme", "url")

    def __init__(self, url: str) -> None:
        scheme, sep, rest = url.strip().partition("://")
        scheme = scheme.lower()
        netloc, slash, path = rest.partition("/")
        netloc = netloc.split("?", 1)[0].split("#", 1)[0]
        path = ("/" + path.split("?", 1)[0].split("#", 1)[0]) if slash else "/"
        if netloc.startswith("["):  # [IPv6]:port
            host, _, after = netloc[1:].partition("]")
            port = after[1:] if after.startswith(":") else after
        else:
            host, _, port = netloc.partition(":")
        if (
            not sep
            or scheme not in ("http", "https")
            or not host
            or "@" in netloc
            or (port and not port.isdigit())
        ):
            raise ValueError(f"endpoint URL must be http(s)://host[:port][/path], got {url!r}")
        self.url = url
        self.scheme = scheme
        self.host = host.lower()
        self.port = int(port) if port else (443 if scheme == "https" else 80)
        self.path = path

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"


_endpoints: dict[str, Endpoint] = {}


def region(service: str, operation: str, explicit: str | None = None) -> str:
    """The explicit region, else AWS_REGION, else AWS_DEFAULT_REGION."""
    value = explicit or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not value:
        raise AwsError(service, operation, "NoRegion", "set AWS_REGION or AWS_DEFAULT_REGION")
    return value


def credentials(service: str, operation: str, explicit: Credentials | None = None) -> Credentials:
    """Explicit credentials, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN."""
    if explicit is not None:
        return explicit
    env = os.environ
    access_key = env.get("AWS_ACCESS_KEY_ID")
    secret_key = env.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        raise AwsError(service, operation, "NoCredentials", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    return Credentials(access_key, secret_key, env.get("AWS_SESSION_TOKEN"))


def endpoint(service_id: str, host_prefix: str, region_name: str, explicit: str | None = None) -> Endpoint:
    """Explicit URL, else AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else the public endpoint.

    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the two environment variables, as in botocore.
    """
    url = explicit
    env = os.environ
    if not url and env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        url = env.get(f"AWS_ENDPOINT_URL_{service_id}") or env.get("AWS_ENDPOINT_URL")
    if not url:
        suffix = "amazonaws.com.cn" if region_name.startswith("cn-") else "amazonaws.com"
        url = f"https://{host_prefix}.{region_name}.{suffix}"
    parsed = _endpoints.get(url)
    if parsed is None:
        parsed = _endpoints[url] = Endpoint(url)
    return parsed
