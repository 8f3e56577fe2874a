"""Stage settings: throttling, payload limit, and the keyword arguments read from a SAM Api."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


class TokenBucket:
    """Stage throttling: ``rate`` requests per second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = float(rate)
        self.burst = max(float(burst), 1.0)
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def stage_settings(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `RestApiServer` from an ``AWS::Serverless::Api`` (or
    ``AWS::ApiGateway::Stage``) resource's resolved properties: ``Variables`` -> stage_variables,
    ``AccessLogSetting.Format`` -> access_log_format, the ``/*`` ``*`` ``MethodSettings`` throttling
    -> throttle."""
    out: dict[str, Any] = {}
    variables = properties.get("Variables")
    if isinstance(variables, Mapping):
        out["stage_variables"] = {str(k): str(v) for k, v in variables.items()}
    log = properties.get("AccessLogSetting")
    if isinstance(log, Mapping) and isinstance(log.get("Format"), str):
        out["access_log_format"] = log["Format"]
    for setting in properties.get("MethodSettings") or []:
        if not isinstance(setting, Mapping):
            continue
        if setting.get("ResourcePath", "/*") == "/*" and setting.get("HttpMethod", "*") == "*":
            rate, burst = setting.get("ThrottlingRateLimit"), setting.get("ThrottlingBurstLimit")
            if rate is not None and burst is not None:
                out["throttle"] = (float(rate), float(burst))
    return out
