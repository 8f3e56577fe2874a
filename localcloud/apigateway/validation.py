"""Request validation as API Gateway does it: required parameters, body against a model (draft 4)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from localcloud.apigateway.spec import ApiSpec, Operation

_DOC_URI = "urn:local:openapi"


class BadRequestParameters(Exception):
    """Missing required parameters (400 BAD_REQUEST_PARAMETERS)."""


class BadRequestBody(Exception):
    """Body is not JSON or violates the model (400 BAD_REQUEST_BODY); ``errors`` for the message."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("Invalid request body")
        self.errors = errors

    @property
    def validation_error_string(self) -> str:
        return "[" + ", ".join(self.errors) + "]"


def _j(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_TYPES = {
    "dict": "object",
    "list": "array",
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "NoneType": "null",
}


def _aws_message(error: Any) -> str:
    """The message in the words of the validator API Gateway uses (json-schema-validator)."""
    v, arg, inst = error.validator, error.validator_value, error.instance
    if v == "required" and isinstance(inst, dict):
        missing = [name for name in arg if name not in inst]
        return f"object has missing required properties ({_j(missing)})"
    if v == "additionalProperties" and isinstance(inst, dict):
        known = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extra = sorted(k for k in inst if k not in known and not any(re.search(p, k) for p in patterns))
        return f"object instance has properties which are not allowed by the schema: {_j(extra)}"
    if v == "type":
        allowed = arg if isinstance(arg, list) else [arg]
        found = _TYPES.get(type(inst).__name__, type(inst).__name__)
        return f"instance type ({found}) does not match any allowed primitive type (allowed: {_j(allowed)})"
    if v == "enum":
        return f"instance value ({_j(inst)}) not found in enum (possible values: {_j(arg)})"
    if v == "maximum":
        return f"numeric instance is greater than the required maximum (maximum: {arg}, found: {inst})"
    if v == "minimum":
        return f"numeric instance is lower than the required minimum (minimum: {arg}, found: {inst})"
    if v == "maxLength":
        return f"string {_j(inst)} is too long (length: {len(inst)}, maximum allowed: {arg})"
    if v == "minLength":
        return f"string {_j(inst)} is too short (length: {len(inst)}, required minimum: {arg})"
    if v == "pattern":
        return f"ECMA 262 regex {_j(arg)} does not match input string {_j(inst)}"
    if v == "maxProperties":
        return f"object has too many properties (found {len(inst)}, maximum allowed: {arg})"
    if v == "minProperties":
        return f"object has too few properties (found {len(inst)}, required minimum: {arg})"
    if v == "maxItems":
        return f"array is too long: must have at most {arg} elements but instance has {len(inst)} elements"
    if v == "minItems":
        return f"array is too short: must have at least {arg} elements but instance has {len(inst)} elements"
    return str(error.message).replace("'", '"')


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    message = _aws_message(error)
    return f"{message} (at /{where})" if where else message


class RequestValidator:
    """Validators per operation, with JSON Schemas compiled once."""

    def __init__(self, spec: ApiSpec) -> None:
        self._registry: Registry[Any] = Registry().with_resource(
            _DOC_URI, Resource.from_contents(dict(spec.doc), default_specification=DRAFT4)
        )
        self._compiled: dict[int, Draft4Validator] = {}

    def _validator(self, schema: Any) -> Draft4Validator:
        key = id(schema)
        found = self._compiled.get(key)
        if found is None:
            if (
                isinstance(schema, Mapping)
                and isinstance(schema.get("$ref"), str)
                and schema["$ref"].startswith("#")
            ):
                schema = {"$ref": _DOC_URI + schema["$ref"]}
            found = Draft4Validator(schema, registry=self._registry)
            self._compiled[key] = found
        return found

    def check_parameters(self, op: Operation, query: Mapping[str, str], headers: Mapping[str, str]) -> None:
        if not op.validator.parameters:
            return
        lowered = {k.lower(): v for k, v in headers.items()}
        missing = [
            p.name
            for p in op.parameters
            if p.required
            and (
                (p.location == "query" and not query.get(p.name, "").strip())
                or (p.location == "header" and not lowered.get(p.name.lower(), "").strip())
            )
        ]
        if missing:
            raise BadRequestParameters(f"Missing required request parameters: [{', '.join(missing)}]")

    def check_body(self, op: Operation, content_type: str, body: str) -> None:
        if not op.validator.body or not op.body_schemas:
            return
        # the model of the request's content type, else the "$default" one, else no validation (as AWS)
        schema = op.body_schemas.get(content_type) or op.body_schemas.get("$default")
        if schema is None:
            return
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            raise BadRequestBody([f"Invalid JSON: {exc}"]) from exc
        except RecursionError:  # 1,000 nested [ : a bad body, not a fault of ours
            raise BadRequestBody(["Invalid JSON: nested too deeply"]) from None
        try:
            errors = sorted(
                self._validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path)
            )
        except RecursionError:
            raise BadRequestBody(["Invalid request body: nested too deeply"]) from None
        if errors:
            raise BadRequestBody([_describe(e) for e in errors])
