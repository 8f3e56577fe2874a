"""DynamoDB TTL, which moto never enforces: a sweeper that deletes expired items.

API::

    sweeper = TtlSweeper(endpoint_url=endpoint.url, tables={"rs-dev-events": "expiresAt"},
                         region="us-east-1", interval_s=5.0)
    sweeper.start()          # returns self; sweeps every interval_s in a daemon thread
    sweeper.sweep_once()     # -> number of items deleted (all tables), now
    sweeper.deleted          # total so far
    sweeper.stop()

As DynamoDB does: an item expires when its TTL attribute is a Number (epoch seconds) in the
past; items without the attribute, with a non-number, or more than five years in the past are
left alone. Each delete is conditional on the item still being expired, so an item whose TTL
was pushed forward meanwhile survives. (AWS deletes within days; locally within `interval_s`.)

Finding the expired items: when moto runs in this process (the local cloud), its tables are read
in memory (`localcloud.aws.moto_tables`); otherwise with a Scan. A Scan through moto deep-copies
every item of the table: the events table grows by ~6 items a command, so a sweep every 5 s cost
more with every command of a run (py-spy: Scans were 12 % of the GIL's time 30 s into a run at
3 commands/s and 31 % at 150 s, with the benchmark's own Scans). The deletes go through the API.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from localcloud.aws.moto_tables import attribute_json, items_of, table_in_process

LOG = logging.getLogger("localcloud.aws.dynamodb_ttl")
FIVE_YEARS_S = 5 * 365 * 24 * 3600
ACCESS_KEY = "localcloud"


class TtlSweeper:
    """See the module docstring."""

    def __init__(
        self,
        endpoint_url: str,
        tables: Mapping[str, str],
        region: str = "us-east-1",
        interval_s: float = 5.0,
    ) -> None:
        self.tables = dict(tables)
        self.interval_s = interval_s
        self.deleted = 0
        self._client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key="localcloud",
            config=Config(retries={"max_attempts": 2}),
        )
        self._endpoint_url, self._region = endpoint_url, region
        self._keys: dict[str, list[str]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> TtlSweeper:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ttl-sweeper", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def __enter__(self) -> TtlSweeper:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep_once()
            except Exception:
                LOG.exception("TTL sweep failed; next one in %.1f s", self.interval_s)

    def sweep_once(self) -> int:
        """Delete every expired item now; returns how many were deleted."""
        total = 0
        for table, attribute in self.tables.items():
            total += self._sweep(table, attribute)
        self.deleted += total
        return total

    def _key_names(self, table: str) -> list[str]:
        if table not in self._keys:
            schema = self._client.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [str(k["AttributeName"]) for k in schema]
        return self._keys[table]

    def _sweep(self, table: str, attribute: str) -> int:
        keys = self._key_names(table)
        now = int(time.time())
        in_memory = table_in_process(self._endpoint_url, table, self._region, ACCESS_KEY)
        if in_memory is not None:
            expired = [
                {k: attribute_json(item, k) for k in keys}
                for item in items_of(in_memory)
                if _expired(attribute_json(item, attribute), now)
            ]
            return sum(self._delete(table, attribute, key, now) for key in expired)
        names = {"#ttl": attribute, **{f"#k{i}": k for i, k in enumerate(keys)}}
        # filtered here, not with a FilterExpression: moto's comparison of a string TTL attribute
        # with a number fails with an internal error instead of being false
        scan: dict[str, Any] = {
            "TableName": table,
            "ProjectionExpression": ", ".join(["#ttl", *(f"#k{i}" for i in range(len(keys)))]),
            "ExpressionAttributeNames": names,
        }
        deleted = 0
        while True:
            page = self._client.scan(**scan)
            for item in page.get("Items", []):
                if _expired(item.get(attribute), now):
                    deleted += self._delete(table, attribute, {k: item[k] for k in keys}, now)
            if "LastEvaluatedKey" not in page:
                return deleted
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete(self, table: str, attribute: str, key: dict[str, Any], now: int) -> int:
        """Delete one item if it is still expired: 1 if deleted, 0 if its TTL moved meanwhile."""
        try:
            self._client.delete_item(
                TableName=table,
                Key=key,
                ConditionExpression="#ttl < :now",
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return 0
        return 1


def _expired(value: Any, now: int) -> bool:
    """A Number attribute (epoch seconds) in the past, but not more than five years."""
    if not isinstance(value, dict) or "N" not in value:
        return False
    try:
        expires = float(value["N"])
    except ValueError:
        return False
    return now - FIVE_YEARS_S <= expires < now
