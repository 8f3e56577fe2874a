"""The local cloud's Cognito users: the fleet's owners, made when the cloud seeds itself, and any made
later, each with its ``sub`` (the owner id in the registry) and an id token for the API.

    users = LocalUsers(idp, user_pool)        # user_pool: wiring.user_pool_of(resources), or None
    users.create_many(fleet.owners()); users.create("carol"); users.token("alice"); users.subs["alice"]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from localcloud import fleet_seed
from localcloud.apigateway import UserPool


class NoSuchUser(LookupError):
    """A user the local cloud did not make, or a template without a user pool to make one in."""


class LocalUsers:
    def __init__(self, idp: Any, user_pool: UserPool | None) -> None:
        self._idp = idp
        self._pool = user_pool if user_pool and user_pool.client_ids else None
        self.tokens: dict[str, str] = {}
        self.subs: dict[str, str] = {}

    def create_many(self, names: Iterable[str]) -> None:
        """Users for `names` (none when the template has no user pool with an app client)."""
        if self._pool is None:
            return
        made = fleet_seed.create_users(self._idp, self._pool.id, self._pool.client_ids[0], names)
        for name, (sub, token) in made.items():
            self.subs[name], self.tokens[name] = sub, token

    def create(self, username: str) -> str:
        """A new user (owning nothing unless the registry says so); returns its id token."""
        if self._pool is None:
            raise NoSuchUser("the template has no Cognito user pool with an app client")
        sub, token = fleet_seed.create_user(self._idp, self._pool.id, self._pool.client_ids[0], username)
        self.subs[username], self.tokens[username] = sub, token
        return token

    def token(self, username: str) -> str:
        if username not in self.tokens:
            raise NoSuchUser(f"no user {username!r} (users: {', '.join(sorted(self.tokens)) or 'none'})")
        return self.tokens[username]
