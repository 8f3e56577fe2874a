"""The router and the canary shift against moto, on the shared stack as the local cloud provisions it
(stacks/shared.yaml: the API stage with its colour variable and canary, the weights table), and two
developers' environments side by side in one account.

The gate here is a fake with a script of verdicts (the real one, which runs the scenario suite
through the header, runs in `make bluegreen-demo`, tests/e2e/test_bluegreen.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bluegreen.gate import GateResult
from bluegreen.router import Router, RouterError
from bluegreen.shift import shift
from bluegreen.weights import RouterState
from localcloud.aws.moto_server import MotoServer
from localcloud.provision import Provisioned, provision
from tests.support.moto import client_at, running_moto

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


def client(moto: MotoServer, service: str) -> Any:
    return client_at(moto.url, service)


def shared_stack(moto: MotoServer, env: str) -> Provisioned:
    return provision(
        ROOT / "stacks" / "shared.yaml", moto.url, {"EnvironmentName": env}, stack_name=f"{env}-shared"
    )


def router_of(moto: MotoServer, prov: Provisioned) -> Router:
    return Router(
        client(moto, "apigateway"),
        client(moto, "dynamodb"),
        prov.physical_ids["Api"],
        "live",
        prov.physical_ids["WeightsTable"],
    )


class ScriptedGate:
    """Verdicts in order (True: passed); records the colour of every check."""

    def __init__(self, verdicts: list[bool]) -> None:
        self.verdicts = list(verdicts)
        self.checked: list[str] = []

    def dead_letters(self, colour: str) -> dict[str, int]:
        return {}

    def check(self, colour: str, baseline: dict[str, int]) -> GateResult:
        self.checked.append(colour)
        passed = self.verdicts.pop(0)
        return GateResult(colour, cases=5, failed=[] if passed else ["gate/horn-blow: FAILED"])


@pytest.fixture
def router(moto: MotoServer, request: pytest.FixtureRequest) -> Router:
    env = "rt-" + request.node.name.split("_")[-1][:12].replace("[", "").lower()
    return router_of(moto, shared_stack(moto, env))


def test_the_stage_routes_blue_at_creation_and_the_table_follows_on_sync(router: Router) -> None:
    assert router.read() == RouterState("blue")
    assert router.read_table() is None  # nothing wrote it yet: make deploy runs `bluegreen sync`
    router.sync()
    assert router.read_table() == {"blue": 100, "green": 0}


def test_apply_changes_the_stage_in_one_update_and_then_the_table(router: Router, moto: MotoServer) -> None:
    router.apply(RouterState("blue", 10.0))
    stage = client(moto, "apigateway").get_stage(restApiId=router.rest_api_id, stageName="live")
    assert stage["variables"]["colour"] == "blue"
    assert stage["canarySettings"]["percentTraffic"] == 10.0
    assert stage["canarySettings"]["stageVariableOverrides"] == {"colour": "green"}
    assert router.read_table() == {"blue": 90, "green": 10}
    router.apply(RouterState("green"))  # the promotion: green is the stage's colour, the canary blue
    stage = client(moto, "apigateway").get_stage(restApiId=router.rest_api_id, stageName="live")
    assert stage["variables"]["colour"] == "green"
    assert stage["canarySettings"]["stageVariableOverrides"] == {"colour": "blue"}
    assert router.read() == RouterState("green") and router.read_table() == {"blue": 0, "green": 100}


def test_a_shift_that_passes_every_gate_moves_the_weights_step_by_step(router: Router) -> None:
    gate = ScriptedGate([True, True, True, True])
    seen: list[dict[str, int]] = []
    report = shift(
        router, gate, "green", [10, 50, 100], bake_s=0, between_steps=lambda s: seen.append(s.weights())
    )
    assert report.outcome == "shifted" and report.passed
    assert seen == [{"blue": 90, "green": 10}, {"blue": 50, "green": 50}, {"blue": 0, "green": 100}]
    assert gate.checked == ["green"] * 4  # before each step and once at 100 %
    assert router.read() == RouterState("green") and router.read_table() == {"blue": 0, "green": 100}


def test_a_failed_gate_after_a_step_rolls_back_to_the_first_weights(router: Router) -> None:
    router.apply(RouterState("blue"))
    gate = ScriptedGate([True, True, False])
    report = shift(router, gate, "green", [10, 50, 100], bake_s=0)
    assert report.outcome == "rolled back" and not report.passed
    assert report.reached == 50.0
    assert router.read() == RouterState("blue") and router.read_table() == {"blue": 100, "green": 0}
    assert [entry.get("applied") for entry in report.log if "applied" in entry] == [
        {"blue": 90, "green": 10},
        {"blue": 50, "green": 50},
    ]


def test_a_failed_first_gate_changes_nothing(router: Router) -> None:
    router.apply(RouterState("blue", 20.0))
    report = shift(router, ScriptedGate([False]), "green", [50, 100], bake_s=0)
    assert report.outcome == "refused"
    assert router.read() == RouterState("blue", 20.0) and router.read_table() == {"blue": 80, "green": 20}


def test_a_stage_that_is_not_the_router_is_refused(moto: MotoServer) -> None:
    apigw = client(moto, "apigateway")
    api = apigw.create_rest_api(name="not-a-router")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="live")
    with pytest.raises(RouterError, match="not the router"):
        Router(apigw, client(moto, "dynamodb"), api, "live", "none").read()


def test_the_canary_share_is_checked_as_aws_checks_it(router: Router, moto: MotoServer) -> None:
    apigw = client(moto, "apigateway")
    with pytest.raises(apigw.exceptions.BadRequestException, match="percentTraffic"):
        apigw.update_stage(
            restApiId=router.rest_api_id,
            stageName="live",
            patchOperations=[{"op": "replace", "path": "/canarySettings/percentTraffic", "value": "101"}],
        )


def test_two_developers_environments_coexist_in_one_account(moto: MotoServer) -> None:
    """alice's and bob's shared and blue stacks, from the same templates, in one moto: every named
    resource carries the environment's name, nothing collides, and each router is its own."""
    stacks = {}
    for env in ("alice", "bob"):
        params = {
            "EnvironmentName": env,
            "BrokerUrl": "http://127.0.0.1:9/b",
            "SubscriberUrl": "http://127.0.0.1:9/s",
        }
        stacks[env] = (
            shared_stack(moto, env),
            provision(
                ROOT / "template.yaml", moto.url, {**params, "Colour": "blue"}, stack_name=f"{env}-blue"
            ),
        )
    names = {
        env: {v for prov in provs for v in prov.physical_ids.values() if isinstance(v, str)}
        for env, provs in stacks.items()
    }
    assert not names["alice"] & names["bob"], sorted(names["alice"] & names["bob"])[:5]
    for env, provs in stacks.items():
        for prov in provs:
            for lid in (
                "EventsTable",
                "WeightsTable",
                "EventsTopic",
                "PersisterQueue",
                "EventCreationStateMachine",
            ):
                if lid in prov.physical_ids:
                    assert f"{env}-" in prov.physical_ids[lid], (env, lid, prov.physical_ids[lid])
            assert all(f"{env}-" in fn.name for fn in prov.functions.values())
    alice, bob = router_of(moto, stacks["alice"][0]), router_of(moto, stacks["bob"][0])
    alice.apply(RouterState("blue", 10.0))
    bob.sync()
    assert alice.read() == RouterState("blue", 10.0) and alice.read_table() == {"blue": 90, "green": 10}
    assert bob.read() == RouterState("blue") and bob.read_table() == {"blue": 100, "green": 0}
