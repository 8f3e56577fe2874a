"""The Cognito user pool authorizer: RS256 JWT checked against the pool's JWKS."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from localcloud.apigateway.spec import CognitoAuth


@dataclass(frozen=True)
class UserPool:
    """The user pool whose tokens the API accepts. Empty ``client_ids``: any app client."""

    id: str
    client_ids: tuple[str, ...] = ()
    jwks_url: str | None = None
    issuer: str | None = None

    @classmethod
    def coerce(cls, value: UserPool | Mapping[str, Any]) -> UserPool:
        """Accept a `UserPool` or a mapping ``{"id", "client_ids"?, "jwks_url"?, "issuer"?}``."""
        if isinstance(value, UserPool):
            return value
        ids = value.get("client_ids") or ()
        return cls(
            id=str(value["id"]),
            client_ids=(ids,) if isinstance(ids, str) else tuple(str(i) for i in ids),
            jwks_url=value.get("jwks_url"),
            issuer=value.get("issuer"),
        )


class Unauthorized(Exception):
    """The caller is not authenticated (401)."""


class Forbidden(Exception):
    """The caller is authenticated but lacks a scope (403)."""


def pool_id_from_arn(arn: str) -> str:
    """``arn:aws:cognito-idp:us-east-1:123:userpool/us-east-1_abc`` -> ``us-east-1_abc``."""
    return arn.rsplit("/", 1)[-1]


class CognitoVerifier:
    """Verifies tokens for one or more pools; JWKS fetched lazily and cached."""

    def __init__(self, aws_endpoint_url: str, region: str, pools: Sequence[UserPool] = ()) -> None:
        self._endpoint = aws_endpoint_url.rstrip("/")
        self._region = region
        self._pools = {p.id: p for p in pools}
        self._keys: dict[str, KeySet] = {}
        self._fetched: dict[str, float] = {}
        self._lock = threading.Lock()

    def _pool(self, pool_id: str) -> UserPool:
        return self._pools.get(pool_id) or UserPool(id=pool_id)

    def _keyset(self, pool: UserPool, refresh: bool = False) -> KeySet | None:
        """The pool's keys; ``refresh`` refetches them at most every 30 s (a rotated key), never
        once per bad token. None when a refresh was not due."""
        with self._lock:
            now = time.monotonic()
            if pool.id in self._keys and (not refresh or now - self._fetched.get(pool.id, 0.0) < 30.0):
                return None if refresh else self._keys[pool.id]
            url = pool.jwks_url or f"{self._endpoint}/{pool.id}/.well-known/jwks.json"
            with urllib.request.urlopen(url, timeout=5) as resp:
                self._keys[pool.id] = KeySet.import_key_set(json.load(resp))
            self._fetched[pool.id] = now
            return self._keys[pool.id]

    def verify(self, auth: CognitoAuth, header_value: str | None) -> dict[str, Any]:
        """The token's claims; raises `Unauthorized` or `Forbidden`."""
        if not header_value or not header_value.strip():
            raise Unauthorized("no token")
        token = header_value.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        pool_ids = [pool_id_from_arn(a) for a in auth.provider_arns] or list(self._pools)
        if not pool_ids:
            raise Unauthorized("no user pool configured")
        last: Exception = Unauthorized("invalid token")
        for pool_id in pool_ids:
            try:
                return self._verify_for(self._pool(pool_id), auth, token)
            except Unauthorized as exc:
                last = exc
        raise last

    def _verify_for(self, pool: UserPool, auth: CognitoAuth, token: str) -> dict[str, Any]:
        try:
            decoded = self._decode(pool, token)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"bad token: {exc}") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        issuer = pool.issuer or f"https://cognito-idp.{self._region}.amazonaws.com/{pool.id}"
        if claims.get("iss") != issuer:
            raise Unauthorized("wrong issuer")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= time.time():
            raise Unauthorized("expired")
        use = claims.get("token_use")
        if auth.scopes:
            if use != "access":
                raise Unauthorized("an access token is required when scopes are set")
            if pool.client_ids and claims.get("client_id") not in pool.client_ids:
                raise Unauthorized("unknown client")
            granted = set(str(claims.get("scope", "")).split())
            if not granted.intersection(auth.scopes):
                raise Forbidden("missing scope")
        else:
            if use != "id":
                raise Unauthorized("an id token is required")
            if pool.client_ids and claims.get("aud") not in pool.client_ids:
                raise Unauthorized("unknown audience")
        return claims

    def _decode(self, pool: UserPool, token: str) -> Any:
        keys = self._keyset(pool)
        if keys is None:  # cannot happen: a plain lookup always answers
            raise Unauthorized("no keys")
        try:
            return jwt.decode(token, keys, algorithms=["RS256"])
        except JoseError:
            fresh = self._keyset(pool, refresh=True)
            if fresh is None:
                raise
            return jwt.decode(token, fresh, algorithms=["RS256"])


def claims_for_context(claims: Mapping[str, Any]) -> dict[str, str]:
    """``$context.authorizer.claims``: every value as a string, as API Gateway passes them."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        out[str(key)] = (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if isinstance(value, list | dict)
            else str(value)
        )
    return out
