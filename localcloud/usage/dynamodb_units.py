"""DynamoDB request units from item sizes, as on-demand capacity bills them:

- a write: 1 write request unit per 1 KB of the item (rounded up), whatever the outcome (a failed
  condition is billed too); a transactional write twice that; a delete by the item's size, at least 1;
- a read: 1 read request unit per 4 KB (rounded up) strongly consistent, half of it eventually
  consistent; a Query or Scan by the total size of the items it read, rounded up once.

Item size (the DynamoDB developer guide): attribute names plus values; a string its UTF-8 bytes, a
number about 1 byte per 2 significant digits plus 1, binary its bytes, a boolean or null 1 byte, a
list or map 3 bytes plus its elements (plus 1 per element), a set the sum of its members.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, v),) = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        digits = len(str(v).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return math.ceil(len(str(v)) * 3 / 4)  # base64 on the wire
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: member}) for member in v)
    if kind == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(x) + 1 for k, x in v.items())
    return 0


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(item: Mapping[str, Any] | None, transactional: bool = False) -> float:
    units = max(1, math.ceil(item_size(item or {}) / WRITE_UNIT_BYTES))
    return float(units * (2 if transactional else 1))


def read_units(total_bytes: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(total_bytes / READ_UNIT_BYTES))
    return units * (2.0 if transactional else 1.0 if consistent else 0.5)


def units(operation: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> tuple[float, float]:
    """(read units, write units) of one DynamoDB call (its request and response as JSON)."""
    consistent = bool(request.get("ConsistentRead"))
    if operation == "PutItem":
        return 0.0, write_units(request.get("Item"))
    if operation in ("UpdateItem", "DeleteItem"):
        after = response.get("Attributes") or {
            **request.get("Key", {}),
            **request.get("ExpressionAttributeValues", {}),
        }
        return 0.0, write_units(after)
    if operation == "GetItem":
        return read_units(item_size(response.get("Item") or {}), consistent), 0.0
    if operation in ("Query", "Scan"):
        total = sum(item_size(i) for i in response.get("Items", []))
        return read_units(total, consistent), 0.0
    if operation == "BatchWriteItem":
        puts = [
            r.get("PutRequest", {}).get("Item") for rs in request.get("RequestItems", {}).values() for r in rs
        ]
        return 0.0, sum(write_units(i) for i in puts)
    if operation == "BatchGetItem":
        items = [i for rs in response.get("Responses", {}).values() for i in rs]
        return sum(read_units(item_size(i), consistent) for i in items), 0.0
    if operation == "TransactWriteItems":
        items = [next(iter(t.values())).get("Item") for t in request.get("TransactItems", [])]
        return 0.0, sum(write_units(i, transactional=True) for i in items)
    return 0.0, 0.0
