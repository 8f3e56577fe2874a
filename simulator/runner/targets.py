"""What the runner talks to: the API (commands, their status), the harness tables (the behaviour of
each vehicle, the pushes received) and the broker mock (vehicle-initiated events).

- `local_target`: a running local cloud with the test harness, from the JSON it publishes about itself.
- `stack_target`: a deployed stack, found by its CloudFormation outputs, with a token source.
Both speak to AWS with boto3 (this is a developer tool; nothing of it ships in a Lambda).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped, unused-ignore]
from botocore.auth import SigV4Auth  # type: ignore[import-untyped, unused-ignore]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped, unused-ignore]

from simulator.fleet import Fleet
from simulator.runner.vehicles import Vehicle

TokenSource = Callable[[str], str]  # owner name -> the Authorization header value (an id token)
BEHAVIOUR_TTL_S = 86400


class TargetError(RuntimeError):
    """The target cannot be used (say what is missing and how to fix it)."""


class Harness:
    """The harness tables and the broker mock of one stack, over one boto3 session."""

    def __init__(
        self,
        clients: Callable[[str], Any],
        harness_table: str,
        pushes_table: str,
        broker_mock_url: str,
        region: str,
        credentials: Any = None,
    ) -> None:
        self._client = clients
        self.harness_table = harness_table
        self.pushes_table = pushes_table
        self.broker_mock_url = broker_mock_url.rstrip("/")
        self.region = region
        self._credentials = credentials  # None: the default AWS credentials chain
        self._plain = TypeDeserializer()

    def set_behaviour(self, vin: str, case_id: str, behaviour: Mapping[str, Any]) -> None:
        """The vehicle answers the next commands as `behaviour` says (docs/test-harness.md, section 1)."""
        self._client("dynamodb").put_item(
            TableName=self.harness_table,
            Item={
                "vin": {"S": vin},
                "caseId": {"S": case_id},
                "behaviour": {"S": json.dumps(behaviour, separators=(",", ":"))},
                "brokerCalls": {"N": "0"},
                "expiresAt": {"N": str(int(time.time()) + BEHAVIOUR_TTL_S)},
            },
        )

    def record(self, vin: str) -> dict[str, Any] | None:
        """The VIN's behaviour record as it is now (AttributeValue JSON), or None."""
        reply = self._client("dynamodb").get_item(
            TableName=self.harness_table, Key={"vin": {"S": vin}}, ConsistentRead=True
        )
        item = reply.get("Item")
        return dict(item) if item else None

    def restore(self, vin: str, item: Mapping[str, Any] | None) -> None:
        """Put back what `record` read before a case (None: no record, the default behaviour), so a
        vehicle answers commands sent outside the suite as it did before (a local cloud's fleet is
        seeded with its standing behaviours)."""
        if item is None:
            self._client("dynamodb").delete_item(TableName=self.harness_table, Key={"vin": {"S": vin}})
        else:
            self._client("dynamodb").put_item(TableName=self.harness_table, Item=dict(item))

    def pushes(self, event_id: str) -> list[dict[str, Any]]:
        """The pushes the subscription mock received for one event, in arrival order."""
        reply = self._client("dynamodb").query(
            TableName=self.pushes_table,
            KeyConditionExpression="notificationId = :n",
            ExpressionAttributeValues={":n": {"S": event_id}},
            ConsistentRead=True,
        )
        items = [{k: self._plain.deserialize(v) for k, v in item.items()} for item in reply.get("Items", [])]
        return sorted(items, key=lambda item: int(item.get("receivedMs", 0)))

    def pushes_since(self, since_ms: int) -> list[dict[str, Any]]:
        """Every push received since `since_ms` (a Scan), in arrival order; the disclosure records the
        table also holds have a `kind` and are not pushes."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.pushes_table,
            "FilterExpression": "receivedMs >= :t AND attribute_not_exists(#k)",
            "ExpressionAttributeNames": {"#k": "kind"},
            "ExpressionAttributeValues": {":t": {"N": str(since_ms)}},
            "ConsistentRead": True,
        }
        while True:
            page = self._client("dynamodb").scan(**kwargs)
            for raw in page.get("Items", []):
                items.append({k: self._plain.deserialize(v) for k, v in raw.items()})
            if "LastEvaluatedKey" not in page:
                return sorted(items, key=lambda item: int(item.get("receivedMs", 0)))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def notifications_of(self, vin: str, since_ms: int) -> list[str]:
        """The notification ids pushed for one vehicle since `since_ms` (its vehicle-initiated events)."""
        pushes = self.pushes_since(since_ms)
        ids = {str(p["notificationId"]) for p in pushes if push_body(p).get("vin", p.get("vin")) == vin}
        return sorted(ids)

    def raise_event(self, vin: str, service_type: str, count: int = 1, every_ms: int = 0) -> None:
        """A vehicle-initiated event through the broker mock's `POST /raise` (SigV4-signed)."""
        body = json.dumps({"vin": vin, "serviceType": service_type, "count": count, "everyMs": every_ms})
        status, text = self._signed_post(self.broker_mock_url + "/raise", body)
        if status >= 300:
            raise TargetError(f"POST /raise answered {status}: {text[:200]}")

    def _signed_post(self, url: str, body: str) -> tuple[int, str]:
        credentials = self._credentials or boto3.session.Session().get_credentials()
        if credentials is None:
            raise TargetError("no AWS credentials to sign the broker mock's Function URL request")
        request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials, "lambda", self.region).add_auth(request)
        headers = dict(request.headers)
        prepared = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
        try:
            with urllib.request.urlopen(prepared, timeout=10) as response:
                return int(response.status), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode("utf-8", "replace")


