"""Loading scenario files into Cases: read + schema (files), expand (defaults, matrix), then per case
the semantic checks: service types, generations, statuses and reasons exist; the vehicle selection
matches the fleet; the behaviour resolves; the stated expectation is what the pipeline does (oracle)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from remote_services import catalog
from remote_services.errors import ValidationError
from remote_services.status import FAILURE_REASONS, FINAL_STATUSES, STATUSES, FailureReason
from remote_services.vehicles import GENERATIONS
from simulator.fleet import DEFAULT_FLEET, Fleet, Vehicle, load_fleet
from simulator.scenario.expand import RawCase, expand
from simulator.scenario.files import read
from simulator.scenario.model import Case, Expect, ScenarioError
from simulator.scenario.oracle import Outcome, command_outcome, raised_outcome, refusal_outcome
from simulator.scenario.resolve import CaseFault, resolve_behaviour

WAIT_MARGIN_S = 15.0  # on top of when the final status is due: queues, checks on whole seconds, pushes
REFUSAL_WAIT_S = 5.0
MIN_IN_FLIGHT_MS = 3_000  # busyWith: the first command must stay in flight at least this long


@cache
def _default_fleet() -> Fleet:
    return load_fleet(DEFAULT_FLEET)


def generated_pattern(fleet_path: Path = DEFAULT_FLEET) -> str:
    """The VIN pattern of fleet.json's generated vehicles (the `fleet: generated` slice)."""
    import json

    data = json.loads(fleet_path.read_text(encoding="utf-8"))
    prefixes = [re.escape(str(g["prefix"])) for g in data.get("generated") or []]
    return f"(?:{'|'.join(prefixes)})[0-9]{{6}}"


def _service(value: Any, field: str) -> str:
    if not isinstance(value, str) or value not in catalog.SERVICES:
        raise CaseFault(field, f"unknown service type {value!r} (known: {', '.join(catalog.SERVICE_TYPES)})")
    return value


