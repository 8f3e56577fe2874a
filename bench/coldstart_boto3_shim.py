"""The conventional baseline: CPython that imports boto3 and creates the function's clients at init,
then runs the same Runtime API loop and handler (``COLDSTART_BOTO3_CLIENTS=dynamodb,sns``)."""

import os
import sys

import boto3  # type: ignore[import-untyped, unused-ignore]

CLIENTS = [boto3.client(name) for name in os.environ.get("COLDSTART_BOTO3_CLIENTS", "").split(",") if name]

from lambda_runtime.loop import main  # noqa: E402 (after the clients, as a conventional init does)

if __name__ == "__main__":
    sys.exit(main())
