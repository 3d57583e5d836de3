"""Simulate a province's registration business through the real engine.

>>> from mdreg.simulation import SimulationConfig, run
>>> report = run(SimulationConfig(physicians=40, days=5, seed=7), "memory://")
>>> sorted(report["by_type"]) == sorted(b.value for b in mdreg.BusinessType)
True
>>> report["invariant_violations"]
[]
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import mdreg
from mdreg.domain.calendar import ChineseCalendar, WeekendFallback
from mdreg.domain.clock import FakeClock
from mdreg.errors import MdregError, PersistenceError
from mdreg.rules.policy import Policy
from mdreg.service.ids import SequentialIds
from mdreg.simulation.comparison import Comparison, Figure
from mdreg.simulation.invariants import violations
from mdreg.simulation.report import build_report
from mdreg.simulation.runner import START, Simulation, SimulationConfig, Tally, merge
from mdreg.workflows import BASE_POLICY

#: Statutory working days where the calendar has data; Monday–Friday beyond it (long runs),
#: counted in the report's ``deadlines.fallback_years``.
CALENDAR = ChineseCalendar(fallback=WeekendFallback())
#: how long a worker process waits for the parent to load the province
LOAD_TIMEOUT_S = 600


def run(config: SimulationConfig, url: str = "memory://",
        on_day: Callable[[int], None] | None = None, workers: int = 1,
        start_method: str | None = None, policy: Policy = BASE_POLICY) -> dict[str, Any]:
    """Run one simulation on a fresh registry at ``url`` under ``policy`` and return its report.

    With ``workers`` > 1, that many processes share the database (SQLite or PostgreSQL), each
    acting for its own share of the physicians, day by day in step. They are started with
    ``start_method`` (a :mod:`multiprocessing` start method); by default ``fork`` where the
    platform has it and this process runs no other thread (the workers then inherit the
    imported modules: a spawned worker takes ~0.7 s to start), else ``spawn``. A spawned worker
    cannot be handed a policy other than the base policy (a policy is not pickled): that
    combination is refused.
    """
    if workers > 1 and url.startswith("memory://"):
        raise mdreg.ValidationError("workers", "several workers need a shared database (SQL)",
                                    field_label="并发进程")
    method = start_method or _start_method()
    if workers > 1 and method != "fork" and policy is not BASE_POLICY:
        raise mdreg.ValidationError(
            "policy", f"workers started with {method} run the base policy only; a policy of "
            "your own needs forked workers", field_label="政策")
    registry = mdreg.open(url, clock=FakeClock(START), ids=SequentialIds(), calendar=CALENDAR,
                          policy=policy)
    if registry.audit_count():
        raise mdreg.ValidationError("db", "the database already holds data; use an empty one",
                                    field_label="数据库")
    simulation = Simulation(registry, config, on_day, workers=workers)
    started = time.perf_counter()
    if workers == 1:
        simulation.run()
    else:
        _in_processes(simulation, config, url, workers, on_day, method,
                      None if policy is BASE_POLICY else policy)
    seconds = time.perf_counter() - started
    broken = violations(registry, [p.id for p in simulation.province.physicians])
    return build_report(simulation, seconds, registry.url, broken, workers)


def compare(config: SimulationConfig, policy_a: Policy, policy_b: Policy, *,
            url_a: str = "memory://", url_b: str = "memory://",
            on_day: Callable[[int], None] | None = None, workers: int = 1) -> Comparison:
    """Simulate ``config`` under ``policy_a`` on the empty database at ``url_a``, then under
    ``policy_b`` at ``url_b``, and compare the two. ``on_day`` is called after every day of
    either run. The two URLs must name different databases (two ``memory://`` registries are
    two databases).

    Raises:
        ValidationError: the two URLs name one SQL database, or a run's options are refused
            (see :func:`~mdreg.simulation.run`).
    """
    if url_a == url_b and not url_a.startswith("memory://"):
        raise mdreg.ValidationError("url_b", "the two runs need two databases", field_label="数据库")
    report_a = run(config, url_a, on_day=on_day, workers=workers, policy=policy_a)
    report_b = run(config, url_b, on_day=on_day, workers=workers, policy=policy_b)
    return Comparison(config, report_a, report_b)


def _start_method() -> str:
    alone = threading.active_count() == 1  # forking a threaded process can deadlock the child
    return "fork" if alone and "fork" in multiprocessing.get_all_start_methods() else "spawn"


class WorkerFailed(MdregError):
    """A simulation worker process failed or died; the others were stopped."""

    label = "模拟进程失败"


def _in_processes(simulation: Simulation, config: SimulationConfig, url: str, workers: int,
                  on_day: Callable[[int], None] | None, start_method: str,
                  policy: Policy | None) -> None:
    context: Any = multiprocessing.get_context(start_method)  # a spawn or fork context
    simulation.registry.release()  # no pooled connection is inherited by a forked worker
    barrier = context.Barrier(workers)
    loaded = context.Event()
    days = context.Queue()
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(config, url, w, workers, barrier, loaded,
                                                       days, results, policy))
                 for w in range(workers)]
    try:
        for process in processes:  # they start (and build their province) while the parent loads
            process.start()
        simulation.clock.set(START - timedelta(days=1))
        simulation.load()
        loaded.set()
        collected = _collect(processes, results, days, on_day)
    except BaseException:
        _stop(processes)
        raise
    for process in processes:
        process.join()
    _progress(days, on_day)
    merge(simulation, collected)


def _collect(processes: list[Any], results: Any, days: Any, on_day: Callable[[int], None] | None
             ) -> list[tuple[Tally, dict[str, mdreg.Application]]]:
    """Every worker's tally, in worker order; :class:`WorkerFailed` as soon as one fails, or
    exits without delivering its tally."""
    delivered: dict[int, tuple[Tally, dict[str, mdreg.Application]]] = {}
    stopped: set[int] = set()  # broke off because another worker failed
    while len(delivered) < len(processes):
        _progress(days, on_day)
        ended = [w for w, p in enumerate(processes)
                 if p.exitcode is not None and w not in delivered and w not in stopped]
        try:  # a worker that delivered, then ended, has its tally in the queue: wait a little
            worker, outcome = results.get(timeout=2.0 if ended else 0.2)
        except queue.Empty:
            if ended:
                raise WorkerFailed(_ended(ended[0], len(processes), processes[ended[0]].exitcode)
                                   ) from None
            continue
        if isinstance(outcome, str):
            raise WorkerFailed(f"simulation worker {worker + 1} of {len(processes)} failed: "
                               f"{outcome}")
        if outcome is None:
            stopped.add(worker)
            if len(stopped) == len(processes):
                raise WorkerFailed("every simulation worker stopped")
            continue
        delivered[worker] = outcome
    return [delivered[w] for w in sorted(delivered)]


def _ended(worker: int, workers: int, code: int) -> str:
    how = (f"was killed by signal {-code}" if code < 0
           else f"ended with exit code {code}" if code else "ended")
    return f"simulation worker {worker + 1} of {workers} {how} before finishing"


def _progress(days: Any, on_day: Callable[[int], None] | None) -> None:
    while not days.empty():
        day = days.get()
        if on_day:
            on_day(day)


def _stop(processes: list[Any]) -> None:
    """End every worker still running, and wait for it."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        if process.pid is None:
            continue  # never started
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()


