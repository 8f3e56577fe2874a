"""The cases of a suite, concurrently over distinct vehicles, with a progress line on stderr."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TextIO

from simulator.runner.execute import CaseResult, run_case
from simulator.runner.vehicles import VehiclePool

if TYPE_CHECKING:
    from simulator.runner.targets import Target
    from simulator.scenario import Case


class Progress:
    """`[####......] 12/40 cases, 1 failed, 35 s` redrawn in place (one line per update when not a TTY)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = self.failed = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._tty = stream.isatty()

    def update(self, result: CaseResult) -> None:
        with self._lock:
            self.done += 1
            self.failed += 0 if result.passed else 1
            filled = self.width * self.done // max(1, self.total)
            line = (
                f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} cases, "
                f"{self.failed} failed, {time.monotonic() - self.started:.0f} s"
            )
            if self._tty:
                self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
            elif self.done == self.total or self.done % max(1, self.total // 20) == 0 or not result.passed:
                self.stream.write(line + (f"  ({result.case_id} failed)" if not result.passed else "") + "\n")
            self.stream.flush()


def run_suite(
    target: Target,
    cases: Sequence[Case],
    concurrency: int = 4,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Every case, at most `concurrency` at once and one per vehicle; results in the cases' order."""
    pool = VehiclePool(target.fleet)

    def one(case: Case) -> CaseResult:
        result = run_case(target, case, pool)
        if on_result is not None:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="case") as workers:
        return list(workers.map(one, cases))
