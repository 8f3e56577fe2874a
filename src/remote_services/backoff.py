"""Exponential backoff with jitter, one formula for every retry of the Lambda side (HTTP posts, AWS
calls, SQS redeliveries). Randomness from os.urandom: no `random` import on a cold start."""

from __future__ import annotations

import os


def uniform01() -> float:
    """A random fraction in [0, 1]."""
    return int.from_bytes(os.urandom(2), "big") / 65535


def full_jitter(base_s: float, exponent: int, cap_s: float) -> float:
    """uniform(0, min(cap, base * 2**exponent)) seconds (AWS Architecture Blog's "full jitter")."""
    return uniform01() * min(cap_s, base_s * float(2 ** max(0, exponent)))


def equal_jitter(base_s: float, exponent: int, cap_s: float) -> float:
    """Half of min(cap, base * 2**exponent) plus full jitter on the other half: never shorter than
    half the step, so a retry does not come back at once."""
    step = min(cap_s, base_s * float(2 ** max(0, exponent)))
    return step / 2 + uniform01() * step / 2
