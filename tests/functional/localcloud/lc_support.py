"""Helpers: moto + function host + AWS endpoint on free ports, and the tiny test runtime."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from localcloud.aws.endpoint import AwsEndpoint
from localcloud.aws.moto_server import MotoServer
from localcloud.lambda_host import FunctionHost, FunctionSpec

FIXTURE_FN = Path(__file__).parent / "fixtures" / "fn"
ACCOUNT = "123456789012"
REGION = "us-east-1"


def spec(name: str, **overrides: Any) -> FunctionSpec:
    """A FunctionSpec running the fixture bootstrap."""
    values: dict[str, Any] = {
        "logical_id": name,
        "function_name": f"lc-{name}",
        "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lc-{name}",
        "artifact_dir": FIXTURE_FN,
        "handler": "app.handler",
        "environment": {},
        "timeout_s": 10.0,
        "memory_mb": 128,
        "reserved_concurrency": None,
    }
    values.update(overrides)
    return FunctionSpec(**values)


@dataclass
class Cloud:
    moto: MotoServer
    host: FunctionHost
    endpoint: AwsEndpoint
    log_dir: Path

    def client(self, service: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, read_timeout=60, **config),
        )


def start_cloud(log_dir: Path) -> Cloud:
    moto = MotoServer().start()
    host = FunctionHost(log_dir=log_dir, region=REGION)
    front = AwsEndpoint(moto.url, host).start()
    return Cloud(moto, host, front, log_dir)


def stop_cloud(cloud: Cloud) -> None:
    cloud.endpoint.stop()
    cloud.host.stop()
    cloud.moto.stop()
