"""``lambda_runtime.jsonlite`` gives the same results as ``json`` for what the runtime exchanges."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from lambda_runtime import jsonlite

VALUES: list[object] = [
    {},
    [],
    {"Records": []},
    {"a": [1, -2, 2.5, 1e300, True, False, None, "x"], "b": {"c": {}}},
    {"vin": "WVWZZZ1JZXW000001", "name": "Zoë \u2603 \U0001f697", "quote": 'he said "hi"\n\t\\'},
    {3: "int key", 2.5: "float key", False: "bool key", None: "none key"},
    [0.1, 1 / 3, -0.0, 10**30, -(10**30)],
    "just a string",
    12,
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_matches_json(value: object) -> None:
    assert jsonlite.dumps(value) == json.dumps(value)


@pytest.mark.parametrize("value", VALUES)
def test_loads_round_trips_like_json(value: object) -> None:
    text = json.dumps(value)
    assert jsonlite.loads(text) == json.loads(text)
    assert jsonlite.loads(text.encode()) == json.loads(text)


def test_loads_whitespace_and_constants() -> None:
    assert jsonlite.loads(' \n\t{"a" : [ 1 , 2 ] }\r\n ') == {"a": [1, 2]}
    value = jsonlite.loads("[NaN, Infinity, -Infinity]")
    assert isinstance(value, list)
    assert math.isnan(value[0]) and value[1:] == [math.inf, -math.inf]
    assert jsonlite.dumps([math.inf]) == json.dumps([math.inf])


@pytest.mark.parametrize(
    "text",
    ["", "   ", "{", '{"a": }', "[1,", '"unterminated', "nope", "{} {}", "[1] x", '{"a" 1}', "\ufeff{}"],
)
def test_loads_rejects_invalid_json_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)  # the reference agrees that it is invalid
    with pytest.raises(ValueError):
        jsonlite.loads(text)


def test_dumps_errors_like_json() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        jsonlite.dumps({"a": {1, 2}})
    circular: list[object] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular reference"):
        jsonlite.dumps(circular)


def test_the_loop_does_not_import_json_re_or_enum() -> None:
    code = "import sys, lambda_runtime.loop; print(sorted({'json', 're', 'enum'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": sys.modules["lambda_runtime"].__path__[0].rsplit("/", 1)[0]},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
