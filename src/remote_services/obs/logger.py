"""A structured JSON logger that emits the same shape as Powertools' Logger (one JSON object per line)."""

from __future__ import annotations

import os
import sys
import time

from lambda_runtime import jsonlite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from ..typedefs import LambdaContext

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
_cold_start = True


def _timestamp(now: float) -> str:
    """Powertools' default format: ``2026-11-24 00:57:12,759+0000`` (Lambda runs in UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f",{int(now * 1000) % 1000:03d}+0000"


def _xray_trace_id() -> str | None:
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    for part in header.split(";"):
        key, _, value = part.partition("=")
        if key == "Root" and value:
            return value
    return None


def _stack_trace(exc: BaseException) -> dict[str, Any]:
    import traceback

    frames = [
        {"file": f.filename, "line": f.lineno, "function": f.name, "statement": f.line}
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    return {"type": type(exc).__name__, "value": str(exc), "module": type(exc).__module__, "frames": frames}


class Logger:
    """Powertools-compatible JSON logger: level, location, message, timestamp, service, Lambda context keys,
    appended keys, per-call extra keys, exception details, xray_trace_id."""

    def __init__(self, service: str | None = None, level: str | None = None, stream: TextIO | None = None):
        self.service = service or os.environ.get("POWERTOOLS_SERVICE_NAME") or "service_undefined"
        name = (
            level or os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
        ).upper()
        self.level = _LEVELS.get(name, 20)
        self._stream = stream
        self._context: dict[str, Any] = {}
        self._keys: dict[str, Any] = {}

    def inject_lambda_context(self, context: LambdaContext | None) -> None:
        """Add the Lambda context keys (and cold_start) to every following line; call once per invocation."""
        global _cold_start
        cold, _cold_start = _cold_start, False
        if context is None:
            self._context = {"cold_start": cold}
            return
        try:
            memory: int | str = int(context.memory_limit_in_mb)
        except (TypeError, ValueError):
            memory = context.memory_limit_in_mb
        self._context = {
            "cold_start": cold,
            "function_name": context.function_name,
            "function_memory_size": memory,
            "function_arn": context.invoked_function_arn,
            "function_request_id": context.aws_request_id,
        }

    def append_keys(self, **keys: Any) -> None:
        """Keys added to every following line."""
        self._keys.update(keys)

    def debug(self, message: object, **extra: Any) -> None:
        if self.level <= 10:
            self._emit("DEBUG", message, extra, None)

    def info(self, message: object, **extra: Any) -> None:
        if self.level <= 20:
            self._emit("INFO", message, extra, None)

    def warning(self, message: object, **extra: Any) -> None:
        if self.level <= 30:
            self._emit("WARNING", message, extra, None)

    def error(self, message: object, **extra: Any) -> None:
        if self.level <= 40:
            self._emit("ERROR", message, extra, None)

    def exception(self, message: object, **extra: Any) -> None:
        """An ERROR line with the exception being handled (exception, exception_name, stack_trace)."""
        self._emit("ERROR", message, extra, sys.exc_info()[1])

    def _emit(self, level: str, message: object, extra: dict[str, Any], exc: BaseException | None) -> None:
        frame = sys._getframe(2)
        now = time.time()
        record: dict[str, Any] = {
            "level": level,
            "location": f"{frame.f_code.co_name}:{frame.f_lineno}",
            "message": message,
            "timestamp": _timestamp(now),
            "service": self.service,
        }
        record.update(self._context)
        record.update(self._keys)
        record.update(extra.pop("extra", None) or {})
        record.update(extra)
        if exc is not None:
            import traceback

            record["exception"] = "".join(traceback.format_exception(exc)).rstrip("\n")
            record["exception_name"] = type(exc).__name__
            record["stack_trace"] = _stack_trace(exc)
        trace = _xray_trace_id()
        if trace:
            record["xray_trace_id"] = trace
        line = jsonlite.dumps(record, default=str, separators=(",", ":"), ensure_ascii=False)
        stream = self._stream or sys.stdout
        stream.write(line + "\n")
        stream.flush()
