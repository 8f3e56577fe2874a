"""CloudWatch Embedded Metric Format (EMF), emitted exactly like Powertools' Metrics."""

from __future__ import annotations

import os
import sys
import time

from lambda_runtime import jsonlite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO


class Metrics:
    """Collects metrics and dimensions; `flush()` prints one EMF JSON document and clears them.

    Namespace and the default ``service`` dimension come from POWERTOOLS_METRICS_NAMESPACE and
    POWERTOOLS_SERVICE_NAME unless given.
    """

    def __init__(
        self, namespace: str | None = None, service: str | None = None, stream: TextIO | None = None
    ):
        self.namespace = namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "RemoteServices"
        # service="" means: no default "service" dimension
        self.service = os.environ.get("POWERTOOLS_SERVICE_NAME") if service is None else service
        self._stream = stream
        self._metrics: dict[str, tuple[str, list[float]]] = {}
        self._dimensions: dict[str, str] = {}
        self._metadata: dict[str, Any] = {}

    def add_metric(self, name: str, unit: str, value: float) -> None:
        unit_, values = self._metrics.setdefault(name, (unit, []))
        if unit_ != unit:
            raise ValueError(f"metric {name} already has unit {unit_}, not {unit}")
        values.append(float(value))

    def add_dimension(self, name: str, value: str) -> None:
        self._dimensions[name] = str(value)

    def add_metadata(self, key: str, value: Any) -> None:
        """A key that is logged with the metrics but is not a dimension."""
        self._metadata[key] = value

    def serialize(
        self, timestamp_ms: int | None = None, dimension_sets: tuple[tuple[str, ...], ...] | None = None
    ) -> dict[str, Any]:
        """The EMF document (same layout as Powertools' ``serialize_metric_set``). `dimension_sets`:
        several sets of the added dimensions (EMF publishes every metric under each); default one
        set of them all."""
        dimensions = dict(self._dimensions)
        if self.service and "service" not in dimensions:
            dimensions["service"] = self.service
        sets = [list(dimensions)] if dimension_sets is None else [list(names) for names in dimension_sets]
        for names in sets:
            missing = [n for n in names if n not in dimensions]
            if missing:
                raise ValueError(f"dimension set {names} names dimensions not added: {missing}")
        doc: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": sets,
                        "Metrics": [{"Name": n, "Unit": u} for n, (u, _) in self._metrics.items()],
                    }
                ],
            }
        }
        doc.update(dimensions)
        doc.update(self._metadata)
        for name, (_, values) in self._metrics.items():
            doc[name] = values
        return doc

    def flush(self, dimension_sets: tuple[tuple[str, ...], ...] | None = None) -> None:
        """Print the EMF document (if any metric was added) and clear metrics, dimensions and metadata."""
        if self._metrics:
            stream = self._stream or sys.stdout
            doc = self.serialize(dimension_sets=dimension_sets)
            stream.write(jsonlite.dumps(doc, separators=(",", ":")) + "\n")
            stream.flush()
        self._metrics.clear()
        self._dimensions.clear()
        self._metadata.clear()
