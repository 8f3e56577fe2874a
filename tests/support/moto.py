"""One way to run moto in the tests: the local cloud's own `MotoServer` (moto in-process on a free
127.0.0.1 port, with the local cloud's patches and Step Functions execution on), so every suite
tests against the same emulation the local cloud runs.

    moto_server          a pytest fixture, one server for the whole session (tests use fresh names)
    running_moto()       a context manager, for a suite that needs a server of its own
    lambda_like_env(...) the environment a Lambda has, with every AWS endpoint on the server
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from localcloud.aws.moto_server import MotoServer


@contextmanager
def running_moto() -> Iterator[MotoServer]:
    """A started moto server, stopped on exit."""
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """The session's moto server."""
    with running_moto() as server:
        yield server


def client_at(url: str, service: str, region: str = "us-east-1") -> Any:
    """A boto3 client of `service` at the moto server (or endpoint) at `url`, with test credentials."""
    import boto3  # type: ignore[import-untyped, unused-ignore]

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def lambda_like_env(monkeypatch: pytest.MonkeyPatch, url: str, region: str = "eu-central-1") -> None:
    """Environment as a Lambda has it (with a session token), every endpoint on the server at `url`."""
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing-token")
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
