"""The wall clock the handlers read (one place, so a reader and a test know where time comes from)."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Wall clock, epoch milliseconds."""
    return time.time_ns() // 1_000_000
