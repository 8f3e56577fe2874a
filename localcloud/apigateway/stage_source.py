"""The stage as API Gateway applies it to one request: its variables, or, for the canary's share of
the requests, its variables with the canary's overrides (docs/bluegreen.md: the router between the
colours).

    source = StageSource(lambda: apigw.get_stage(restApiId=api_id, stageName="live"))
    variables, is_canary = source.pick()

The stage is read from API Gateway (moto, at the local AWS endpoint) and kept for `refresh_s` (1 s):
an UpdateStage (``make shift``) reaches the requests within that second, as AWS's stage updates
reach its front within seconds. A failed read keeps the last stage read (logged); with none read
yet, it raises. Each request is a canary request with probability ``percentTraffic / 100``,
independently (AWS's canary is not sticky per client either).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

LOG = logging.getLogger(__name__)


class StageSource:
    """Per request: (stage variables, is a canary request) from the stage's settings."""

    def __init__(
        self,
        read: Callable[[], Mapping[str, Any]],
        refresh_s: float = 1.0,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._read = read
        self._refresh_s = refresh_s
        self._draw = draw
        self._lock = threading.Lock()
        self._stage: Mapping[str, Any] | None = None
        self._read_at = 0.0

    def stage(self) -> Mapping[str, Any]:
        """The stage's settings (GetStage's answer), at most `refresh_s` old."""
        with self._lock:
            now = time.monotonic()
            if self._stage is None or now - self._read_at >= self._refresh_s:
                try:
                    self._stage = self._read()
                except Exception as exc:
                    if self._stage is None:
                        raise
                    LOG.warning("apigateway: stage not re-read (%r); the last read applies", exc)
                self._read_at = now
            return self._stage

    def pick(self) -> tuple[dict[str, str], bool]:
        """This request's stage variables, and whether it is one of the canary's."""
        stage = self.stage()
        variables = {str(k): str(v) for k, v in (stage.get("variables") or {}).items()}
        canary = stage.get("canarySettings")
        if not isinstance(canary, Mapping):
            return variables, False
        percent = float(canary.get("percentTraffic") or 0.0)
        if percent <= 0.0 or self._draw() * 100.0 >= percent:
            return variables, False
        overrides = canary.get("stageVariableOverrides") or {}
        return {**variables, **{str(k): str(v) for k, v in overrides.items()}}, True
