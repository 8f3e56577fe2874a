"""Environment settings of the handlers (read at call time, so tests and the local cloud can set them)."""

from __future__ import annotations

import os


class ConfigError(RuntimeError):
    """A required environment variable is missing or malformed."""


def env(name: str) -> str:
    """A required, non-empty environment variable."""
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def env_opt(name: str) -> str | None:
    """An optional environment variable (None when unset or empty)."""
    return os.environ.get(name) or None


def env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "")
    try:
        return float(text) if text else default
    except ValueError:
        raise ConfigError(f"environment variable {name} must be a number, got {text!r}") from None


def env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    try:
        return int(text) if text else default
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {text!r}") from None

