"""CPU time of a local cloud's processes, by role, from /proc (Linux): where a command's CPU goes.

    before = cpu_by_role(cloud)                     # {"main": s, "stepfunctions": s, "functions": s}
    ...
    spent = cpu_delta(before, cpu_by_role(cloud))   # seconds of CPU each role used in between

Roles: ``main`` is this process (moto for every service but Step Functions, the AWS endpoint, the
REST API, the pollers, the pipes, the function host, the bench's own client); ``stepfunctions``
the Step Functions process (`localcloud.aws.stepfunctions_process`, when the cloud runs one);
``functions`` every other process under this one (the functions' runtimes). A function process that
ended in between is not counted (its CPU is lost to /proc): a throughput run keeps them alive.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of `pid`, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) * _TICK_S


def _descendants(root: int) -> dict[int, float]:
    """CPU seconds of every live process under `root` (not `root` itself)."""
    parent_of: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parent_of[int(entry)] = stat
    found: dict[int, float] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, cpu) in parent_of.items():
            if ppid == parent and pid not in found:
                found[pid] = cpu
                frontier.append(pid)
    return found


def cpu_by_role(cloud: Any) -> dict[str, float]:
    """CPU seconds used so far by the cloud's processes, by role (see the module docstring)."""
    me = os.getpid()
    own = _stat(me)
    sfn = getattr(getattr(cloud, "stepfunctions", None), "pid", None)
    roles = {"main": own[1] if own else 0.0, "stepfunctions": 0.0, "functions": 0.0}
    for pid, cpu in _descendants(me).items():
        roles["stepfunctions" if pid == sfn else "functions"] += cpu
    return roles


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Seconds of CPU each role used between two `cpu_by_role` readings (never negative)."""
    return {role: round(max(after.get(role, 0.0) - before.get(role, 0.0), 0.0), 2) for role in after}


def per_command_ms(spent: dict[str, float], commands: int) -> dict[str, float]:
    """Milliseconds of CPU per command, by role and in total."""
    if commands <= 0:
        return {}
    result = {role: round(1000 * seconds / commands, 1) for role, seconds in spent.items()}
    result["total"] = round(sum(result.values()), 1)
    return result
