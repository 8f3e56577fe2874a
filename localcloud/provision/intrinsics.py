"""CloudFormation intrinsic-function resolution (no AWS calls).

`Resolver` resolves Ref, Fn::GetAtt, Fn::Sub (both forms), Fn::Join, Fn::Select, Fn::Split,
Fn::If / Fn::Equals / Fn::And / Fn::Or / Fn::Not / Condition, Fn::FindInMap, Fn::Base64,
Fn::GetAZs and the pseudo parameters, against parameters and the physical ids known so far.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["NO_VALUE", "ResolveError", "Resolver", "references"]


class ResolveError(ValueError):
    """An intrinsic that cannot be resolved (unknown reference, bad shape)."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

_SUB_RE = re.compile(r"\$\{([^}]+)\}")


def references(value: Any) -> set[str]:
    """Logical ids (or parameters) that `value` refers to through Ref / GetAtt / Sub."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if len(v) == 1:
                ((k, arg),) = v.items()
                if k == "Ref" and isinstance(arg, str):
                    found.add(arg)
                    return
                if k == "Fn::GetAtt":
                    target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                    if isinstance(target, str):
                        found.add(target)
                    return
                if k == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    local = set(arg[1]) if isinstance(arg, list) and len(arg) > 1 else set()
                    for name in _SUB_RE.findall(text):
                        if name.startswith("!"):
                            continue
                        base = name.split(".", 1)[0]
                        if base not in local:
                            found.add(base)
                    if isinstance(arg, list) and len(arg) > 1:
                        walk(arg[1])
                    return
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return found


class Resolver:
    """Resolves intrinsic functions against parameters, conditions and known physical ids."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        *,
        region: str,
        account_id: str,
        stack_name: str,
        partition: str = "aws",
        url_suffix: str = "amazonaws.com",
    ) -> None:
        self.template = template
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::Partition": partition,
            "AWS::URLSuffix": url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.params: dict[str, Any] = self._parameters(template.get("Parameters") or {}, parameters)
        self.refs: dict[str, Any] = {}
        self.attrs: dict[str, dict[str, Any]] = {}
        self.attr_fallback: Callable[[str, str], Any] | None = None
        self._conditions_src: Mapping[str, Any] = template.get("Conditions") or {}
        self._conditions: dict[str, bool] = {}

    @staticmethod
    def _parameters(decl: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
        unknown = set(given) - set(decl)
        if unknown:
            raise ResolveError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        out: dict[str, Any] = {}
        for name, spec in decl.items():
            if name in given:
                value: Any = given[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise ResolveError(f"template parameter {name} has no default and was not given")
            allowed = spec.get("AllowedValues")
            if allowed is not None and str(value) not in [str(a) for a in allowed]:
                raise ResolveError(f"parameter {name}={value!r} is not one of {allowed}")
            ptype = str(spec.get("Type", "String"))
            if ptype.startswith("List<") or ptype == "CommaDelimitedList":
                value = [s.strip() for s in str(value).split(",")] if isinstance(value, str) else value
            else:
                value = str(value)
            out[name] = value
        return out

    # conditions ---------------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        """The value of the named condition of the template."""
        if name not in self._conditions:
            if name not in self._conditions_src:
                raise ResolveError(f"unknown condition {name}")
            self._conditions[name] = bool(self._eval_condition(self._conditions_src[name]))
        return self._conditions[name]

    def _eval_condition(self, expr: Any) -> bool:
        if isinstance(expr, dict) and len(expr) == 1:
            ((k, arg),) = expr.items()
            if k == "Condition":
                return self.condition(arg)
            if k == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return str(a) == str(b)
            if k == "Fn::And":
                return all(self._eval_condition(x) for x in arg)
            if k == "Fn::Or":
                return any(self._eval_condition(x) for x in arg)
            if k == "Fn::Not":
                return not self._eval_condition(arg[0])
        value = self.resolve(expr)
        if isinstance(value, bool):
            return value
        return str(value).lower() == "true"

    # refs ---------------------------------------------------------------------------------------
    def ref(self, name: str) -> Any:
        """The value of `Ref name`."""
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.refs:
            return self.refs[name]
        raise ResolveError(f"Ref to unknown or not yet created resource/parameter {name!r}")

    def get_att(self, name: str, attr: str) -> Any:
        """The value of `Fn::GetAtt [name, attr]`."""
        values = self.attrs.get(name)
        if values is not None and attr in values:
            return values[attr]
        if self.attr_fallback is not None:
            fallback = self.attr_fallback(name, attr)
            if fallback is not None:
                return fallback
        raise ResolveError(f"Fn::GetAtt {name}.{attr}: unknown resource or attribute")

    def _sub(self, text: str, local: Mapping[str, Any]) -> str:
        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return _as_str(local[name])
            if "." in name and not name.startswith("AWS::"):
                res, attr = name.split(".", 1)
                return _as_str(self.get_att(res, attr))
            return _as_str(self.ref(name))

        return _SUB_RE.sub(repl, text)

    # the walk -----------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic resolved (AWS::NoValue entries removed)."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((k, arg),) = value.items()
            fn = self._FUNCTIONS.get(k)
            if fn is not None:
                return fn(self, arg)
        out: dict[str, Any] = {}
        for k, v in value.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def _f_ref(self, arg: Any) -> Any:
        return self.ref(self.resolve(arg))

    def _f_getatt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        name, attr = (self.resolve(a) for a in arg)
        return self.get_att(name, attr)

    def _f_sub(self, arg: Any) -> Any:
        if isinstance(arg, str):
            return self._sub(arg, {})
        text, local = arg[0], self.resolve(arg[1]) if len(arg) > 1 else {}
        return self._sub(self.resolve(text), local)

    def _f_join(self, arg: Any) -> Any:
        sep, items = arg
        items = self.resolve(items)
        return str(self.resolve(sep)).join(_as_str(i) for i in items)

    def _f_select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError) as exc:
            raise ResolveError(f"Fn::Select {index} out of {items!r}") from exc

    def _f_split(self, arg: Any) -> Any:
        sep, text = self.resolve(arg[0]), self.resolve(arg[1])
        return str(text).split(str(sep))

    def _f_if(self, arg: Any) -> Any:
        cond, yes, no = arg
        return self.resolve(yes if self.condition(cond) else no)

    def _f_bool(self, arg: Any, key: str) -> Any:
        return self._eval_condition({key: arg})

    def _f_findinmap(self, arg: Any) -> Any:
        name, top, second = (self.resolve(a) for a in arg[:3])
        try:
            return (self.template.get("Mappings") or {})[name][top][second]
        except KeyError as exc:
            raise ResolveError(f"Fn::FindInMap {name}/{top}/{second}: not found") from exc

    def _f_base64(self, arg: Any) -> Any:
        import base64

        return base64.b64encode(str(self.resolve(arg)).encode()).decode()

    def _f_getazs(self, arg: Any) -> Any:
        region = self.resolve(arg) or self.pseudo["AWS::Region"]
        return [f"{region}a", f"{region}b", f"{region}c"]

    def _f_tojson(self, arg: Any) -> Any:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def _f_length(self, arg: Any) -> Any:
        return len(self.resolve(arg))

    def _f_import(self, arg: Any) -> Any:
        raise ResolveError(f"Fn::ImportValue {self.resolve(arg)!r}: cross-stack imports are not emulated")

    _FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
        "Ref": _f_ref,
        "Fn::GetAtt": _f_getatt,
        "Fn::Sub": _f_sub,
        "Fn::Join": _f_join,
        "Fn::Select": _f_select,
        "Fn::Split": _f_split,
        "Fn::If": _f_if,
        "Fn::Equals": lambda s, a: s._f_bool(a, "Fn::Equals"),
        "Fn::And": lambda s, a: s._f_bool(a, "Fn::And"),
        "Fn::Or": lambda s, a: s._f_bool(a, "Fn::Or"),
        "Fn::Not": lambda s, a: s._f_bool(a, "Fn::Not"),
        "Condition": lambda s, a: s.condition(a),
        "Fn::FindInMap": _f_findinmap,
        "Fn::Base64": _f_base64,
        "Fn::GetAZs": _f_getazs,
        "Fn::ToJsonString": _f_tojson,
        "Fn::Length": _f_length,
        "Fn::ImportValue": _f_import,
    }


def _as_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
