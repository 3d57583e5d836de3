"""worklist_p99_sqlite / worklist_p99_postgres: a department's work-list page against the equal
raw query.

The registry: N physicians (the bulk-import benchmark's, imported here when it did not run)
and N / 10 pending applications (100,000 at 1,000,000 physicians; in quick mode at least 250 per
department) spread over 300 departments (30 in quick mode) — those that approve the registry's
institutions, and county departments of further provinces when they are fewer — half 审核中
(``under_review``) and half 待受理, each with an open decision deadline due on one of 60 days.
The rows are copies of one application taken to 审核中 through the API (its row and its
deadline's, with their ids, physician, department and due date changed), written with
``executemany`` (the database's triggers set each application's ``work_due`` as its deadline
is written).

mdreg: ``registry.view(Actor.authority(department)).work_list(WorkFilter(states=
("under_review",)), after=…, limit=50)`` — the first page, then the page after it (keyset
pagination by ``(due, id)``), alternating over departments. Baseline: the same query written
by hand on the raw driver (the department's open applications in that state, each with its
earliest open deadline — the row's ``work_due``, which the database's triggers keep — ordered by
it and the id, after the key, 51 rows), each row's JSON document parsed. Target ≤ 3×.

``EXPLAIN`` (recorded; part of pass/fail): the department's work index
(``ix_applications_department_work``: department, ``work_due``, id, state, over the open
applications) yields the page in order — no sort; the page reads about as many index entries as
it lists, however many applications the department holds.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import attrs

from benchmarks import fixtures
from benchmarks.bulk_import import registry_data
from benchmarks.command import APP_COLUMNS
from benchmarks.harness import Context, Reference, Result, alternate, median, percentile
from mdreg.adapters.sql import SqlStore, mapping, tables
from mdreg.adapters.sql.tables import OPEN_APPLICATION
from mdreg.adapters.sql.worklists import page_params, work_list_statements
from mdreg.domain.application import Actor, Evidence, RegistrationRequest
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import HealthDepartment
from mdreg.ports import WorkQuery
from mdreg.service.registry import Registry
from mdreg.service.views import WorkFilter
from mdreg.simulation.province import current_counties

PAGE = 50
STATE = "under_review"
DEPARTMENTS = 300
#: the hand-written page: ``?`` placeholders (SQLite); ``%s`` on PostgreSQL
RAW_PAGE = (
    "SELECT work_due, " + APP_COLUMNS + " FROM applications "  # noqa: S608 - names written here
    f"WHERE department_id = ? AND {OPEN_APPLICATION} AND state = ? "
    "AND (work_due, id) > (?, ?) ORDER BY work_due, id LIMIT ?")


@attrs.frozen
class Listing:
    """A registry with pending applications, and the departments that hold them."""

    registry: Registry
    store: SqlStore
    departments: tuple[str, ...]
    pending: int


def _template(registry: Registry, ctx: Context) -> tuple[Any, Any]:
    """One application taken to 审核中 through the API, and its open decision deadline."""
    data = registry_data(ctx)
    physician = next(p for p in reversed(data.physicians)
                     if p.qualifications[0].category.value == "clinical")
    institution = next(i for i in data.institutions if i.kind.value == "medical")
    staff = Actor.institution(institution.id, user="人事科")
    app = registry.apply(staff, RegistrationRequest(
        institution.id, physician.qualifications[0].certificate_no, ("内科专业",),
        evidence=Evidence(6, True)), physician_id=physician.id)
    app = registry.fire(app.id, "confirm", staff)
    app = registry.fire(app.id, "accept", Actor.authority(app.department_id, user="受理窗口"))
    (deadline,) = [d for d in registry.deadlines(app.id) if d.status.value == "open"]
    return app, deadline


#: provinces whose county departments hold applications when the registry approves in fewer
#: than :data:`DEPARTMENTS` departments (its two provinces have about a hundred)
MORE_PROVINCES = ("320000", "440000", "510000", "370000")


def _more_departments(n: int) -> list[HealthDepartment]:
    """``n`` county departments of :data:`MORE_PROVINCES` (real division codes)."""
    codes = [code for province in MORE_PROVINCES for code, _ in current_counties(province)]
    return [HealthDepartment(f"D{code}", f"{code}卫生健康局", DivisionCode(code))
            for code in codes[:max(0, n)]]


def build(ctx: Context, url: str) -> Listing:
    """The registry at ``url`` with N / 10 pending applications copied from one template."""
    data = registry_data(ctx)
    registry = fixtures.open_registry(url)
    wanted = DEPARTMENTS // 10 if ctx.quick else DEPARTMENTS
    approving = sorted({i.approved_by for i in data.institutions})[:wanted]
    extra = _more_departments(wanted - len(approving))
    if not registry.audit_count():
        registry.import_registry(departments=[*data.departments, *extra],
                                 institutions=data.institutions,
                                 physicians=data.physicians, registrations=data.registrations)
    approving += [d.id for d in extra]
    app, deadline = _template(registry, ctx)
    # at least two and a half pages per department in the state listed
    pending = max(len(data.physicians) // 10, PAGE * 5 * len(approving))
    apps, deadlines = [], []
    for n in range(pending):
        physician = data.physicians[n % len(data.physicians)]
        # one open 注册 per physician and target (the template's physician has one already)
        cycle = n // len(data.physicians) + (physician.id == app.physician_id)
        app_id = f"W{n:07d}"
        apps.append(mapping.APPLICATIONS.to_row(attrs.evolve(
            app, id=app_id, physician_id=physician.id, department_id=approving[n % len(approving)],
            target=f"{app.target}-{cycle}" if cycle else app.target,
            state=STATE if n // len(approving) % 2 else "pending_acceptance")))
        deadlines.append(mapping.DEADLINES.to_row(attrs.evolve(
            deadline, id=f"WD{n:07d}", subject_id=app_id, physician_id=physician.id,
            due=deadline.due + timedelta(days=(n * 7919) % 60))))
    store = fixtures.insert_rows(url, ((tables.applications, apps),
                                       (tables.deadlines, deadlines)))
    ctx.log(f"    {pending:,} pending applications over {len(approving)} departments")
    return Listing(registry, store, tuple(approving), pending)


def _plan(listing: Listing, department: str) -> tuple[str, bool, bool]:
    """mdreg's page statement explained: (plan, the department's index used, a sort in it)."""
    store = listing.store
    query = WorkQuery("department", department, (STATE,), limit=PAGE + 1)
    plan = store.plans.read(work_list_statements(store.dialect).page_for(query))
    params = plan.parameters(page_params(query, store.dialect))
    prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + plan.sql, params)
        text = " | ".join(str(row[-1]) for row in cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    sort = ("TEMP B-TREE" in text) if store.dialect == "sqlite" else ("Sort" in text)
    return text, "department_work" in text, sort


def _raw_page(conn: Any, dialect: str) -> Callable[[str, tuple[Any, str] | None], list[Any]]:
    """The hand-written page: rows ``(due, id, document)``, the document parsed."""
    sql = RAW_PAGE if dialect == "sqlite" else RAW_PAGE.replace("?", "%s")
    text = dialect == "sqlite"  # dates are ISO text there
    first = date.min.isoformat() if text else date.min

    def page(department: str, after: tuple[Any, str] | None) -> list[Any]:
        after_due, after_id = after or (first, "")
        rows = conn.execute(sql, (department, STATE, after_due, after_id, PAGE + 1)).fetchall()
        return [(row[0], row[1], json.loads(row[-1])) for row in rows]

    return page


def _measure(ctx: Context, name: str, listing: Listing, conn: Any) -> Result:
    registry, dialect = listing.registry, listing.store.dialect
    raw = _raw_page(conn, dialect)
    rng = random.Random(5)  # benchmark sampling
    calls = 200 if ctx.quick else 1_000
    order = [rng.choice(listing.departments) for _ in range(calls)]

    def mdreg_pages(department: str) -> int:
        view = registry.view(Actor.authority(department, user="审批科"))
        first = view.work_list(WorkFilter(states=(STATE,)), limit=PAGE)
        second = view.work_list(WorkFilter(states=(STATE,)), after=first.next, limit=PAGE)
        return len(first.items) + len(second.items)

    def raw_pages(department: str) -> int:
        first = raw(department, None)
        key = (first[PAGE - 1][0], first[PAGE - 1][1]) if len(first) > PAGE else None
        second = raw(department, key) if key else []
        return min(len(first), PAGE) + min(len(second), PAGE)

    for department in listing.departments[:20]:  # warm both sides; both list the same rows
        assert mdreg_pages(department) == raw_pages(department), department
    plan, indexed, sort = _plan(listing, listing.departments[0])
    p99: dict[str, list[float]] = {"mdreg": [], "baseline": []}
    p50: dict[str, list[float]] = {"mdreg": [], "baseline": []}

    def side(key: str, run: Callable[[str], int]) -> Callable[[int], float]:
        def rep(_: int) -> float:
            times = []
            for department in order:
                started = time.perf_counter()
                run(department)
                times.append(time.perf_counter() - started)
            p50[key].append(percentile(times, 0.5))
            p99[key].append(percentile(times, 0.99))
            return p99[key][-1]
        return rep

    alternate(ctx.reps, side("mdreg", mdreg_pages), side("baseline", raw_pages))
    ratios = [m / b for m, b in zip(p99["mdreg"], p99["baseline"], strict=True)]
    middle = sorted(range(len(ratios)), key=lambda n: ratios[n])[(len(ratios) - 1) // 2]
    ctx.reference(name, Reference("mdreg p50", median(p50["mdreg"]), "s"))
    ctx.reference(name, Reference("baseline p50", median(p50["baseline"]), "s"))
    per_department = listing.pending // len(listing.departments) // 2
    return Result(
        name, p99["mdreg"][middle], p99["baseline"][middle], "s", 3.0,
        note=f"two pages of {PAGE} (the first and the next by its key) per call, p99 of {calls} "
             f"calls, the repetition with the median of {ctx.reps} per-repetition ratios "
             f"(spread {min(ratios):.2f}–{max(ratios):.2f}×); {listing.pending:,} pending over "
             f"{len(listing.departments)} departments (~{per_department} per department in "
             f"the state listed); EXPLAIN: the department's work index "
             f"{'used' if indexed else 'NOT used'}, {'a sort' if sort else 'no sort'}",
        details={"mdreg_samples": p99["mdreg"], "baseline_samples": p99["baseline"],
                 "ratios": ratios, "p50": p50, "plan": plan, "index_used": indexed,
                 "sorted": sort},
        extra_ok=indexed and not sort)


def run_sqlite(ctx: Context) -> list[Result]:
    path = fixtures.sqlite_file(ctx.workdir, "worklist.db")
    listing = build(ctx, fixtures.sqlite_url(path))
    conn = fixtures.raw_sqlite(path)
    try:
        return [_measure(ctx, "worklist_p99_sqlite", listing, conn)]
    finally:
        conn.close()
        listing.store.close()


def run_postgres(ctx: Context, pg: fixtures.Postgres) -> list[Result]:
    import psycopg

    listing = build(ctx, pg.fresh("worklist"))
    conn = psycopg.connect(pg.dsn(f"{fixtures.PG_PREFIX}_worklist"), autocommit=True)
    try:
        return [_measure(ctx, "worklist_p99_postgres", listing, conn)]
    finally:
        conn.close()
        listing.store.close()
