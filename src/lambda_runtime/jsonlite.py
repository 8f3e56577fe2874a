"""JSON on the ``_json`` accelerator alone: no ``json``, ``re`` or ``enum`` imports.

``import json`` costs ~11 ms at start on CPython (``json.decoder`` compiles regular expressions, which
imports ``re``, which imports ``enum``); ``_json`` itself costs well under 1 ms. The one implementation
for the runtime loop and the Lambda-side code (``remote_services``, ``functions``): ``dumps`` gives
the same text as ``json.dumps`` with the same keyword arguments (``separators``, ``ensure_ascii``,
``sort_keys``, ``default``), ``loads`` accepts what ``json.loads`` accepts (bytes: UTF-8/16/32, as
``json`` detects them). Errors are ``ValueError`` (invalid JSON, circular data) and ``TypeError``
(a value JSON cannot hold), as with ``json``.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_WHITESPACE = " \t\n\r"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _ScannerContext:
    """The attributes ``_json.make_scanner`` reads (those of ``json.JSONDecoder()``)."""

    __slots__ = (
        "memo",
        "object_hook",
        "object_pairs_hook",
        "parse_constant",
        "parse_float",
        "parse_int",
        "strict",
    )

    def __init__(self) -> None:
        self.strict = True
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = float
        self.parse_int = int
        self.parse_constant = _CONSTANTS.__getitem__
        self.memo: dict[str, str] = {}


_scan = _json.make_scanner(_ScannerContext())  # type: ignore[arg-type]  # the stub names its own type


def _not_serialisable(value: object) -> object:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _skip_whitespace(text: str, index: int) -> int:
    end = len(text)
    while index < end and text[index] in _WHITESPACE:
        index += 1
    return index


def _detect_encoding(b: bytes | bytearray) -> str:
    """``json.detect_encoding``: the encoding of JSON bytes (BOM, else the pattern of zero bytes)."""
    if b.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return "utf-32"
    if b.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if len(b) >= 4:
        if not b[0]:
            return "utf-16-be" if b[1] else "utf-32-be"
        if not b[1]:
            return "utf-16-le" if b[2] or b[3] else "utf-32-le"
    elif len(b) == 2:
        if not b[0]:
            return "utf-16-be"
        if not b[1]:
            return "utf-16-le"
    return "utf-8"


def loads(data: str | bytes | bytearray) -> Any:
    """Parse one JSON document, like ``json.loads``; ``ValueError`` if it is not valid JSON."""
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
        text = data
    elif isinstance(data, bytes | bytearray):
        text = data.decode(_detect_encoding(data), "surrogatepass")
    else:
        raise TypeError(f"the JSON object must be str, bytes or bytearray, not {data.__class__.__name__}")
    start = _skip_whitespace(text, 0)
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: char {stop.value}") from None
    except (SystemError, ValueError) as error:  # the C scanner's message needs json.decoder loaded
        raise ValueError(f"Invalid JSON: {error}") from None
    end = _skip_whitespace(text, end)
    if end != len(text):
        raise ValueError(f"Extra data: char {end}")
    return value


def dumps(
    value: object,
    *,
    separators: tuple[str, str] = (", ", ": "),
    ensure_ascii: bool = True,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """Serialise like ``json.dumps`` with the same keywords; ``TypeError`` for an unsupported type."""
    encode_string = _json.encode_basestring_ascii if ensure_ascii else _json.encode_basestring
    if isinstance(value, str):
        return str(encode_string(value))
    item_separator, key_separator = separators
    encode = _json.make_encoder(
        {},
        _not_serialisable if default is None else default,
        encode_string,
        None,
        key_separator,
        item_separator,
        sort_keys,
        False,
        True,
    )
    return "".join(encode(value, 0))
