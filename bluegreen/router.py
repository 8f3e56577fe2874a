"""The router of one environment: its shared API stage (the colour and canary that route the requests)
and the weights table that mirrors it for the vehicle-initiated events (the incoming workflow rolls
its colour from the table's ``blue``; statemachines/incoming.asl.json).

    router = Router(apigw, dynamodb, rest_api_id, "live", "dev-weights")
    state = router.read()                       # RouterState
    router.apply(state.with_share("green", 10))  # one UpdateStage, then the table
    router.sync()                                # the table from the stage (after a deploy)

The stage is the truth: `apply` changes it in one UpdateStage (its patch operations apply together)
and then writes the table; `sync` rewrites the table from the stage, so that a failure between the
two is repaired by running it (`make shift` runs it first).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bluegreen.weights import RouterState, check_colour

WEIGHTS_ID = "current"  # the weights table's item (its key `id`)


class RouterError(RuntimeError):
    """The stage cannot route blue/green as the shared stack sets it up."""


def state_of(stage: Mapping[str, Any]) -> RouterState:
    """The router's state from a GetStage answer."""
    live = (stage.get("variables") or {}).get("colour")
    canary = stage.get("canarySettings")
    if live is None or not isinstance(canary, Mapping):
        raise RouterError(
            "the stage has no stage variable `colour` or no canary: it is not the router of "
            "stacks/shared.yaml (deploy the shared stack first)"
        )
    check_colour(str(live))
    overridden = (canary.get("stageVariableOverrides") or {}).get("colour")
    percent = float(canary.get("percentTraffic") or 0.0)
    if percent > 0 and overridden == live:
        raise RouterError(f"the canary sends {percent:g} % to the live colour {live} again: fix the stage")
    return RouterState(live=str(live), canary_percent=percent)


class Router:
    """Reads and changes the routing of one environment (see the module docstring)."""

    def __init__(
        self, apigateway: Any, dynamodb: Any, rest_api_id: str, stage: str, weights_table: str
    ) -> None:
        self._apigw = apigateway
        self._ddb = dynamodb
        self.rest_api_id = rest_api_id
        self.stage = stage
        self.weights_table = weights_table

    def read(self) -> RouterState:
        return state_of(self._apigw.get_stage(restApiId=self.rest_api_id, stageName=self.stage))

    def apply(self, state: RouterState) -> RouterState:
        """Route as `state` says: the stage (one UpdateStage), then the weights table."""
        self._apigw.update_stage(
            restApiId=self.rest_api_id,
            stageName=self.stage,
            patchOperations=[
                {"op": "replace", "path": "/variables/colour", "value": state.live},
                {
                    "op": "replace",
                    "path": "/canarySettings/stageVariableOverrides/colour",
                    "value": state.canary,
                },
                {
                    "op": "replace",
                    "path": "/canarySettings/percentTraffic",
                    "value": f"{state.canary_percent:g}",
                },
            ],
        )
        self.write_table(state)
        return state

    def write_table(self, state: RouterState) -> None:
        weights = state.weights()
        self._ddb.put_item(
            TableName=self.weights_table,
            Item={
                "id": {"S": WEIGHTS_ID},
                "blue": {"N": str(weights["blue"])},
                "green": {"N": str(weights["green"])},
                "live": {"S": state.live},
                "updatedMs": {"N": str(int(time.time() * 1000))},
            },
        )

    def read_table(self) -> dict[str, int] | None:
        item = self._ddb.get_item(
            TableName=self.weights_table, Key={"id": {"S": WEIGHTS_ID}}, ConsistentRead=True
        )
        found = item.get("Item")
        if not found or "blue" not in found:
            return None
        return {c: int(found[c]["N"]) for c in ("blue", "green") if c in found}

    def sync(self) -> RouterState:
        """The weights table from the stage; returns the stage's state."""
        state = self.read()
        self.write_table(state)
        return state
