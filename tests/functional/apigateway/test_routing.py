"""Route matching from the OpenAPI paths, as API Gateway resolves resources."""

from __future__ import annotations

import pytest

from localcloud.apigateway import ApiSpec, SpecError

MOCK = {"x-amazon-apigateway-integration": {"type": "mock"}}


def _spec(*paths: str) -> ApiSpec:
    return ApiSpec({"paths": {p: {"get": MOCK} for p in paths}})


def test_literal_segments_win_over_variables_and_greedy_comes_last() -> None:
    spec = _spec("/a/{x}", "/a/b", "/a/{x}/c", "/{proxy+}")

    def find(path: str) -> tuple[str, dict[str, str]] | None:
        found = spec.find(path)
        return None if found is None else (found[0].path, found[1])

    assert find("/a/b") == ("/a/b", {})
    assert find("/a/z") == ("/a/{x}", {"x": "z"})
    assert find("/a/z/c") == ("/a/{x}/c", {"x": "z"})
    assert find("/a/z/d/e") == ("/{proxy+}", {"proxy": "a/z/d/e"})
    assert find("/") is None


def test_trailing_slash_and_empty_segments() -> None:
    spec = _spec("/a/{x}")

    assert spec.find("/a/v/") is not None
    assert spec.find("/a//") is None


def test_unsupported_things_fail_at_start_up() -> None:
    with pytest.raises(SpecError, match="no x-amazon-apigateway-integration"):
        ApiSpec({"paths": {"/a": {"get": {}}}})
    with pytest.raises(SpecError, match="only cognito_user_pools"):
        ApiSpec(
            {
                "paths": {"/a": {"get": {**MOCK, "security": [{"Key": []}]}}},
                "components": {
                    "securitySchemes": {"Key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
                },
            }
        )
    with pytest.raises(SpecError, match="unknown request validator"):
        ApiSpec({"paths": {"/a": {"get": {**MOCK, "x-amazon-apigateway-request-validator": "nope"}}}})
