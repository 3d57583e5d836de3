"""tick_throughput_sqlite / tick_throughput_postgres: deadlines processed per second by
``Registry.tick`` against a hand-written tick doing the same work.

The registry: N physicians (imported) and N stored decision deadlines (1,000,000 at full size),
each on an application 审核中 at a department below a prefecture's (copies of one application taken
there through the API, and of its deadline, written with ``executemany``; already reminded, so
the tick's 催办 pass finds nothing). Of them, N / 20 (50,000) pass on each of 2 × repetitions
successive days; the rest pass a year later. First, like the tick, the baseline reads the
calendar's imported years and the open provisional deadlines (none here). Each side, in turn,
ticks as of the day after its own set passed, so every tick finds exactly N / 20 passed
deadlines, never another side's.

What a tick does with a passed decision deadline, and so what the baseline does, per batch of
100 in one transaction: claim the passed deadlines (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
after ``BEGIN IMMEDIATE`` on SQLite); for each, flag it (version-checked update of its row and
document), read its application, the deciding department and the department above it (by
division; each read once a batch, as a unit of work keeps what it read), and tell that one
(督办): a notice in the outbox and an event in the application's history (its last ``seq``
read, the event appended); then commit; a last claim finds nothing.
Then the 催办 pass and the lapsed filings pass each claim nothing. Both sides' statements are
traced on a small tick first (``details.statements``). Target: mdreg's throughput ≥ 1/2 the
baseline's (the ratio printed is baseline time / mdreg time per deadline, ≤ 2×).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from benchmarks import fixtures
from benchmarks.bulk_import import registry_data
from benchmarks.command import Recording, summarize
from benchmarks.harness import Context, Reference, Result, alternate, median
from benchmarks.worklist import _template
from mdreg.adapters.sql import SqlStore, mapping, tables
from mdreg.adapters.sql.driver import traced
from mdreg.service.registry import Registry

BATCH = 100
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


@attrs.frozen
class Deadlines:
    registry: Registry
    store: SqlStore
    first_due: date
    per_day: int
    stored: int


def build(ctx: Context, url: str, days: int) -> Deadlines:
    data = registry_data(ctx)
    registry = fixtures.open_registry(url)
    registry.import_registry(departments=data.departments, institutions=data.institutions,
                             physicians=data.physicians, registrations=data.registrations)
    app, deadline = _template(registry, ctx)
    below = sorted(d.id for d in data.departments if d.division.level == "county")
    stored = len(data.physicians)
    per_day = max(stored // 20, BATCH)
    first_due = deadline.due + timedelta(days=30)
    apps, rows = [], []
    for n in range(stored):
        physician = data.physicians[n % len(data.physicians)]
        day = n // per_day
        due = first_due + timedelta(days=day) if day < days else first_due + timedelta(days=400)
        app_id = f"T{n:07d}"
        if day < days:  # an application to escalate about
            apps.append(mapping.APPLICATIONS.to_row(attrs.evolve(
                app, id=app_id, physician_id=physician.id, department_id=below[n % len(below)],
                target=f"{app.target}-t{n}")))
        rows.append(mapping.DEADLINES.to_row(attrs.evolve(
            deadline, id=f"TD{n:07d}", subject_id=app_id, physician_id=physician.id, due=due,
            reminded_on=deadline.start)))
    store = fixtures.insert_rows(url, ((tables.applications, apps), (tables.deadlines, rows)))
    # the template's own deadline passes too: flag it now, out of the measured ticks
    registry.tick(datetime.combine(deadline.due + timedelta(days=1), datetime.min.time(), UTC))
    ctx.log(f"    {stored:,} stored deadlines, {per_day:,} passing on each of {days} days")
    return Deadlines(registry, store, first_due, per_day, stored)


# -- the hand-written tick ------------------------------------------------------------------------

DEADLINE_COLUMNS = ("id, kind, subject_id, physician_id, start, due, source, opened_at, status, "
                    "version, closed_on, flagged_on, reminded_on, doc")


class RawTick:
    """The tick of passed decision deadlines in hand-written sqlite3 or psycopg (autocommit
    connection; transactions begun by hand). Within a batch (one transaction), a department is
    read once, and so are the departments of a division, as a unit of work keeps them."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn, self.dialect = conn, dialect
        mark = "?" if dialect == "sqlite" else "%s"
        lock = "" if dialect == "sqlite" else " FOR UPDATE SKIP LOCKED"
        self.q = {name: sql.replace("?", mark) for name, sql in {
            "calendar": "SELECT year, source, imported_at, doc FROM calendar_years ORDER BY year",
            "provisional": f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE status = 'open' "  # noqa: S608
                           "AND source = 'fallback' AND due >= ? ORDER BY due, id",
            "claim": f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE status = 'open' "  # noqa: S608
                     f"AND flagged_on IS NULL AND due < ? ORDER BY due, id LIMIT ?{lock}",
            "reminders": f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE status = 'open' "  # noqa: S608
                         "AND kind = 'decision' AND reminded_on IS NULL AND due >= ? "
                         f"AND due <= ? ORDER BY due, id LIMIT ?{lock}",
            "lapsed": "SELECT id, physician_id FROM filings WHERE status = 'active' "
                      "AND valid_to < ? ORDER BY valid_to, id LIMIT ?",
            "flag": "UPDATE deadlines SET flagged_on = ?, version = ?, doc = ? "
                    "WHERE id = ? AND version = ?",
            "application": "SELECT id, state, department_id, doc FROM applications WHERE id = ?",
            "department": "SELECT id, name, division, doc FROM departments WHERE id = ?",
            "by_division": "SELECT id, name, division, doc FROM departments WHERE division = ? "
                           "ORDER BY id",
            "outbox": "INSERT INTO outbox_messages (id, channel, template, aggregate_id, "
                      "created_at, sent_at, attempts, lease_owner, lease_until, "
                      "next_attempt_at, parked_at, last_error, doc) "
                      "VALUES (?, ?, ?, ?, ?, NULL, 0, NULL, NULL, NULL, NULL, '', ?)",
            "seq": "SELECT coalesce(max(seq), 0) FROM audit_events WHERE aggregate_id = ?",
            "audit": "INSERT INTO audit_events (aggregate_id, seq, event, from_state, to_state, "
                     "at, policy, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        }.items()}
        self.counter = 0
        self.divisions: dict[str, list[Any]] = {}

    def _value(self, value: Any) -> Any:
        if self.dialect != "sqlite":
            return value
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value.isoformat() if isinstance(value, date) else value

    def __call__(self, now: datetime) -> int:
        conn, q, v = self.conn, self.q, self._value
        today = now.astimezone(UTC).date()
        self._read(lambda: (conn.execute(q["calendar"]).fetchall(), conn.execute(
            q["provisional"], (v(date(today.year, 1, 1)),)).fetchall()))
        handled = 0
        while True:
            done = self._write(lambda: self._batch(today, now))
            handled += done
            if not done:
                break
        self._write(lambda: len(conn.execute(q["reminders"], (
            v(today), v(today + timedelta(days=5)), BATCH)).fetchall()))
        self._read(lambda: conn.execute(q["lapsed"], (v(today), BATCH)).fetchall())
        return handled

    def _read(self, action: Callable[[], object]) -> None:
        self.conn.execute("BEGIN")
        try:
            action()
        finally:
            self.conn.execute("COMMIT")

    def _write(self, action: Callable[[], int]) -> int:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            done = action()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return done

    def _batch(self, today: date, now: datetime) -> int:
        conn, q, v = self.conn, self.q, self._value
        claimed = conn.execute(q["claim"], (v(today), BATCH)).fetchall()
        superiors: dict[str, tuple[Any, ...] | None] = {}
        self.divisions = {}
        stamp = v(now)
        for row in claimed:
            doc = json.loads(row[-1])
            if conn.execute(q["flag"], (v(today), row[9] + 1, _JSON(doc), row[0],
                                        row[9])).rowcount != 1:
                raise RuntimeError(f"deadline {row[0]} changed meanwhile")
            app = conn.execute(q["application"], (row[2],)).fetchone()
            if app is None:
                continue
            json.loads(app[-1])
            department_id = app[2]
            if department_id not in superiors:
                superiors[department_id] = self._superior(department_id)
            superior = superiors[department_id]
            if superior is None:
                continue
            self.counter += 1
            body = (f"督办：申请 {app[0]} 的审批决定期限已于 {row[5]} 届满，"
                    f"{department_id} 尚未作出决定。")
            to = f"authority:{superior[0]}"
            conn.execute(q["outbox"], (f"MT{self.counter:08d}", "notice", "deadline_escalate",
                                       app[0], stamp, _JSON({"body": body, "to": to})))
            seq = conn.execute(q["seq"], (app[0],)).fetchone()[0] + 1
            conn.execute(q["audit"], (app[0], seq, "escalate", app[1], app[1], stamp, "base",
                                      _JSON({"actor": {"kind": "system", "party_id": "",
                                                       "user": ""},
                                             "data": {"to": [to]}, "reason": ""})))
        return len(claimed)

    def _superior(self, department_id: str) -> tuple[Any, ...] | None:
        conn, q = self.conn, self.q
        found = conn.execute(q["department"], (department_id,)).fetchone()
        if found is None:
            return None
        division = str(found[2])
        for above in (division[:4] + "00", division[:2] + "0000"):
            if above == division:
                continue
            rows = self.divisions.get(above)
            if rows is None:
                rows = self.divisions[above] = conn.execute(q["by_division"], (above,)).fetchall()
            if rows:
                return tuple(rows[0])
        return None


# -- the runs ------------------------------------------------------------------------------------

def _statements(registry: Registry, raw: RawTick, mine_at: datetime, theirs_at: datetime
                ) -> dict[str, Any]:
    with traced() as seen:
        registry.tick(mine_at)
    recorded: list[str] = []
    conn, raw.conn = raw.conn, Recording(raw.conn, recorded)
    try:
        raw(theirs_at)
    finally:
        raw.conn = conn
    return {"mdreg": summarize(seen), "baseline": summarize(recorded),
            "mdreg_total": len(seen), "baseline_total": len(recorded)}


def _measure(ctx: Context, name: str, deadlines: Deadlines, raw: RawTick) -> Result:
    registry, reps = deadlines.registry, ctx.reps

    def at(day: int) -> datetime:
        return datetime.combine(deadlines.first_due + timedelta(days=day + 1),
                                datetime.min.time(), UTC)

    # days 0 and 1: one tick per side under a statement trace (not timed), and a warm-up
    statements = _statements(registry, raw, at(0), at(1))
    handled: dict[str, list[int]] = {"mdreg": [], "baseline": []}
    ticks = [2]  # the next day whose set has not been ticked (the sides alternate in order)

    def next_day() -> datetime:
        ticks[0] += 1
        return at(ticks[0] - 1)

    def mdreg_rep(_: int) -> float:
        day = next_day()
        started = time.perf_counter()
        report = registry.tick(day)
        seconds = time.perf_counter() - started
        handled["mdreg"].append(len(report.flagged))
        return seconds / max(1, len(report.flagged))

    def raw_rep(_: int) -> float:
        day = next_day()
        started = time.perf_counter()
        done = raw(day)
        seconds = time.perf_counter() - started
        handled["baseline"].append(done)
        return seconds / max(1, done)

    mine, theirs = alternate(reps, mdreg_rep, raw_rep)
    assert handled["mdreg"] == handled["baseline"] == [deadlines.per_day] * reps, handled
    ratios = [m / b for m, b in zip(mine, theirs, strict=True)]
    return Result(
        name, median(mine), median(theirs), "s", 2.0,
        note=f"seconds per passed deadline (escalated) in a tick finding {deadlines.per_day:,} "
             f"of {deadlines.stored:,} stored: mdreg {1 / median(mine):,.0f}/s, baseline "
             f"{1 / median(theirs):,.0f}/s; median of {reps} ticks per side (ratios "
             f"{min(ratios):.2f}–{max(ratios):.2f}×); {statements['mdreg_total']} statements "
             f"(mdreg) vs {statements['baseline_total']} (baseline) for one tick",
        details={"mdreg_samples": mine, "baseline_samples": theirs, "ratios": ratios,
                 "handled": handled, "statements": statements})


def run_sqlite(ctx: Context) -> list[Result]:
    path = fixtures.sqlite_file(ctx.workdir, "tick.db")
    deadlines = build(ctx, fixtures.sqlite_url(path), 2 + 2 * ctx.reps)
    conn = fixtures.raw_sqlite(path)
    try:
        return [_measure(ctx, "tick_throughput_sqlite", deadlines, RawTick(conn, "sqlite"))]
    finally:
        conn.close()
        deadlines.store.close()


def run_postgres(ctx: Context, pg: fixtures.Postgres) -> list[Result]:
    import psycopg

    deadlines = build(ctx, pg.fresh("tick"), 2 + 2 * ctx.reps)
    conn = psycopg.connect(pg.dsn(f"{fixtures.PG_PREFIX}_tick"), autocommit=True)
    try:
        return [_measure(ctx, "tick_throughput_postgres", deadlines,
                         RawTick(conn, "postgresql"))]
    finally:
        conn.close()
        deadlines.store.close()


# -- the scaling curve on PostgreSQL ----------------------------------------------------------

#: how many processes tick at once, in the order of each repetition's measurements
WORKERS = (1, 2, 4)


def _ticker(url: str, worker: int, pipe: Any) -> None:
    """A ticking process: opens the registry once, then for each day it is sent ticks as of it
    and answers ``(started, finished, flagged)`` (``time.monotonic``, one clock per machine)."""
    import mdreg
    from mdreg.domain.clock import FakeClock
    from mdreg.service.ids import SequentialIds

    registry = mdreg.open(url, clock=FakeClock(fixtures.START), ids=SequentialIds(worker))
    pipe.send("ready")
    while (now := pipe.recv()) is not None:
        started = time.monotonic()
        report = registry.tick(now)
        pipe.send((started, time.monotonic(), len(report.flagged)))


def run_scaling(ctx: Context, pg: fixtures.Postgres) -> list[Result]:
    """tick_scaling_postgres: deadlines flagged per second when 1, 2 or 4 processes tick as of
    the same day at once (each day's N / 20 passed deadlines shared out by ``SKIP LOCKED``)."""
    import multiprocessing

    reps = ctx.reps
    url = pg.fresh("tick_scaling")
    deadlines = build(ctx, url, 1 + reps * len(WORKERS))
    spawn = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for worker in range(1, max(WORKERS) + 1):
        mine, theirs = spawn.Pipe()
        process = spawn.Process(target=_ticker, args=(url, worker, theirs), daemon=True)
        process.start()
        pipes.append(mine)
        processes.append(process)
    try:
        for pipe in pipes:
            assert pipe.recv() == "ready"
        day = [0]

        def tick_with(count: int) -> float:
            """Deadlines per second with ``count`` processes ticking the next day's set."""
            now = datetime.combine(deadlines.first_due + timedelta(days=day[0] + 1),
                                   datetime.min.time(), UTC)
            day[0] += 1
            for pipe in pipes[:count]:
                pipe.send(now)
            answers = [pipe.recv() for pipe in pipes[:count]]
            flagged = sum(n for _, _, n in answers)
            assert flagged == deadlines.per_day, (count, flagged)  # each exactly once
            seconds = max(end for _, end, _ in answers) - min(start for start, _, _ in answers)
            return flagged / seconds

        tick_with(1)  # warm every side: the first tick compiles plans and fills caches
        curve: dict[int, list[float]] = {n: [] for n in WORKERS}
        for rep in range(reps):
            for count in WORKERS[rep % len(WORKERS):] + WORKERS[:rep % len(WORKERS)]:
                curve[count].append(tick_with(count))
    finally:
        for pipe in pipes:
            pipe.send(None)
        for process in processes:
            process.join(timeout=60)
        deadlines.store.close()
    rates = {n: median(curve[n]) for n in WORKERS}
    ctx.reference("tick_scaling_postgres", Reference(
        "4 workers", rates[4], "deadlines/s", "against 1 worker in the ratio column"))
    return [Result(
        "tick_scaling_postgres", rates[2], rates[1], "deadlines/s", 1.6, check="ratio>=",
        note=f"deadlines flagged and escalated per second by 1, 2 and 4 processes ticking as of "
             f"the same day ({deadlines.per_day:,} passed of {deadlines.stored:,} stored, each "
             f"flagged exactly once): {', '.join(f'{n}: {rates[n]:,.0f}/s' for n in WORKERS)}; "
             f"median of {reps} ticks each, the order rotated per repetition",
        details={"curve": curve, "rates": rates, "per_day": deadlines.per_day,
                 "stored": deadlines.stored})]
