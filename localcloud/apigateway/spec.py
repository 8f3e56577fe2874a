"""The OpenAPI document, read once: routes, operations, validators, authorizers, gateway responses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH")
ANY_METHOD = "x-amazon-apigateway-any-method"


class SpecError(ValueError):
    """The OpenAPI document uses something this front does not understand."""


@dataclass(frozen=True)
class Parameter:
    """A declared request parameter (``in``: path | query | header)."""

    name: str
    location: str
    required: bool


@dataclass(frozen=True)
class Validator:
    """What a request validator checks."""

    body: bool = False
    parameters: bool = False


@dataclass(frozen=True)
class CognitoAuth:
    """A Cognito user pool authorizer bound to an operation."""

    scheme: str
    header: str
    provider_arns: tuple[str, ...]
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    """One method on one resource."""

    method: str
    resource_path: str
    parameters: tuple[Parameter, ...]
    body_schemas: Mapping[str, Any]
    validator: Validator
    auth: CognitoAuth | None
    integration: Mapping[str, Any]
    operation_id: str | None = None


@dataclass
class Resource:
    """A path template (e.g. ``/v1/vehicles/{vin}``) and its methods."""

    path: str
    segments: tuple[str, ...]
    operations: dict[str, Operation] = field(default_factory=dict)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters if ``parts`` (already split) fit this template, else None."""
        params: dict[str, str] = {}
        for i, seg in enumerate(self.segments):
            if seg.startswith("{") and seg.endswith("+}"):
                rest = parts[i:]
                if not rest:
                    return None
                params[seg[1:-2]] = "/".join(rest)
                return params
            if i >= len(parts):
                return None
            if seg.startswith("{") and seg.endswith("}"):
                if parts[i] == "":
                    return None
                params[seg[1:-1]] = parts[i]
            elif seg != parts[i]:
                return None
        return params if len(parts) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: literal segments first, greedy last (as API Gateway prefers)."""
        greedy = sum(1 for s in self.segments if s.endswith("+}"))
        variables = sum(1 for s in self.segments if s.startswith("{"))
        return (greedy, variables)


def split_path(path: str) -> list[str]:
    """``/a/b/`` -> ``["a", "b"]``; ``/`` -> ``[]``."""
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


class ApiSpec:
    """The parsed document. Raises `SpecError` on what cannot be served."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        if not isinstance(doc, Mapping) or "paths" not in doc:
            raise SpecError("not an OpenAPI document: no 'paths'")
        self.doc = doc
        self.validators = self._validators(doc)
        self.default_validator = self._validator_named(doc.get("x-amazon-apigateway-request-validator"))
        self.gateway_responses: Mapping[str, Any] = doc.get("x-amazon-apigateway-gateway-responses") or {}
        self.resources: list[Resource] = []
        for path, item in (doc.get("paths") or {}).items():
            self.resources.append(self._resource(str(path), item or {}))
        self.resources.sort(key=lambda r: r.specificity)
        self._check_siblings()

    # -- routing ---------------------------------------------------------------
    def find(self, path: str) -> tuple[Resource, dict[str, str]] | None:
        """The most specific resource whose template matches ``path``, with its parameters."""
        parts = split_path(path)
        for resource in self.resources:
            params = resource.match(parts)
            if params is not None:
                return resource, params
        return None

    # -- parsing ---------------------------------------------------------------
    def _check_siblings(self) -> None:
        """API Gateway refuses two variable path parts under one parent (``/a/{x}`` and ``/a/{y}``)."""
        variables: dict[tuple[str, ...], set[str]] = {}
        for resource in self.resources:
            for i, seg in enumerate(resource.segments):
                if seg.startswith("{"):
                    variables.setdefault(resource.segments[:i], set()).add(seg)
        for parent, names in variables.items():
            if len(names) > 1:
                raise SpecError(
                    f"/{'/'.join(parent)}: sibling variable path parts {sorted(names)}: API Gateway allows "
                    "only one variable child per resource (the import would fail on AWS); use one name"
                )

    @staticmethod
    def _validators(doc: Mapping[str, Any]) -> dict[str, Validator]:
        out: dict[str, Validator] = {}
        for name, v in (doc.get("x-amazon-apigateway-request-validators") or {}).items():
            out[str(name)] = Validator(
                body=bool(v.get("validateRequestBody", False)),
                parameters=bool(v.get("validateRequestParameters", False)),
            )
        return out

    def _validator_named(self, name: Any) -> Validator:
        if name is None:
            return Validator()
        if name not in self.validators:
            raise SpecError(f"unknown request validator {name!r}")
        return self.validators[name]

    def _resource(self, path: str, item: Mapping[str, Any]) -> Resource:
        resource = Resource(path=path, segments=tuple(split_path(path)))
        for seg in resource.segments:
            if "{" in seg and not re.fullmatch(r"\{[A-Za-z0-9_.\-]+\+?\}", seg):
                raise SpecError(f"{path}: unsupported path segment {seg!r}")
        shared = [self._deref(p) for p in item.get("parameters") or []]
        for key, op in item.items():
            method = "ANY" if key == ANY_METHOD else str(key).upper()
            if method not in (*HTTP_METHODS, "ANY"):
                continue
            resource.operations[method] = self._operation(method, path, op or {}, shared)
        return resource

    def _operation(
        self, method: str, path: str, op: Mapping[str, Any], shared: list[Mapping[str, Any]]
    ) -> Operation:
        integration = op.get("x-amazon-apigateway-integration")
        if not isinstance(integration, Mapping):
            raise SpecError(f"{method} {path}: no x-amazon-apigateway-integration")
        params: dict[tuple[str, str], Parameter] = {}
        for raw in [*shared, *(self._deref(p) for p in op.get("parameters") or [])]:
            loc = str(raw.get("in", ""))
            name = str(raw.get("name", ""))
            params[(loc, name)] = Parameter(name, loc, bool(raw.get("required", loc == "path")))
        body_schemas: dict[str, Any] = {}
        body = op.get("requestBody")
        if isinstance(body, Mapping):
            body = self._deref(body)
            for ctype, media in (body.get("content") or {}).items():
                if isinstance(media, Mapping) and media.get("schema") is not None:
                    body_schemas[str(ctype).lower()] = media["schema"]
        validator_name = op.get("x-amazon-apigateway-request-validator")
        validator = self._validator_named(validator_name) if validator_name else self.default_validator
        return Operation(
            method=method,
            resource_path=path,
            parameters=tuple(params.values()),
            body_schemas=body_schemas,
            validator=validator,
            auth=self._auth(op, method, path),
            integration=integration,
            operation_id=op.get("operationId"),
        )

    def _auth(self, op: Mapping[str, Any], method: str, path: str) -> CognitoAuth | None:
        requirements = op.get("security", self.doc.get("security"))
        if not requirements:
            return None
        schemes = ((self.doc.get("components") or {}).get("securitySchemes")) or {}
        for requirement in requirements:
            for name, scopes in (requirement or {}).items():
                scheme = schemes.get(name)
                if not isinstance(scheme, Mapping):
                    raise SpecError(f"{method} {path}: unknown security scheme {name!r}")
                authorizer = scheme.get("x-amazon-apigateway-authorizer") or {}
                kind = str(authorizer.get("type") or scheme.get("x-amazon-apigateway-authtype") or "")
                if kind.lower() != "cognito_user_pools":
                    raise SpecError(
                        f"{method} {path}: security scheme {name!r} ({kind or 'api key'}) "
                        "is not supported locally (only cognito_user_pools)"
                    )
                arns = authorizer.get("providerARNs") or []
                if isinstance(arns, str):
                    arns = [arns]
                return CognitoAuth(
                    scheme=str(name),
                    header=str(scheme.get("name") or "Authorization"),
                    provider_arns=tuple(str(a) for a in arns),
                    scopes=tuple(str(s) for s in scopes or []),
                )
        return None

    def _deref(self, node: Any) -> Any:
        """Follow a local ``$ref`` (``#/components/...``) once or more."""
        seen = 0
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 20:
            node = self.resolve_pointer(node["$ref"])
            seen += 1
        return node

    def resolve_pointer(self, ref: str) -> Any:
        """The node at a local JSON pointer like ``#/components/schemas/X``."""
        if not ref.startswith("#/"):
            raise SpecError(f"only local $ref are supported, got {ref!r}")
        node: Any = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise SpecError(f"$ref {ref!r} does not resolve")
            node = node[part]
        return node
