"""The VTL surface the mapping templates use: ``$input``, ``$util``, ``$context``, ``$stageVariables``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.apigateway.vtl import BodyNotJson, MappingError, VtlInput, escape_javascript, render

BODY = json.dumps({"a": {"b": [1, 2, {"c": "x"}]}, "name": 'O\'Neil "Bob"', "n": 3})


def _render(template: str, body: str = BODY, context: dict[str, Any] | None = None) -> str:
    input_ = VtlInput(body, path={"vin": "V1"}, querystring={"q": "1"}, header={"X-Client": "app"})
    return render(template, input_, context or {}, {"colour": "green"})


def test_input_json_and_path() -> None:
    assert _render("$input.json('$.a.b')") == '[1,2,{"c":"x"}]'
    assert _render("$input.json('$')") == json.dumps(json.loads(BODY), separators=(",", ":"))
    assert _render("$input.path('$.a.b[2].c')") == "x"
    assert _render("#set($b = $input.path('$.a.b'))$b.size()") == "3"
    assert _render("$input.path('$.n')") == "3"
    assert _render("$input.body") == BODY


def test_input_params() -> None:
    assert _render("$input.params('vin') $input.params('q') $input.params('x-client')") == "V1 1 app"
    assert _render("$input.params().path.vin $input.params().header.get('X-Client')") == "V1 app"
    assert _render("#foreach($k in $input.params().querystring.keySet())$k#end") == "q"


def test_util_functions() -> None:
    assert _render("$util.escapeJavaScript($input.path('$.name'))") == 'O\\\'Neil \\"Bob\\"'
    assert _render("$util.urlEncode('a b&c')") == "a+b%26c"
    assert _render("$util.urlDecode('a+b%26c')") == "a b&c"
    assert _render("$util.base64Encode('hi there')") == "aGkgdGhlcmU="
    assert _render("$util.base64Decode('aGkgdGhlcmU=')") == "hi there"
    assert _render("#set($o = $util.parseJson('{\"k\": [1]}'))$o.k.get(0)") == "1"
    assert _render("$util.toJson($util.parseJson($input.body).a)") == '{"b":[1,2,{"c":"x"}]}'


def test_escape_javascript_matches_apache_commons() -> None:
    assert escape_javascript("a/b\n\t\u00e9\U0001f600") == "a\\/b\\n\\t\\u00E9\\uD83D\\uDE00"


def test_context_stage_variables_and_response_override() -> None:
    context: dict[str, Any] = {"requestId": "r-1", "responseOverride": {"status": None, "header": {}}}
    out = _render(
        "#set($context.responseOverride.status = 404)#set($context.responseOverride.header.X = 'y')"
        "$context.requestId $stageVariables.colour",
        context=context,
    )
    assert out == "r-1 green"
    assert context["responseOverride"] == {"status": 404, "header": {"X": "y"}}


def test_a_body_that_is_not_json_fails_only_when_a_template_reads_it_as_json() -> None:
    assert _render("$input.body", body="not json") == "not json"
    with pytest.raises(BodyNotJson):
        _render("$input.json('$')", body="not json")


def test_a_broken_template_is_a_mapping_error() -> None:
    with pytest.raises(MappingError):
        _render("#if($x")
