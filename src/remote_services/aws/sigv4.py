"""AWS Signature Version 4 (AWS4-HMAC-SHA256) for one request; the derived signing key is cached per day."""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Protocol

    class _Hash(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...
        def hexdigest(self) -> str: ...


# SHA-256 from the built-in module, not hashlib: hashlib loads OpenSSL (_hashlib, libcrypto: ~3 ms
# at a cold start) and hmac imports hashlib. The built-in module is _sha256 up to Python 3.11.
_sha256: Callable[[bytes], _Hash]
try:
    _sha256 = __import__("_sha256").sha256
except ImportError:  # pragma: no cover - Python 3.12+ (_sha2) or a build without it
    try:
        _sha256 = __import__("_sha2").sha256
    except ImportError:
        _sha256 = __import__("hashlib").sha256

_BLOCK = 64  # SHA-256 block size in bytes
_INNER_PAD = bytes(b ^ 0x36 for b in range(256))
_OUTER_PAD = bytes(b ^ 0x5C for b in range(256))


def hmac_sha256(key: bytes, message: bytes) -> _Hash:
    """HMAC-SHA256 (RFC 2104), as `hmac.new(key, message, hashlib.sha256)`."""
    if len(key) > _BLOCK:
        key = _sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = _sha256(key.translate(_INNER_PAD))
    inner.update(message)
    outer = _sha256(key.translate(_OUTER_PAD))
    outer.update(inner.digest())
    return outer

ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_ENCODE = [chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256)]
_ENCODE_PATH = [*_ENCODE[:47], "/", *_ENCODE[48:]]


def uri_encode(text: str, keep_slash: bool = False) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ (and '/' if asked) stay.

    The same as urllib.parse.quote(text, safe="-_.~" or "/~"), without importing urllib.
    """
    table = _ENCODE_PATH if keep_slash else _ENCODE
    return "".join(map(table.__getitem__, text.encode("utf-8")))


def form_encode(pairs: Iterable[tuple[str, str]]) -> str:
    """key=value&... with keys and values URI-encoded (the query protocol's body and query strings)."""
    return "&".join(f"{uri_encode(k)}={uri_encode(v)}" for k, v in pairs)


_MAX_CACHED_KEYS = 16
_signing_keys: dict[tuple[str, str, str, str], bytes] = {}


class Credentials:
    """An access key, its secret and the optional session token (Lambda always sets one)."""

    __slots__ = ("access_key", "secret_key", "token")

    def __init__(self, access_key: str, secret_key: str, token: str | None = None) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token or None

    def __repr__(self) -> str:
        token = "'***'" if self.token else "None"
        return f"Credentials(access_key={self.access_key!r}, secret_key='***', token={token})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self.access_key, self.secret_key, self.token) == (
            other.access_key,
            other.secret_key,
            other.token,
        )

    def __hash__(self) -> int:
        return hash((self.access_key, self.secret_key, self.token))


def amz_date(now: float | None = None) -> str:
    """The X-Amz-Date timestamp (UTC, basic ISO 8601: 20261124T010203Z) for `now` (epoch seconds)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC chain over date (YYYYMMDD), region, service, "aws4_request"; cached."""
    cache_key = (secret_key, date, region, service)
    key = _signing_keys.get(cache_key)
    if key is None:
        key = ("AWS4" + secret_key).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac_sha256(key, part.encode("utf-8")).digest()
        if len(_signing_keys) >= _MAX_CACHED_KEYS:
            _signing_keys.clear()
        _signing_keys[cache_key] = key
    return key


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """URI-encode every key and value (RFC 3986 unreserved kept), sort by key then value, join with '&'."""
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_path(path: str) -> str:
    """The canonical form of the path as sent on the wire (already percent-encoded): encoded once more,
    as SigV4 wants for every service but S3; '/' and '~' stay as they are."""
    return uri_encode(path or "/", keep_slash=True)


def host_header(host: str, port: int, scheme: str) -> str:
    """The Host header value: the port is left out when it is the scheme's default (as botocore does)."""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if (scheme == "https" and port == 443) or (scheme == "http" and port == 80):
        return host
    return f"{host}:{port}"


def sign(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    timestamp: str,
) -> dict[str, str]:
    """Sign a request; return the headers to add: X-Amz-Date, X-Amz-Security-Token (if any), Authorization.

    `path` is the path as sent on the wire (percent-encoded, without the query); `query` the decoded
    query parameters. `headers` must hold Host and every other header to sign (Content-Type,
    X-Amz-Target, ...); all of them are signed, together with x-amz-date and x-amz-security-token.
    """
    added = {"X-Amz-Date": timestamp}
    if credentials.token:
        added["X-Amz-Security-Token"] = credentials.token
    to_sign: dict[str, list[str]] = {}
    for name, value in (*headers.items(), *added.items()):
        to_sign.setdefault(name.strip().lower(), []).append(" ".join(value.split()))
    names = sorted(to_sign)
    signed_headers = ";".join(names)
    canonical_headers = "".join(f"{n}:{','.join(to_sign[n])}\n" for n in names)
    canonical_request = "\n".join(
        (
            method.upper(),
            canonical_path(path),
            canonical_query(query),
            canonical_headers,
            signed_headers,
            _sha256(body).hexdigest(),
        )
    )
    date = timestamp[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        (ALGORITHM, timestamp, scope, _sha256(canonical_request.encode("utf-8")).hexdigest())
    )
    key = signing_key(credentials.secret_key, date, region, service)
    signature = hmac_sha256(key, string_to_sign.encode("utf-8")).hexdigest()
    added["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return added