def _worker(config: SimulationConfig, url: str, worker: int, workers: int, barrier: Any,
            loaded: Any, days: Any, results: Any, policy: Policy | None) -> None:
    """Simulate this worker's share under ``policy`` (``None``: the base policy); put
    ``(worker, tally and applications)`` on ``results``, or ``(worker, what failed)`` —
    ``(worker, None)`` when another worker's failure stopped it."""
    try:  # the parent migrated the database already
        registry = mdreg.open(url, clock=FakeClock(START), ids=SequentialIds(worker + 1),
                              calendar=CALENDAR, migrate=False, policy=policy or BASE_POLICY)

        def step(day: int) -> None:
            barrier.wait()
            if worker == 0:
                days.put(day)

        simulation = Simulation(registry, config, step, worker=worker, workers=workers,
                                planned=barrier.wait)
        if not loaded.wait(LOAD_TIMEOUT_S):
            raise PersistenceError("the province was not loaded in time")
        simulation.run(load=False)
        results.put((worker, (simulation.tally, simulation.apps)))
    except threading.BrokenBarrierError:
        results.put((worker, None))
    except BaseException as error:
        results.put((worker, error.describe() if isinstance(error, MdregError)
                     else f"{type(error).__name__}: {error}"))
        barrier.abort()


__all__ = ["Comparison", "Figure", "Simulation", "SimulationConfig", "WorkerFailed", "compare",
           "run"]
