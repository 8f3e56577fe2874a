"""DynamoDB tables of a moto running in this process, read in memory (no Scan).

    table = table_in_process(endpoint_url, "rs-dev-events", region="us-east-1", access_key="localcloud")
    if table is not None:                      # None: moto is not of this process (or no such table)
        for item in items_of(table): ...       # moto's Item objects (read only!), a snapshot of the table
        attribute_json(item, "expiresAt")      # {"N": "1799999999"} | None

A Scan through moto sorts every item of the table and deep-copies each one (and sizes it) before it
filters: O(table) of Python work per call, under the DynamoDB lock. A reader that must look at the
whole table again and again (the TTL sweeper every few seconds, a benchmark following the pushes)
pays that for the life of the run, and the table only grows. This reads moto's dictionaries
instead: no copy, no sort, no lock (`snapshot` copies a dict's entries, again if a writer added one
meanwhile: the copy can run Python code, the garbage collector's callbacks and finalizers, which
lets another thread in; an item changed meanwhile is read before or after the change, as a Scan
would; writers that act on what they read must use a conditional request through the API, as the
TTL sweeper does).
"""

from __future__ import annotations

import os
from typing import Any

from localcloud.aws import in_process


def table_in_process(endpoint_url: str, table_name: str, region: str, access_key: str) -> Any | None:
    """moto's ``Table`` named `table_name` if `endpoint_url` is an AWS endpoint of this process in
    front of a moto of this process; else None. The account is the one moto derives for `access_key`."""
    endpoint = in_process.endpoint_at(endpoint_url)
    if endpoint is None or not endpoint.moto_in_process:
        return None
    from moto.dynamodb.models import dynamodb_backends
    from moto.iam.models import get_account_id_from

    account = os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
    try:
        return dynamodb_backends[account][region].tables.get(table_name)
    except KeyError:  # pragma: no cover - an unknown region
        return None


def snapshot(mapping: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a dict another thread may be adding to (read again if it did:
    "dictionary changed size during iteration")."""
    while True:
        try:
            return list(mapping.items())
        except RuntimeError:
            continue


def items_of(table: Any) -> list[Any]:
    """Every item of a moto table, as it is now (moto's own objects: do not change them)."""
    partitions = [partition for _, partition in snapshot(table.items)]
    if table.range_key_attr:
        return [item for partition in partitions for _, item in snapshot(partition)]
    return partitions


def attribute_json(item: Any, name: str) -> dict[str, Any] | None:
    """One attribute of a moto item in DynamoDB JSON (``{"N": "12"}``), None if absent."""
    value = item.attrs.get(name)
    if value is None:
        return None
    json_value: dict[str, Any] = value.to_json()
    return json_value


def item_json(item: Any) -> dict[str, Any]:
    """A moto item in DynamoDB JSON, as GetItem answers it."""
    attributes: dict[str, Any] = item.to_json()["Attributes"]
    return attributes
