"""Expanding a file's cases: the file's defaults under each case, then a case's matrix (service
types x generations x behaviours x timings) into one raw case per combination."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from remote_services import catalog

AXES = ("serviceType", "generation", "timing", "behaviour")  # merge order; ids list them in file order
_LABEL_ORDER = ("serviceType", "generation", "behaviour", "timing")
_NOT_MERGED = ("name", "matrix", "description")


@dataclass(frozen=True)
class RawCase:
    """One case before resolution: its label (name + axis values) and its merged fields."""

    label: str  # "<name>" or "<name>[<axis values>]"
    fields: dict[str, Any]


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings merge key by key, anything else in `over` replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def app_service_types() -> tuple[str, ...]:
    """Every app-initiated service type of the catalog, in catalog order."""
    return tuple(k for k, s in catalog.SERVICES.items() if s["initiator"] == catalog.APP)


def _axis_values(name: str, values: Any) -> list[tuple[str, dict[str, Any]]]:
    """(label, fragment) per value of one axis."""
    if name == "serviceType":
        types: list[str] = []
        for value in values:
            types.extend(app_service_types() if value == "all" else [value])
        return [(t, {"serviceType": t}) for t in dict.fromkeys(types)]
    if name == "generation":
        return [(g, {"generation": g}) for g in values]
    return [(key, dict(fragment)) for key, fragment in values.items()]


def expand(doc: Mapping[str, Any]) -> Iterator[RawCase]:
    """Every raw case of a (schema-valid) document, in file order."""
    defaults = doc.get("defaults") or {}
    for case in doc["cases"]:
        own = {k: v for k, v in case.items() if k not in _NOT_MERGED}
        base = merge(defaults, own)
        matrix = case.get("matrix") or {}
        axes = [a for a in AXES if a in matrix]
        if not axes:
            yield RawCase(case["name"], base)
            continue
        choices = [_axis_values(a, matrix[a]) for a in axes]
        for combo in itertools.product(*choices):
            fields = base
            labels = dict(zip(axes, (label for label, _ in combo), strict=True))
            for _axis, (_label, fragment) in zip(axes, combo, strict=True):
                fields = merge(fields, fragment)
            tail = ",".join(labels[a] for a in _LABEL_ORDER if a in labels)
            yield RawCase(f"{case['name']}[{tail}]", fields)
