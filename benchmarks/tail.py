"""tail_writers_postgres: what readers of the audit tail cost the writers, on PostgreSQL.

2 writer processes append audit events, one unit of work (insert and commit) per event, each timed
from the start of the unit to the end of its commit; each writer starts one every 5 ms, as
commands arrive, so the writers leave the two cores some idle time and a reader that holds them
off shows as waiting rather than as a share of the processor. mdreg: the writers' p99 latency while
2 reader processes page through the tail (``Registry.audit_since``, 100 events a page, 20 ms
apart, starting over from the beginning after a short page, as consumers catching up would);
baseline: the same writers with no reader, in the same run, alternating. The log is pre-filled, so
readers read full pages. Target ≤ 1.2×: reading the tail does not hold writers off.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

from benchmarks import fixtures
from benchmarks.harness import Context, Result, alternate, median, percentile
from mdreg.adapters.sql import SqlStore
from mdreg.domain.clock import FakeClock
from mdreg.testing.race import T0, append_event, gather, sql_registry, wait_at

WRITERS, READERS, PAGE, PAUSE = 2, 2, 100, 0.02
#: seconds between the starts of one writer's units of work
INTERVAL = 0.005
TIMEOUT = 300.0


def run(ctx: Context, pg: fixtures.Postgres) -> list[Result]:
    events, prefill = (500, 2_000) if ctx.quick else (2_000, 20_000)
    url = pg.fresh("tail")
    details: dict[str, list[Any]] = {"with_readers": [], "without_readers": [], "pages": []}
    try:
        _prefill(url, prefill)

        def side(readers: int, rep: int) -> float:
            latencies, pages = _race(url, readers, events, f"{readers}-{rep}")
            p99 = percentile(latencies, 0.99)
            details["with_readers" if readers else "without_readers"].append(p99)
            if readers:
                details["pages"].append(pages)
            return p99

        read, alone = alternate(ctx.reps, lambda rep: side(READERS, rep),
                                lambda rep: side(0, rep))
    finally:
        pg.drop(f"{fixtures.PG_PREFIX}_tail")
    return [Result("tail_writers_postgres", median(read), median(alone), "s", 1.2,
                   note=f"{WRITERS} writers × {events} events, one unit of work each "
                        f"{INTERVAL * 1000:g} ms apart, with "
                        f"{READERS} readers paging {PAGE} events {PAUSE * 1000:g} ms apart vs "
                        f"none; {prefill:,} events stored first; median of {ctx.reps} p99s",
                   details={**details, "mdreg_samples": read, "baseline_samples": alone})]


def _prefill(url: str, events: int, batch: int = 500) -> None:
    store = SqlStore.connect(url)
    try:
        for start in range(0, events, batch):
            with store.unit_of_work() as uow:
                for n in range(start, min(start + batch, events)):
                    append_event(uow, f"PRE-{n}", T0)
                uow.commit()
    finally:
        store.close()


def _race(url: str, readers: int, events: int, tag: str) -> tuple[list[float], list[int]]:
    """Every writer's latencies, and how many pages each reader read."""
    context = multiprocessing.get_context("spawn")
    barrier, results, stop = context.Barrier(WRITERS + readers), context.Queue(), context.Event()
    writers = [context.Process(target=_writer, args=(url, f"{tag}-{n}", events, barrier, results),
                               daemon=True) for n in range(WRITERS)]
    tails = [context.Process(target=_reader, args=(url, barrier, stop, results), daemon=True)
             for _ in range(readers)]
    for process in (*writers, *tails):
        process.start()
    written = gather(results, writers, TIMEOUT)
    stop.set()
    read = gather(results, tails, TIMEOUT)
    found = [item for item in (*written, *read) if item is not None]
    if len(found) != WRITERS + readers:
        raise RuntimeError(f"tail benchmark: {WRITERS + readers - len(found)} workers lost")
    latencies = [value for kind, values in found if kind == "writer" for value in values]
    return latencies, [values[0] for kind, values in found if kind == "reader"]


def _writer(url: str, tag: str, events: int, barrier: threading.Barrier,
            results: multiprocessing.Queue[tuple[str, list[float]]]) -> None:
    store = SqlStore.connect(url)
    with store.unit_of_work() as uow:  # connect before the clock starts
        uow.audit.count()
    latencies: list[float] = []
    if wait_at(barrier):
        due = time.perf_counter()
        for n in range(events):
            due += INTERVAL
            time.sleep(max(0.0, due - time.perf_counter()))
            started = time.perf_counter()
            with store.unit_of_work() as uow:
                append_event(uow, f"W-{tag}-{n}", T0)
                uow.commit()
            latencies.append(time.perf_counter() - started)
    results.put(("writer", latencies))
    store.close()


def _reader(url: str, barrier: threading.Barrier, stop: threading.Event,
            results: multiprocessing.Queue[tuple[str, list[int]]]) -> None:
    registry, store = sql_registry(url, FakeClock(T0))
    registry.audit_since(0, 1)
    pages, last = 0, 0
    if wait_at(barrier):
        while not stop.is_set():
            page = registry.audit_since(last, PAGE)
            pages += 1
            last = page[-1][0] if len(page) == PAGE else 0
            time.sleep(PAUSE)
    results.put(("reader", [pages]))
    store.close()
