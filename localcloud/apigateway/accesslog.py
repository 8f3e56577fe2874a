"""The access log: one JSON object per line, appended as requests finish."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_:-]+)*)")


def format_line(fmt: str, context: Mapping[str, Any]) -> str:
    """A stage's ``AccessLogSetting.Format``: each ``$context.a.b`` replaced by its value, ``-`` when
    there is none (as API Gateway writes it; values are not escaped, as on AWS)."""

    def value(match: re.Match[str]) -> str:
        node: Any = context
        for part in match.group(1).split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None or node == "":
            return "-"
        return json.dumps(node) if isinstance(node, dict | list) else str(node)

    return _VARIABLE.sub(value, fmt)


class AccessLog:
    """Appends JSON lines to ``path`` (its folder is created); safe across threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(
        self, record: dict[str, Any], fmt: str | None = None, context: Mapping[str, Any] | None = None
    ) -> None:
        """Append ``record`` as JSON, or, with ``fmt``, the format rendered against ``context``."""
        if fmt is not None and context is not None:
            line = format_line(fmt, context).replace("\n", " ") + "\n"
        else:
            line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._file is not None:
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
