"""A patch to moto's API Gateway: stage canary settings, which moto does not model.

On AWS a stage may carry ``canarySettings`` (``percentTraffic``, ``stageVariableOverrides``,
``deploymentId``, ``useStageCache``): that share of the stage's requests runs with the stage's
variables overridden (docs/bluegreen.md: the router between the colours). CloudFormation sets them
from ``CanarySetting``; ``UpdateStage`` changes them with patch operations on ``/canarySettings/...``
and removes them with ``remove /canarySettings``. moto ignores those paths and never returns the
field, so the local cloud's router could not be driven as AWS's is. This patch keeps them on moto's
``Stage``, answers them in ``GetStage``/``GetStages``/``UpdateStage``, and validates
``percentTraffic`` as AWS does (a number from 0.0 to 100.0, else BadRequestException).

    apply_canary_patch()   # idempotent; MotoServer.start applies it
"""

from __future__ import annotations

import threading
from typing import Any

_applied = False
_lock = threading.Lock()
_PREFIX = "/canarySettings"


def apply_canary_patch() -> None:
    """Teach moto's ``Stage`` the canary settings (see the module docstring)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.apigateway import models

        stage_cls: Any = models.Stage
        original_apply = stage_cls.apply_operations
        original_to_json = stage_cls.to_json

        def apply_operations(self: Any, patch_operations: list[dict[str, Any]]) -> Any:
            others = []
            for op in patch_operations:
                path = str(op.get("path", ""))
                if path == _PREFIX or path.startswith(_PREFIX + "/"):
                    _apply_canary(self, op)
                else:
                    others.append(op)
            return original_apply(self, others)

        def to_json(self: Any) -> dict[str, Any]:
            out: dict[str, Any] = original_to_json(self)
            canary = getattr(self, "canary_settings", None)
            if canary is not None:
                out["canarySettings"] = dict(canary)
            return out

        stage_cls.apply_operations = apply_operations
        stage_cls.to_json = to_json
        _applied = True


def _apply_canary(stage: Any, op: dict[str, Any]) -> None:
    from moto.apigateway.exceptions import BadRequestException

    kind, path = op.get("op"), str(op["path"])
    if kind == "remove" and path == _PREFIX:
        stage.canary_settings = None
        return
    canary: dict[str, Any] = getattr(stage, "canary_settings", None) or {
        "deploymentId": stage.deployment_id,
        "percentTraffic": 0.0,
        "useStageCache": False,
    }
    field = path[len(_PREFIX) + 1 :]
    if field.startswith("stageVariableOverrides/"):
        name = field.split("/", 1)[1]
        overrides = dict(canary.get("stageVariableOverrides") or {})
        if kind == "remove":
            overrides.pop(name, None)
        else:
            overrides[name] = str(op.get("value", ""))
        canary["stageVariableOverrides"] = overrides
    elif field == "percentTraffic" and kind == "replace":
        try:
            percent = float(op.get("value", ""))
        except ValueError:
            percent = -1.0
        if not 0.0 <= percent <= 100.0:
            raise BadRequestException(
                f"Invalid percentTraffic {op.get('value')!r}: a number from 0.0 to 100.0 is expected"
            )
        canary["percentTraffic"] = percent
    elif field in ("deploymentId", "useStageCache") and kind == "replace":
        value = op.get("value")
        canary[field] = str(value).lower() == "true" if field == "useStageCache" else value
    else:
        raise BadRequestException(f"Invalid patch operation {kind} {path}")
    stage.canary_settings = canary
