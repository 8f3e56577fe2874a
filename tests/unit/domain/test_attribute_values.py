"""Plain JSON values <-> DynamoDB AttributeValue JSON."""

from __future__ import annotations

from typing import Any

import pytest

from remote_services.attribute_values import deserialize, from_item, serialize, to_item


def test_serialize_each_type() -> None:
    assert serialize("x") == {"S": "x"}
    assert serialize(True) == {"BOOL": True}
    assert serialize(False) == {"BOOL": False}
    assert serialize(7) == {"N": "7"}
    assert serialize(-1.5) == {"N": "-1.5"}
    assert serialize(None) == {"NULL": True}
    assert serialize({"a": [1, "b"]}) == {"M": {"a": {"L": [{"N": "1"}, {"S": "b"}]}}}
    assert serialize((1,)) == {"L": [{"N": "1"}]}
    assert serialize({"HORN_BLOW", "DOOR_LOCK"}) == {"SS": ["DOOR_LOCK", "HORN_BLOW"]}
    assert serialize(frozenset({2, 1})) == {"NS": ["1", "2"]}
    assert serialize(b"\x00\xff") == {"B": "AP8="}


def test_deserialize_numbers_come_back_int_when_integral() -> None:
    assert deserialize({"N": "1764000000123"}) == 1764000000123
    assert isinstance(deserialize({"N": "1764000000123"}), int)
    assert deserialize({"N": "2.0"}) == 2 and isinstance(deserialize({"N": "2.0"}), int)
    assert deserialize({"N": "1E+2"}) == 100 and isinstance(deserialize({"N": "1E+2"}), int)
    assert deserialize({"N": "1E+30"}) == 10**30
    assert deserialize({"N": "0.25"}) == 0.25
    assert deserialize({"N": "-3"}) == -3
    assert deserialize({"N": "123456789012345678901234567890"}) == 123456789012345678901234567890


def test_deserialize_sets_binary_and_nested() -> None:
    assert deserialize({"SS": ["a", "b"]}) == ["a", "b"]
    assert deserialize({"NS": ["1", "1.5"]}) == [1, 1.5]
    assert deserialize({"B": "AP8="}) == b"\x00\xff"
    assert deserialize({"BS": ["AP8="]}) == [b"\x00\xff"]
    assert deserialize({"M": {"x": {"L": [{"NULL": True}, {"BOOL": False}]}}}) == {"x": [None, False]}


def test_item_round_trip() -> None:
    value: dict[str, Any] = {
        "eventId": "8b0c3c9e",
        "sk": "STATE",
        "statusRank": 3,
        "ratio": 0.5,
        "final": True,
        "owner": None,
        "vehicle": {"generation": "G2", "country": "DE", "tags": ["a", 1, {"deep": "é🚗"}]},
        "empty": {},
        "none": [],
    }
    item = to_item(value)
    assert item["statusRank"] == {"N": "3"}
    assert from_item(item) == value


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (object(), TypeError),
        ({1: "x"}, TypeError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (set(), ValueError),
        ({"a", 1}, TypeError),
    ],
)
def test_serialize_rejects_unsupported_values(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        serialize(value)


def test_deserialize_rejects_malformed_attribute_values() -> None:
    with pytest.raises(ValueError, match="unknown AttributeValue type"):
        deserialize({"X": "1"})
    with pytest.raises(ValueError, match="exactly one key"):
        deserialize({"S": "a", "N": "1"})
    with pytest.raises(ValueError):
        deserialize({"N": "not-a-number"})
