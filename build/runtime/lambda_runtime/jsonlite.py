"""JSON for the runtime loop on the ``_json`` accelerator alone: no ``json``, ``re`` or ``enum`` imports.

``import json`` costs ~11 ms at start on CPython (``json.decoder`` compiles regular expressions, which
imports ``re``, which imports ``enum``); ``_json`` itself costs well under 1 ms. Output is the same as
``json.dumps`` with its defaults; ``loads`` accepts what ``json.loads`` accepts from UTF-8 text.
Errors are ``ValueError`` (invalid JSON, circular data) and ``TypeError`` (a value JSON cannot hold),
as with ``json``.
"""

import _json

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
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _skip_whitespace(text: str, index: int) -> int:
    end = len(text)
    while index < end and text[index] in _WHITESPACE:
        index += 1
    return index


def loads(data: "str | bytes | bytearray") -> object:
    """Parse one JSON document (bytes are UTF-8); ``ValueError`` if it is not valid JSON."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if text.startswith("\ufeff"):
        raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
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


def dumps(value: object) -> str:
    """Serialise like ``json.dumps(value)``; ``TypeError`` for an unsupported type."""
    if isinstance(value, str):
        return str(_json.encode_basestring_ascii(value))
    encode = _json.make_encoder(
        {}, _not_serialisable, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(encode(value, 0))
