"""Step Functions in a process of its own: moto's Step Functions backend and its ASL engine, with
StartSyncExecution, behind an HTTP front; its Task states call every other service (Lambda,
DynamoDB, SNS, SQS) through the AWS endpoint, as Step Functions calls them on AWS.

    sfn = StepFunctionsProcess(log_path).start()      # spawns the process (moto loads meanwhile)
    url = sfn.connect(endpoint.url)                   # its Task states call `endpoint`; waits until ready
    endpoint.route_stepfunctions_to(url)              # AWSStepFunctions.* calls go there
    sfn.stop()

Why: one Python process runs moto, so everything in it shares one core (the GIL). Step Functions
is the largest part of moto's work that talks to the rest only through the service APIs (the ASL
engine with its Task states was ~25 % of the local cloud's CPU at saturation, docs/local-cloud.md),
so it is the part that can move to the second core without changing behaviour: its Task states'
calls, which used to be handed to the endpoint in memory, now arrive over HTTP like the functions'.

The child (``python -m localcloud.aws.stepfunctions_process``) starts a `MotoServer` (the same
patches and janitor as the main one) and an `AwsEndpoint` over it without a function host (it
answers StartSyncExecution and names StartExecution, as the main endpoint did), prints one JSON
line ``{"url": ...}`` once it has read the AWS endpoint's URL from its standard input, and exits
when its standard input closes: it never outlives the local cloud that started it. Its Task
states' botocore clients hand their requests to `ParentEndpoint` (the in-process hook of
`localcloud.aws.botocore_hook`, which finds it by URL): one kept-alive ``http.client``
connection per thread to the AWS endpoint, instead of botocore's urllib3 stack (~15 % of this
process's CPU); the requests and answers are the same bytes.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import IO, Any

from localcloud.aws import in_process
from localcloud.aws.moto_proxy import MotoClient

READY_TIMEOUT_S = 60.0
TASK_CALL_TIMEOUT_S = 960.0  # a Lambda task may run 15 minutes


class ParentEndpoint:
    """The AWS endpoint of the local cloud's main process, as the botocore hook of this process
    reaches it: over kept-alive HTTP (`MotoClient`), the request and its answer unchanged."""

    moto_in_process = False

    def __init__(self, url: str) -> None:
        self._client = MotoClient(url, timeout_s=TASK_CALL_TIMEOUT_S)

    def handle(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        return self._client.request(method, path, body, headers)

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]:
        return self._client.call_json(target, payload, authorization)


class StepFunctionsProcess:
    """The child process serving Step Functions (see the module docstring)."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> StepFunctionsProcess:
        """Spawn the process; it imports moto while the caller starts the rest."""
        if self._proc is not None:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "localcloud.aws.stepfunctions_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
                bufsize=1,
            )
        return self

    def connect(self, aws_endpoint_url: str) -> str:
        """Tell the process where the AWS endpoint is; its URL once it serves (RuntimeError if it
        does not within READY_TIMEOUT_S, with its log's last lines)."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise RuntimeError("StepFunctionsProcess is not started")
        proc.stdin.write(json.dumps({"awsEndpoint": aws_endpoint_url}) + "\n")
        proc.stdin.flush()
        readable, _, _ = select.select([proc.stdout], [], [], READY_TIMEOUT_S)
        line = proc.stdout.readline() if readable else ""  # it writes its one line at once
        ready = json.loads(line) if line.strip() else None
        if not isinstance(ready, dict) or "url" not in ready:
            self.stop()
            raise RuntimeError(f"the Step Functions process did not start: {self._log_tail()}")
        return str(ready["url"])

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return "(no log)"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> None:
        """Close its standard input (it exits), then make sure it did (idempotent)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=5)
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


def serve(stdin: IO[str], stdout: IO[str]) -> int:
    """The child: moto and a front over it; its Task states call the AWS endpoint read from `stdin`."""
    import gc

    from localcloud.aws.endpoint import AwsEndpoint
    from localcloud.aws.moto_server import MotoServer

    moto = MotoServer().start()
    front = AwsEndpoint(moto_url=moto.url, host=None).start(set_moto_port=False)
    first = stdin.readline()
    if not first.strip():
        return 0
    config: dict[str, Any] = json.loads(first)
    endpoint = urllib.parse.urlsplit(str(config["awsEndpoint"]))
    # moto's ASL engine calls http://localhost:$MOTO_PORT for every Task state: the AWS endpoint
    os.environ["MOTO_PORT"] = str(endpoint.port)
    in_process.register(f"http://127.0.0.1:{endpoint.port}", ParentEndpoint(str(config["awsEndpoint"])))
    gc.freeze()  # start-up's objects live as long as the process: out of the full GC passes
    stdout.write(json.dumps({"url": front.url}) + "\n")
    stdout.flush()
    for _ in stdin:  # until the local cloud closes our standard input (or dies)
        pass
    front.stop()
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.stdin, sys.stdout))