def push_body(push: Mapping[str, Any]) -> dict[str, Any]:
    """The subscriber-format body of a recorded push (stored as JSON text or as a map)."""
    body = push.get("body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


class Target:
    """The API, a token per owner, the fleet and the harness of one stack."""

    def __init__(self, name: str, api_url: str, tokens: TokenSource, fleet: list[Vehicle], harness: Harness,
                 colour_header: str | None = None) -> None:
        self.name = name
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.fleet = fleet
        self.harness = harness
        self.colour_header = colour_header  # the blue/green override header, once the router exists


def fleet_of(fleet: Fleet) -> list[Vehicle]:
    """The runner's view of a fleet (simulator/fleet.json: the registry the stack was seeded with)."""
    return [Vehicle(v.vin, v.owner, v.generation, frozenset(v.capabilities)) for v in fleet.vehicles.values()]


def local_target(info: Mapping[str, Any], fleet: Fleet, colour: str | None = None) -> Target:
    """A running local cloud, from what it publishes about itself (`LocalCloud.info()`, written to
    `.localcloud/running.json` while `python -m localcloud serve` runs): the same way as a deployed
    stack, over HTTP, so the runner never imports the local cloud. `colour`: that colour's test
    harness (its broker and subscription mocks), for cases sent to it with the override header."""
    resources = info.get("resources") or {}
    urls = info.get("functionUrls") or {}
    if colour is not None:
        colours = info.get("colours") or {}
        if colour not in colours:
            raise TargetError(
                f"the local cloud does not run {colour} (colours: {', '.join(colours) or 'none'}): "
                "start it with `python -m localcloud serve --colours blue,green`"
            )
        resources, urls = colours[colour].get("resources") or {}, colours[colour].get("functionUrls") or {}
    missing = [n for n in ("HarnessTable", "PushesTable") if n not in resources]
    missing += [] if "BrokerMockFunctionUrl" in urls else ["BrokerMockFunctionUrl"]
    if missing:
        raise TargetError(
            f"the local cloud runs without the test harness ({', '.join(missing)} missing): "
            "start it with `python -m localcloud serve --harness`"
        )
    region = str(info.get("region", "us-east-1"))
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=str(info["endpointUrl"]))
        return clients[service]

    harness = Harness(client, str(resources["HarnessTable"]), str(resources["PushesTable"]),
                      str(urls["BrokerMockFunctionUrl"]), region, credentials=session.get_credentials())
    tokens = dict(info.get("tokens") or {})

    def token(owner: str) -> str:
        if owner not in tokens:
            raise TargetError(f"the local cloud has no user {owner!r} (users: {', '.join(sorted(tokens))})")
        return str(tokens[owner])

    name = "local" if colour is None else f"local-{colour}"
    return Target(name, str(info["apiUrl"]), token, fleet_of(fleet), harness)


def token_command(template: str) -> TokenSource:
    """Tokens from a command: `{owner}` in it is replaced; its stdout (stripped) is the token."""

    def token(owner: str) -> str:
        command = [part.replace("{owner}", owner) for part in shlex.split(template)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0 or not result.stdout.strip():
            raise TargetError(f"the token command for {owner!r} failed: {result.stderr.strip()[:200]}")
        return result.stdout.strip()

    cache: dict[str, str] = {}
    return lambda owner: cache[owner] if owner in cache else cache.setdefault(owner, token(owner))


def shared_stack_of(stack: str) -> str:
    """The shared stack of a colour stack named as `make deploy` names them: dev-blue -> dev-shared."""
    for colour in ("blue", "green"):
        if stack.endswith(f"-{colour}"):
            return stack[: -len(colour)] + "shared"
    raise TargetError(
        f"{stack!r} is not named <environment>-blue|green: name its shared stack (--shared-stack)"
    )


def stack_target(stack: str, region: str, tokens: TokenSource, fleet: list[Vehicle],
                 endpoint_url: str | None = None, shared_stack: str | None = None) -> Target:
    """A deployed colour stack, from its outputs (HarnessTableName, PushesTableName, BrokerMockUrl) and
    its environment's shared stack's (ApiUrl; `shared_stack_of` by default)."""
    session = boto3.session.Session(region_name=region)
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=endpoint_url)
        return clients[service]

    outputs = {
        **stack_outputs(client("cloudformation"), shared_stack or shared_stack_of(stack), region),
        **stack_outputs(client("cloudformation"), stack, region),
    }
    needed = ("ApiUrl", "HarnessTableName", "PushesTableName", "BrokerMockUrl")
    missing = [k for k in needed if k not in outputs]
    if missing:
        raise TargetError(
            f"stack {stack!r} has no output {', '.join(missing)}: deploy it with DeployTestHarness=true"
        )
    harness = Harness(
        client, outputs["HarnessTableName"], outputs["PushesTableName"], outputs["BrokerMockUrl"], region
    )
    return Target(stack, outputs["ApiUrl"], tokens, fleet, harness)


def stack_outputs(cloudformation: Any, stack: str, region: str) -> dict[str, str]:
    """A deployed stack's outputs (TargetError when it cannot be read)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as exc:  # botocore's ClientError, no credentials, no such stack
        raise TargetError(f"cannot read the stack {stack!r} in {region}: {exc}") from exc
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def env_tokens(prefix: str = "SCENARIO_TOKEN_") -> TokenSource:
    """Tokens from the environment: SCENARIO_TOKEN_<OWNER> (owner upper-cased)."""

    def token(owner: str) -> str:
        value = os.environ.get(prefix + owner.upper(), "")
        if not value:
            raise TargetError(f"no token for {owner!r}: set {prefix}{owner.upper()} or use --token-cmd")
        return value

    return token


