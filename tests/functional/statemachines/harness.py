"""A bare local cloud for executing the ASL: a moto server with the Step Functions
interpreter on, behind a small front that answers the Lambda Invoke API with in-process
handlers and forwards every other request to moto.

moto's interpreter calls other services at ``localhost:$MOTO_PORT``; pointing MOTO_PORT at
the front routes ``lambda:invoke`` tasks to the handlers while SNS, SQS and DynamoDB stay
moto's own.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.moto import running_moto

REGION = "eu-central-1"
ACCOUNT = "123456789012"
ROOT = Path(__file__).resolve().parents[3]

LambdaHandler = Callable[[Any], Any]
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations")


def function_name(arn_or_name: str) -> str:
    """The function name of a Lambda ARN (or the name itself)."""
    return arn_or_name.split(":function:")[-1].split(":")[0]


class Front:
    """HTTP front: Lambda Invoke -> in-process handlers, everything else -> moto."""

    def __init__(self, moto_port: int) -> None:
        self.moto_port = moto_port
        self.functions: dict[str, LambdaHandler] = {}
        self.invocations: list[tuple[str, Any]] = []
        self.service_faults: dict[str, int] = {}  # name -> how many invokes fail with Lambda ServiceException
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "server",
                        "date",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                body = self._body()
                match = _INVOKE.match(self.path)
                if match and self.command == "POST":
                    self._invoke(function_name(urllib.parse.unquote(match.group(1))), body)
                    return
                self._forward(body)

            def _invoke(self, name: str, body: bytes) -> None:
                handler = front.functions.get(name)
                if handler is None:
                    error = {"Type": "User", "Message": f"Function not found: {name}"}
                    self._reply(
                        404, [("x-amzn-ErrorType", "ResourceNotFoundException")], json.dumps(error).encode()
                    )
                    return
                event = json.loads(body or b"{}")
                front.invocations.append((name, event))
                if front.service_faults.get(name, 0) > 0:
                    front.service_faults[name] -= 1
                    error = {"Type": "Service", "Message": "injected Lambda service fault"}
                    headers = [
                        ("x-amzn-ErrorType", "ServiceException"),
                        ("x-amzn-RequestId", str(uuid.uuid4())),
                    ]
                    self._reply(500, headers, json.dumps(error).encode())
                    return
                headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
                try:
                    result = handler(event)
                except Exception as exc:
                    payload = {
                        "errorMessage": str(exc),
                        "errorType": type(exc).__name__,
                        "stackTrace": traceback.format_tb(exc.__traceback__),
                    }
                    headers.append(("X-Amz-Function-Error", "Unhandled"))
                    self._reply(200, headers, json.dumps(payload).encode())
                    return
                self._reply(200, headers, json.dumps(result).encode())

            def _forward(self, body: bytes) -> None:
                url = f"http://127.0.0.1:{front.moto_port}{self.path}"
                request = urllib.request.Request(url, data=body if body else None, method=self.command)
                for key, value in self.headers.items():
                    if key.lower() not in ("host", "content-length", "connection"):
                        request.add_header(key, value)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self._reply(response.status, list(response.headers.items()), response.read())
                except urllib.error.HTTPError as error:
                    self._reply(error.code, list(error.headers.items()), error.read())

            do_GET = _handle
            do_POST = _handle
            do_PUT = _handle
            do_DELETE = _handle
            do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def local_cloud(monkeypatch: Any) -> Iterator[Front]:
    """A moto server (SFN interpreter on) behind a Lambda-answering front, for one test."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)  # it logs whole ASL trees per error
    with running_moto() as moto:  # Step Functions execution is on
        front = Front(moto.port)
        front.start()
        monkeypatch.setenv("MOTO_PORT", str(front.port))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        try:
            yield front
        finally:
            front.stop()


def substitute(path: Path, values: dict[str, str]) -> str:
    """The ASL with its ``${Name}`` placeholders filled, as DefinitionSubstitutions does;
    fails on a placeholder that has no value."""
    text = path.read_text()
    missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if missing:
        raise KeyError(f"no substitution for {missing} in {path.name}")
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


def run_execution(sfn: Any, machine_arn: str, payload: Any, timeout_s: float = 30.0) -> dict[str, Any]:
    """Start an execution and wait (bounded) until it leaves RUNNING."""
    arn = sfn.start_execution(stateMachineArn=machine_arn, name=uuid.uuid4().hex, input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + timeout_s
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {arn} still RUNNING after {timeout_s} s")
        time.sleep(0.05)


class Message:
    """One SQS message: the body (parsed when JSON) and the string message attributes."""

    def __init__(self, raw: dict[str, Any]) -> None:
        text = raw["Body"]
        try:
            self.body: Any = json.loads(text)
        except ValueError:
            self.body = text
        self.attributes = {k: v["StringValue"] for k, v in (raw.get("MessageAttributes") or {}).items()}

    def __repr__(self) -> str:
        return f"Message({self.body!r}, {self.attributes!r})"


class Mailbox:
    """Everything read from the queues so far, so that tests sharing queues each find their own
    messages (by event id) whatever order they run in."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.seen: dict[str, list[Message]] = {}

    def drain(self, queue_url: str) -> list[Message]:
        """Receive (and delete) every visible message of the queue; returns all ever read from it."""
        box = self.seen.setdefault(queue_url, [])
        for _ in range(100):
            got = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                break
            for raw in got:
                box.append(Message(raw))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=raw["ReceiptHandle"])
        return box

    def of_event(self, queue_url: str, event_id: str) -> list[Message]:
        """The messages of one event (envelopes carry eventId at the top level)."""
        return [
            m for m in self.drain(queue_url) if isinstance(m.body, dict) and m.body.get("eventId") == event_id
        ]
