"""Plain JSON values <-> DynamoDB AttributeValue JSON.

str -> S, bool -> BOOL, int/float -> N (via str), None -> NULL, dict -> M, list/tuple -> L,
bytes -> B (base64), set/frozenset of str -> SS, of numbers -> NS. Back: N is an int when
integral, else a float; SS/NS/BS become lists; B becomes bytes.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    AttributeValue = dict[str, Any]


_INFINITIES = (float("inf"), float("-inf"))


def _number(value: int | float) -> str:
    if isinstance(value, float) and (value != value or value in _INFINITIES):  # math.isfinite, no math
        raise ValueError(f"DynamoDB numbers must be finite, got {value!r}")
    return str(value)


def serialize(value: object) -> AttributeValue:
    """The AttributeValue for one plain value; TypeError for anything else."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": _number(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"map keys must be str, got {k!r}")
            out[k] = serialize(v)
        return {"M": out}
    if isinstance(value, (list, tuple)):
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, (bytes, bytearray)):
        import base64

        return {"B": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (set, frozenset)):
        if not value:
            raise ValueError("DynamoDB sets cannot be empty")
        if all(isinstance(v, str) for v in value):
            return {"SS": sorted(value)}
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return {"NS": sorted(_number(v) for v in value)}
        raise TypeError("sets must hold only str or only numbers")
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB: {value!r}")


def _parse_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    number = float(text)
    if number.is_integer():
        if abs(number) < 2**53:
            return int(number)
        from decimal import Decimal  # exact for large integral values such as "1E+30"

        return int(Decimal(text))
    return number


def deserialize(av: Mapping[str, Any]) -> Any:
    """The plain value of one AttributeValue; ValueError for an unknown or malformed one."""
    if len(av) != 1:
        raise ValueError(f"an AttributeValue has exactly one key, got {sorted(av)!r}")
    ((kind, data),) = av.items()
    if kind == "S":
        return data
    if kind == "N":
        return _parse_number(data)
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: deserialize(v) for k, v in data.items()}
    if kind == "L":
        return [deserialize(v) for v in data]
    if kind == "SS":
        return list(data)
    if kind == "NS":
        return [_parse_number(v) for v in data]
    if kind in ("B", "BS"):
        import base64

        return base64.b64decode(data) if kind == "B" else [base64.b64decode(v) for v in data]
    raise ValueError(f"unknown AttributeValue type {kind!r}")


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """A DynamoDB item (attribute name -> AttributeValue) from a plain dict."""
    return {name: serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A plain dict from a DynamoDB item."""
    return {name: deserialize(av) for name, av in item.items()}
