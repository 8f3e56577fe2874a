"""Seeding the provisioned cloud from the fleet (`simulator/fleet.json`): Cognito users (the
vehicles' owners, with a permanent password and an id token), the vehicle registry;
with the test harness, each vehicle's behaviour record (from `simulator/scenarios/fleet-*.yaml`).

    sub, id_token = create_user(cognito_idp_client, pool_id, client_id, "alice")
    create_users(cognito_idp_client, pool_id, client_id, ["alice", "bob"]) -> {name: (sub, id_token)}
    seed_tables(dynamodb_client, physical_ids, fleet, subs)      # VehicleRegistryTable, WeightsTable
    seed_behaviours(dynamodb_client, harness_table, {vin: behaviour})   # HarnessTable
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from simulator.fleet import Fleet

PASSWORD = "Local-cloud-1!"
SEED_CASE = "fleet"  # the caseId of a seeded behaviour record
SEED_TTL_S = 10 * 365 * 86400  # the local cloud's TTL sweeper deletes expired records: never for these


def create_user(idp: Any, pool_id: str, client_id: str, username: str) -> tuple[str, str]:
    """A confirmed user of the pool; returns its ``sub`` and an id token."""
    idp.admin_create_user(
        UserPoolId=pool_id, Username=username, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
    attrs = idp.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    sub = next(a["Value"] for a in attrs if a["Name"] == "sub")
    auth = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return sub, str(auth["AuthenticationResult"]["IdToken"])


def create_users(idp: Any, pool_id: str, client_id: str, names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """`create_user` for each name, four at a time."""
    names = list(names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = pool.map(lambda name: create_user(idp, pool_id, client_id, name), names)
        return dict(zip(names, made, strict=True))


def seed_tables(ddb: Any, physical_ids: Mapping[str, str], fleet: Fleet, subs: Mapping[str, str]) -> None:
    """The registry (each vehicle with its owner's ``sub``), when the template has it. (The weights
    table is the router's: `bluegreen.router.Router.sync` writes it.)"""
    registry = physical_ids.get("VehicleRegistryTable")
    if registry:
        items = list(fleet.registry_items(subs))
        for i in range(0, len(items), 25):
            ddb.batch_write_item(
                RequestItems={registry: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
            )


def behaviour_item(vin: str, behaviour: Mapping[str, Any], case_id: str = SEED_CASE) -> dict[str, Any]:
    """A HarnessTable item (AttributeValue JSON): docs/test-harness.md, section 1."""
    return {
        "vin": {"S": vin},
        "caseId": {"S": case_id},
        "behaviour": {"S": json.dumps(behaviour, separators=(",", ":"))},
        "brokerCalls": {"N": "0"},
        "expiresAt": {"N": str(int(time.time()) + SEED_TTL_S)},
    }


def seed_behaviours(ddb: Any, table: str, behaviours: Mapping[str, Mapping[str, Any]]) -> None:
    """One behaviour record per vehicle: how it answers a command outside a scenario case."""
    items = [behaviour_item(vin, b) for vin, b in behaviours.items()]
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]})
