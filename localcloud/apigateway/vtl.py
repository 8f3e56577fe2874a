"""VTL mapping templates with airspeed-ext: ``$input``, ``$util``, ``$context``, ``$stageVariables``."""

from __future__ import annotations

import base64
import functools
import json
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

import airspeed
from jsonpath_ng.parser import parse as jsonpath_parse

_NO_BODY = object()


class BodyNotJson(ValueError):
    """A template asked for JSON from a body that is not JSON."""


class MappingError(RuntimeError):
    """A template failed to render (AWS answers 500 Internal server error)."""


def _lookup(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


class VtlInput:
    """``$input``: the request (or integration response) body and the request parameters."""

    def __init__(
        self,
        body: str,
        path: Mapping[str, str] | None = None,
        querystring: Mapping[str, str] | None = None,
        header: Mapping[str, str] | None = None,
    ) -> None:
        self.body = body
        self._params = {
            "path": dict(path or {}),
            "querystring": dict(querystring or {}),
            "header": dict(header or {}),
        }
        self._parsed: Any = _NO_BODY

    def _json(self) -> Any:
        if self._parsed is _NO_BODY:
            if self.body.strip() == "":
                self._parsed = {}
            else:
                try:
                    self._parsed = json.loads(self.body)
                except ValueError as exc:
                    raise BodyNotJson(f"Could not parse request body into json: {exc}") from exc
                except RecursionError:
                    raise BodyNotJson("Could not parse request body into json: nested too deeply") from None
        return self._parsed

    def path(self, path: str) -> Any:
        """The object at a JSONPath (``$input.path('$.a')``)."""
        return jsonpath(self._json(), path)

    def json(self, path: str) -> str:
        """The JSON text at a JSONPath (``$input.json('$.a')``)."""
        return json.dumps(jsonpath(self._json(), path), separators=(",", ":"), ensure_ascii=False)

    def params(self, name: str | None = None) -> Any:
        """All parameters (``path``, ``querystring``, ``header``), or one by name (path, query, header)."""
        if name is None:
            return self._params
        for where in ("path", "querystring"):
            if name in self._params[where]:
                return self._params[where][name]
        return _lookup(self._params["header"], name)


@functools.lru_cache(maxsize=256)
def _compiled_path(path: str) -> Any:
    return jsonpath_parse(path)


def jsonpath(document: Any, path: str) -> Any:
    """Evaluate a JSONPath as API Gateway does: one match -> the value, several -> a list."""
    if path.strip() in ("$", ""):
        return document
    matches = [m.value for m in _compiled_path(path).find(document)]
    if not matches:
        return None
    if len(matches) == 1 and "*" not in path and ".." not in path and "?" not in path:
        return matches[0]
    return matches


def escape_javascript(value: Any) -> str:
    """Apache StringEscapeUtils.escapeJavaScript, which API Gateway uses (``'`` becomes ``\\'``)."""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, dict | list)
        else str(value)
    )
    out: list[str] = []
    specials = {
        '"': '\\"',
        "'": "\\'",
        "\\": "\\\\",
        "/": "\\/",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
    }
    for ch in text:
        if ch in specials:
            out.append(specials[ch])
        elif ord(ch) < 32 or ord(ch) > 0x7E:
            code = ord(ch)
            if code > 0xFFFF:  # surrogate pair, as Java strings are UTF-16
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
            else:
                out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    return "".join(out)


class VtlUtil:
    """``$util``."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:
        return escape_javascript(value)

    @staticmethod
    def parseJson(text: str) -> Any:
        return json.loads(text)

    @staticmethod
    def toJson(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def urlEncode(text: str) -> str:
        return urllib.parse.quote_plus(str(text))

    @staticmethod
    def urlDecode(text: str) -> str:
        return urllib.parse.unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: str) -> str:
        data = text.encode() if isinstance(text, str) else bytes(text)
        return base64.b64encode(data).decode()

    @staticmethod
    def base64Decode(text: str) -> str:
        return base64.b64decode(str(text)).decode("utf-8", errors="replace")


UTIL = VtlUtil()

# java.lang.String methods the templates use that airspeed lacks (Java's trim drops chars <= U+0020).
airspeed.operators.__additional_methods__[str].update(
    {
        "trim": lambda self: self.strip("".join(chr(c) for c in range(33))),
        "toUpperCase": lambda self: self.upper(),
        "toLowerCase": lambda self: self.lower(),
        "compareTo": lambda self, other: (self > other) - (self < other),
    }
)
_templates_lock = threading.Lock()


@functools.lru_cache(maxsize=512)
def _compile(text: str) -> Any:
    with _templates_lock:
        template = airspeed.Template(text)
        template.ensure_compiled()  # parse once, here: merge() is then read-only
        return template


def _body_not_json(exc: BaseException) -> BodyNotJson | None:
    """The `BodyNotJson` that airspeed wrapped (in one or more TemplateExecutionError), if any."""
    node: BaseException | None = exc
    for _ in range(20):
        if node is None or isinstance(node, BodyNotJson):
            return node
        node = node.__cause__
    return None


def render(
    template: str,
    input_: VtlInput,
    context: dict[str, Any],
    stage_variables: Mapping[str, str],
) -> str:
    """Render a mapping template. Raises `BodyNotJson` (400) or `MappingError` (500)."""
    namespace: dict[str, Any] = {
        "input": input_,
        "util": UTIL,
        "context": context,
        "stageVariables": dict(stage_variables),
    }
    try:
        result = _compile(template).merge(namespace)
    except Exception as exc:
        cause = _body_not_json(exc)
        if cause is not None:
            raise cause from None
        raise MappingError(f"mapping template failed: {exc}") from exc
    return str(result)
