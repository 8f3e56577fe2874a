"""The lean AWS client against moto (the shared tests.support.moto server), with a Lambda's environment."""

from __future__ import annotations

import pytest

from localcloud.aws.moto_server import MotoServer
from tests.support.moto import lambda_like_env


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment as a Lambda has it (with a session token), endpoints on the moto server."""
    lambda_like_env(monkeypatch, moto_server.url)
    return moto_server.url