def _raises(fields: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    out = []
    for i, raw in enumerate(fields.get("raise") or []):
        service_type = _service(raw["serviceType"], f"raise[{i}].serviceType")
        if catalog.spec(service_type)["initiator"] != catalog.VEHICLE:
            raise CaseFault(f"raise[{i}].serviceType", f"{service_type} is not vehicle-initiated")
        count, every = int(raw.get("count", 1)), int(raw.get("everyMs", 0))
        if count > 1 and every < 1:
            raise CaseFault(f"raise[{i}].everyMs", "needs >= 1 for several events (their ids hold the time)")
        out.append({"serviceType": service_type, "count": count, "everyMs": every})
    return tuple(out)


def _selection(fields: Mapping[str, Any], fleet: Fleet) -> tuple[str, str | None, list[Vehicle]]:
    """(generation, VIN pattern, the fleet's vehicles it may pick)."""
    chosen = [k for k in ("vin", "vinPattern", "fleet") if k in fields]
    if len(chosen) > 1:
        raise CaseFault(chosen[1], f"say one of vin, vinPattern, fleet (got {', '.join(chosen)})")
    generation = fields.get("generation")
    vin = fields.get("vin")
    if generation is None and vin in fleet.vehicles:
        generation = fleet.vehicles[vin].generation
    if generation not in GENERATIONS:
        known = ", ".join(GENERATIONS)
        raise CaseFault("generation", f"unknown or missing generation {generation!r} ({known})")
    pattern: str | None = None
    if vin is not None:
        pattern = re.escape(vin)
    elif "vinPattern" in fields:
        pattern = fields["vinPattern"]
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise CaseFault("vinPattern", f"not a regular expression: {exc}") from None
    elif "fleet" in fields:
        pattern = generated_pattern()
    field = chosen[0] if chosen else "generation"
    pool = [v for v in fleet.vehicles.values() if pattern is None or re.fullmatch(pattern, v.vin)]
    if vin is not None and vin in fleet.vehicles and fleet.vehicles[vin].generation != generation:
        actual = fleet.vehicles[vin].generation
        raise CaseFault("generation", f"{vin} is a {actual} vehicle, not {generation}")
    pool = [v for v in pool if v.generation == generation]
    if not pool:
        raise CaseFault(field, f"no {generation} vehicle of the fleet matches")
    return str(generation), pattern, pool


def _refusal(
    fields: Mapping[str, Any], service_type: str, params: Any, pattern: str | None, pool: list[Vehicle]
) -> tuple[int, str, dict[str, Any]] | None:
    """(http, error code, normalised parameters) when the API refuses the command, else None."""
    causes: list[tuple[int, str, str]] = []
    normalised: dict[str, Any] = {}
    try:
        normalised = catalog.validate_parameters(service_type, params)
    except ValidationError as exc:
        causes.append((400, FailureReason.VALIDATION_FAILED, f"parameters ({exc})"))
    if fields.get("caller", "owner") == "stranger":
        causes.append((403, FailureReason.NOT_OWNER, "caller: stranger"))
    able = [v for v in pool if service_type in v.capabilities]
    if pattern is None and not able:
        raise CaseFault("serviceType", f"no vehicle of the fleet can do {service_type}")
    if pattern is not None and able and len(able) < len(pool):
        raise CaseFault("vinPattern", f"only some matching vehicles can do {service_type}: pick one kind")
    if pattern is not None and not able:
        causes.append((400, FailureReason.UNSUPPORTED_BY_VEHICLE, f"the vehicle lacks {service_type}"))
    if "busyWith" in fields:
        causes.append((409, FailureReason.VEHICLE_BUSY, "busyWith"))
    if len(causes) > 1:
        raise CaseFault("expect.http", "more than one reason to refuse: " + "; ".join(c[2] for c in causes))
    return (causes[0][0], causes[0][1], normalised) if causes else None


def _check_busy_first(fields: Mapping[str, Any], behaviour: Mapping[str, Any]) -> float:
    busy = _service(fields["busyWith"], "busyWith")
    if catalog.spec(busy)["initiator"] != catalog.APP:
        raise CaseFault("busyWith", f"{busy} is not a command")
    try:
        catalog.validate_parameters(busy, {})
    except ValidationError as exc:
        raise CaseFault("busyWith", f"sent without parameters, {busy} is refused ({exc})") from None
    first = command_outcome(busy, behaviour)
    if first.final_ms < MIN_IN_FLIGHT_MS:
        raise CaseFault(
            "vehicle",
            f"the first command ends after {first.final_ms} ms: too soon to be busy "
            f"(at least {MIN_IN_FLIGHT_MS} ms)",
        )
    return first.final_ms / 1000


def _expect(stated: Mapping[str, Any], truth: Outcome) -> Expect:
    """The stated expectation, checked against the truth."""
    if not stated:
        raise CaseFault("expect", "missing: say what must happen")
    http = stated.get("http", 202 if truth.http in (202, 400, 403, 409) else 0)
    if http != truth.http:
        raise CaseFault("expect.http", f"says {http}, the API answers {truth.http} here")
    status, reason = stated.get("status"), stated.get("reason", truth.reason if truth.final is None else None)
    history, pushes, push = stated.get("history"), stated.get("pushes"), stated.get("push")
    for i, name in enumerate([status, push, *(history or [])]):
        if name is not None and name not in STATUSES:
            where = "expect.status" if i == 0 else "expect.push" if i == 1 else f"expect.history[{i - 2}]"
            raise CaseFault(where, f"unknown status {name!r} ({', '.join(STATUSES)})")
    if reason is not None and reason not in FAILURE_REASONS:
        raise CaseFault("expect.reason", f"unknown reason {reason!r} ({', '.join(sorted(FAILURE_REASONS))})")
    if status != truth.final:
        raise CaseFault("expect.status", f"says {status}, the behaviour gives {truth.final} ({truth.reason})")
    if reason != truth.reason:
        raise CaseFault("expect.reason", f"says {reason}, the behaviour gives {truth.reason}")
    if history is not None and truth.history is None and truth.final is not None:
        raise CaseFault(
            "expect.history",
            "the ack and the done are due less than 1 s apart: the order the "
            "pipeline sees them in is not certain; leave history out or set them further apart",
        )
    if history is not None and tuple(history) != truth.history:
        raise CaseFault("expect.history", f"says {history}, the behaviour gives {list(truth.history or [])}")
    if pushes is not None and pushes != truth.pushes:
        raise CaseFault("expect.pushes", f"says {pushes}, the behaviour gives {truth.pushes}")
    if push is not None and (push not in FINAL_STATUSES or push != truth.final):
        raise CaseFault("expect.push", f"says {push}, the push carries {truth.final}")
    history_ = tuple(history) if history is not None else None
    or_timeout = truth.or_timeout_ms is not None
    return Expect(http, status, reason, history_, pushes, push, or_timeout=or_timeout)


def build_case(raw: RawCase, file: str, stem: str, fleet: Fleet) -> Case:
    """One Case from a merged raw case (CaseFault on a semantic error)."""
    fields = raw.fields
    raise_events = _raises(fields)
    service_type = fields.get("serviceType")
    if service_type is None:
        if not raise_events:
            raise CaseFault("serviceType", "missing: a case sends a command or raises an event")
        service_type = raise_events[0]["serviceType"]
    service_type = _service(service_type, "serviceType")
    command = catalog.spec(service_type)["initiator"] == catalog.APP
    if not command and not raise_events:
        raise CaseFault("serviceType", f"{service_type} is vehicle-initiated: raise it (raise: ...)")
    generation, pattern, pool = _selection(fields, fleet)
    params: Any = fields.get("parameters") or {}
    for key in fields.get("parametersFor") or {}:
        _service(key, f"parametersFor.{key}")
    params = (fields.get("parametersFor") or {}).get(service_type, params)
    behaviour = resolve_behaviour(fields, service_type)
    wait_s = 0.0
    if command:
        refusal = _refusal(fields, service_type, params, pattern, pool)
        if refusal is None:
            truth = command_outcome(service_type, behaviour)
            params = catalog.validate_parameters(service_type, params)
            wait_s = truth.wait_ms / 1000 + WAIT_MARGIN_S
        else:
            truth = refusal_outcome(refusal[0], refusal[1])
            if refusal[0] != 400:
                params = refusal[2]
            wait_s = REFUSAL_WAIT_S
            if "busyWith" in fields:
                wait_s += _check_busy_first(fields, behaviour) + WAIT_MARGIN_S
    else:
        if params:
            raise CaseFault("parameters", "a vehicle-initiated event has no parameters")
        for key in ("caller", "busyWith"):
            if key in fields:
                raise CaseFault(key, "only for a command")
        truth = raised_outcome(raise_events)
        wait_s = truth.wait_ms / 1000 + WAIT_MARGIN_S
    if command and raise_events:
        wait_s = max(wait_s, raised_outcome(raise_events).final_ms / 1000 + WAIT_MARGIN_S)
    expect = _expect(fields.get("expect") or {}, truth)
    return Case(
        id=f"{stem}/{raw.label}",
        file=file,
        service_type=service_type,
        generation=generation,
        vin_pattern=pattern,
        colour=fields.get("colour"),
        parameters=dict(params),
        behaviour=behaviour,
        raise_events=raise_events,
        expect=expect,
        timeout_s=round(wait_s, 3),
        caller=str(fields.get("caller", "owner")),
        busy_with=fields.get("busyWith"),
    )


def _file_cases(path: Path, doc: Mapping[str, Any], fleet: Fleet) -> list[Case]:
    file = str(path)
    out = []
    for raw in expand(doc):
        try:
            out.append(build_case(raw, file, path.stem, fleet))
        except CaseFault as fault:
            raise ScenarioError(file, raw.label, fault.field, fault.message) from None
    return out


def load(paths: Iterable[Path], fleet: Fleet | None = None) -> list[Case]:
    """Every case of these files: validated, expanded, resolved; ScenarioError on the first problem."""
    fleet = fleet or _default_fleet()
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        for case in _file_cases(path, read(path), fleet):
            if case.id in seen:
                label = case.id.split("/", 1)[1]
                raise ScenarioError(
                    case.file, label, "name", f"duplicate case id {case.id!r} (also in {seen[case.id]})"
                )
            seen[case.id] = case.file
            cases.append(case)
    return cases


def scenario_files(folder: Path, include_matrix: bool = False) -> list[Path]:
    """The scenario files of `folder` (*.yaml, *.yml), by name; matrix suites only if asked."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if include_matrix:
        return files
    return [p for p in files if _suite(p) != "matrix"]


def _suite(path: Path) -> str:
    """The file's `suite` at a glance (a broken file is "main": loading it reports what is wrong)."""
    import yaml  # type: ignore[import-untyped, unused-ignore]

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return "main"
    return str(doc.get("suite", "main")) if isinstance(doc, dict) else "main"


def load_dir(folder: Path, include_matrix: bool = False, fleet: Fleet | None = None) -> list[Case]:
    """The cases of every scenario file of `folder` (the matrix suites only with include_matrix)."""
    return load(scenario_files(folder, include_matrix), fleet)
