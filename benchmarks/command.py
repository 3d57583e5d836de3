"""command_sqlite / command_postgres: one 注册 approve command through the Registry vs
hand-written driver code doing the same reads and writes in one transaction.

What the service does for ``Registry.fire(app, "approve", authority)`` (registry.py, context.py,
effects.py, announcements.py, account_steps.py), and so what the baseline replicates:

reads   the application; the physician, the routed institution and the deciding department;
        the physician's registrations, filings and legacy multi-site records (the rule
        context); the application's open deadlines; the physician's portal account (R-ACC-5);
        the aggregate's last audit ``seq``
rules   the qualification is the physician's; no valid registration at an overlapping practice
        location (the baseline checks just these two: the raw limit, not a rule engine)
writes  the application (state, version, timestamps, doc) with a version check; the decision
        deadline closed (version-checked); the new registration; the announcement in the
        outbox; the 准予注册决定书 (notices.py: the same ``Document``, rendered by mdreg's
        ``render_html`` / ``render_text``) stored as a notice, with one outbox message per
        recipient; the audit event — then COMMIT

Before timing, the rows each side's traced command wrote are counted per table and must agree
(``details.statements.rows_written``).

Before timing, one command on each side runs with a statement trace; the statements per
(verb, table) are reported in the results (``details.statements``), and any kind of statement
mdreg runs that the baseline lacks is printed — the service keeps growing, and the baseline must
grow with it to stay honest.

The baseline parses the JSON documents it reads and writes JSON documents mdreg can read back
(checked after the run), in one transaction on one connection (``BEGIN IMMEDIATE`` on SQLite).
On PostgreSQL it reads the application, the rule inputs and the account in one ``UNION ALL``
statement of ``row_to_json`` rows, as mdreg does there (one round trip instead of eight); on SQLite, where a
statement costs microseconds, with seven queries, as mdreg does there. It would not repeat a
read mdreg repeated, so the ratio would show such waste too.

Reference rows (SQLite): the "straightforward stack" — a SQLModel ``Session`` per command with
ORM objects and ``select()`` built per call, plus a ``transitions`` model added to and removed
from one machine per command — on a copy of the same database; and mdreg and the raw baseline
at mdreg's own default ``synchronous = FULL``, to show the fsync floor (see fixtures.py).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks import fixtures
from benchmarks.data import TODAY, generate
from benchmarks.harness import Context, Reference, Result, alternate, median
from mdreg.adapters.sql.driver import traced
from mdreg.domain.application import (
    Actor,
    Application,
    BusinessType,
    Evidence,
    RegistrationRequest,
)
from mdreg.infra.documents import Document, Field, Section, render_html, render_text
from mdreg.service.registry import Registry
from mdreg.workflows import DECLARATIONS, declaration_for

_SHANGHAI = ZoneInfo("Asia/Shanghai")


def _approve_label(kind: BusinessType) -> str:
    spec = declaration_for(kind).definition.event("approve")
    return spec.label if spec is not None else "准予"

_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
APP_COLUMNS = ("id, type, physician_id, institution_id, department_id, target, state, version, "
               "created_at, updated_at, application_date, submitted_at, accepted_at, decided_at, "
               "batch_id, doc")
REG_COLUMNS = ("id, physician_id, qualification_no, level, category, location, "
               "primary_institution_id, approved_by, approved_on, certificate_no, status, "
               "ended_on, application_id, filed_on, doc")
FILING_COLUMNS = ("id, registration_id, physician_id, institution_id, valid_from, valid_to, "
                  "approved_by, status, ended_on, application_id, doc")
LEGACY_COLUMNS = "id, physician_id, registration_id, institution_id, started_on, status, ended_on, doc"
ACCOUNT_COLUMNS = ("id, physician_id, login_name, login_key, state, version, created_at, "
                   "updated_at, doc")
DEADLINE_COLUMNS = ("id, kind, subject_id, physician_id, start, due, source, opened_at, status, "
                    "version, closed_on, flagged_on, doc")


#: PostgreSQL: (table, columns, key) of each part of the combined read, in part order
_PARTS = (
    ("applications", APP_COLUMNS, "id = %(a)s"),
    ("physicians", "id, id_number, name, doc",
     "id = (SELECT physician_id FROM applications WHERE id = %(a)s)"),
    ("institutions", "id, name, division, kind, approved_by, doc",
     "id = (SELECT institution_id FROM applications WHERE id = %(a)s)"),
    ("departments", "id, name, division, doc",
     "id = (SELECT department_id FROM applications WHERE id = %(a)s)"),
    ("registrations", REG_COLUMNS,
     "physician_id = (SELECT physician_id FROM applications WHERE id = %(a)s)"),
    ("filings", FILING_COLUMNS,
     "physician_id = (SELECT physician_id FROM applications WHERE id = %(a)s)"),
    ("legacy_sites", LEGACY_COLUMNS,
     "physician_id = (SELECT physician_id FROM applications WHERE id = %(a)s)"),
    ("accounts", ACCOUNT_COLUMNS,
     "physician_id = (SELECT physician_id FROM applications WHERE id = %(a)s)"),
)


def _part(n: int, table: str, columns: str, where: str) -> str:
    return f"SELECT {n} AS part, t.id, row_to_json(t) FROM (SELECT {columns} FROM {table} WHERE {where}) AS t"  # noqa: S608 - names written here


COMBINED = "\nUNION ALL\n".join(_part(n, *part) for n, part in enumerate(_PARTS)) + "\nORDER BY 1, 2"


def _sql(statement: str, mark: str) -> str:
    return statement.replace("?", mark)


# -- preparing applications under review -------------------------------------------------------

def prepare(registry: Registry, physicians: list[Any], institutions: list[Any]) -> list[str]:
    """One 注册 application per physician, taken through submit, confirm and accept by the API."""
    ids = []
    for n, physician in enumerate(physicians):
        institution = institutions[n % len(institutions)]
        qualification = physician.qualifications[0]
        staff = Actor.institution(institution.id, user="人事科")
        request = RegistrationRequest(institution.id, qualification.certificate_no,
                                      ("内科专业",) if qualification.category.value == "clinical"
                                      else ("中医专业",) if qualification.category.value == "tcm"
                                      else ("口腔专业",), evidence=Evidence(6, True))
        app = registry.apply(staff, request, physician_id=physician.id)
        app = registry.fire(app.id, "confirm", staff)
        app = registry.fire(app.id, "accept", Actor.authority(app.department_id, user="受理窗口"))
        ids.append(app.id)
    return ids


def setup(url: str, physicians: int) -> tuple[Registry, list[Any], list[Any]]:
    """A registry with ``physicians`` physicians who may all apply for a first registration."""
    data = generate(physicians, seed=3, qualified_on=date(2025, 6, 1), first_registration=False)
    registry = fixtures.open_registry(url)
    registry.import_registry(departments=data.departments, institutions=data.institutions,
                             physicians=data.physicians, registrations=data.registrations)
    return registry, data.physicians, data.home_institutions


# -- the hand-written baseline ------------------------------------------------------------------

def _overlaps(a: str, b: str) -> bool:
    """Division containment, as DivisionCode.contains: province ⊇ prefecture ⊇ county."""
    def contains(outer: str, inner: str) -> bool:
        if outer == inner:
            return True
        if outer.endswith("0000"):
            return inner[:2] == outer[:2]
        if outer.endswith("00"):
            return inner[:4] == outer[:4]
        return False
    return contains(a, b) or contains(b, a)


def _shanghai(value: Any) -> date:
    """The business date (Asia/Shanghai) of a stored or given UTC timestamp."""
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(_SHANGHAI).date()


def _mask(value: str) -> str:
    """All but the last four characters as ``*``."""
    return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "*" * len(value)


#: Per application type: its label, the label of its approve event, the legal basis (constants
#: of the declarations, read once)
_TYPE_LABEL = {t.value: t.label for t in DECLARATIONS}
_APPROVE_LABEL = {t.value: _approve_label(t) for t in DECLARATIONS}
_BASIS = {t.value: declaration_for(t).basis for t in DECLARATIONS}


class RawApprove:
    """The approve command in hand-written sqlite3 or psycopg."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        mark = "?" if dialect == "sqlite" else "%s"
        self.q = {name: _sql(sql, mark) for name, sql in {
            "app": f"SELECT {APP_COLUMNS} FROM applications WHERE id = ?",  # noqa: S608
            "physician": "SELECT id, id_number, name, doc FROM physicians WHERE id = ?",
            "institution": "SELECT id, name, division, kind, approved_by, doc FROM institutions "
                           "WHERE id = ?",
            "department": "SELECT id, name, division, doc FROM departments WHERE id = ?",
            "registrations": f"SELECT {REG_COLUMNS} FROM registrations WHERE physician_id = ? "  # noqa: S608
                             "ORDER BY id",
            "filings": f"SELECT {FILING_COLUMNS} FROM filings WHERE physician_id = ? ORDER BY id",  # noqa: S608
            "legacy": f"SELECT {LEGACY_COLUMNS} FROM legacy_sites WHERE physician_id = ? "  # noqa: S608
                      "ORDER BY id",
            "account": f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE physician_id = ?",  # noqa: S608
            "deadlines": f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE subject_id = ? "  # noqa: S608
                         "AND status = 'open' ORDER BY due, id",
            "close_deadline": "UPDATE deadlines SET status = ?, version = ?, closed_on = ?, "
                              "doc = ? WHERE id = ? AND version = ?",
            "save": "UPDATE applications SET state = ?, version = ?, updated_at = ?, "
                    "decided_at = ?, doc = ? WHERE id = ? AND version = ?",
            "registration": f"INSERT INTO registrations ({REG_COLUMNS}) "  # noqa: S608
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "outbox": "INSERT INTO outbox_messages (id, template, aggregate_id, created_at, "
                      "sent_at, doc, channel) VALUES (?, ?, ?, ?, ?, ?, ?)",
            "notice": "INSERT INTO notices (id, kind, subject_id, physician_id, issued_at, doc) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
            "seq": "SELECT coalesce(max(seq), 0) FROM audit_events WHERE aggregate_id = ?",
            "audit": "INSERT INTO audit_events (aggregate_id, seq, event, from_state, to_state, "
                     "at, policy, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        }.items()}
        self.counter = 0

    def _stamp(self, now: datetime) -> Any:
        # SQLAlchemy's SQLite DATETIME text (mdreg's UTCDateTime stores UTC without offset)
        return now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.dialect == "sqlite" else now

    def __call__(self, app_id: str, department_id: str, now: datetime) -> None:
        conn, q = self.conn, self.q
        if self.dialect == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
        try:
            self._approve(conn, q, app_id, department_id, now)
            conn.execute("COMMIT") if self.dialect == "sqlite" else conn.commit()
        except BaseException:
            conn.execute("ROLLBACK") if self.dialect == "sqlite" else conn.rollback()
            raise

    def _reads(self, conn: Any, q: dict[str, str], app_id: str) -> list[list[tuple[Any, ...]]]:
        """The application and the rule inputs: seven queries, or on PostgreSQL one (as mdreg
        runs them there), rows as tuples in the column order of the separate queries."""
        if self.dialect == "sqlite":
            row = conn.execute(q["app"], (app_id,)).fetchone()
            physician_id, institution_id, department_id = row[2], row[3], row[4]
            return [[row], *([conn.execute(q[name], (key,)).fetchone()] for name, key in (
                ("physician", physician_id), ("institution", institution_id),
                ("department", department_id))),
                *(conn.execute(q[name], (physician_id,)).fetchall()
                  for name in ("registrations", "filings", "legacy"))]
        parts: list[list[tuple[Any, ...]]] = [[] for _ in _PARTS]
        for part, _id, obj in conn.execute(COMBINED, {"a": app_id}).fetchall():
            parts[part].append(tuple(obj[c] for c in _PARTS[part][1].split(", ")))
        return parts

    def _approve(self, conn: Any, q: dict[str, str], app_id: str, department_id: str,
                 now: datetime) -> None:
        found = self._reads(conn, q, app_id)
        row = found[0][0]
        doc = json.loads(row[-1])
        state, version, physician_id, institution_id = row[6], row[7], row[2], row[3]
        if state != "under_review" or row[4] != department_id:
            raise RuntimeError(f"{app_id} cannot be approved by {department_id} in {state}")
        physician, institution, registrations = found[1][0], found[2][0], found[4]
        qualifications = json.loads(physician[3])["qualifications"]
        json.loads(institution[5])
        for registration in registrations:
            json.loads(registration[-1])
        payload = doc["payload"]
        qualification = next(x for x in qualifications
                             if x["certificate_no"] == payload["qualification_no"])
        division = institution[2]
        location = division[:2] + "0000" if qualification["level"] == "physician" else division
        if any(r[10] == "valid" and _overlaps(r[5], location) for r in registrations):
            raise RuntimeError("a valid registration at this location exists")
        stamp = self._stamp(now)
        changed = conn.execute(q["save"], ("approved", version + 1, stamp, stamp, _JSON(doc),
                                           app_id, version))
        if changed.rowcount != 1:
            raise RuntimeError("stale application")
        today = TODAY.isoformat() if self.dialect == "sqlite" else TODAY
        for deadline in conn.execute(q["deadlines"], (app_id,)).fetchall():
            if deadline[1] != "decision":
                continue
            due = deadline[5] if isinstance(deadline[5], date) else date.fromisoformat(deadline[5])
            deadline_doc = json.loads(deadline[-1])
            deadline_doc["closed_by"] = "approve"
            closed = conn.execute(q["close_deadline"], (
                "met" if due >= TODAY else "missed", deadline[9] + 1, today, _JSON(deadline_doc),
                deadline[0], deadline[9]))
            if closed.rowcount != 1:
                raise RuntimeError("stale deadline")
        self.counter += 1
        new_id = f"RB{self.counter:08d}"
        conn.execute(q["registration"], (
            new_id, physician_id, qualification["certificate_no"], qualification["level"],
            qualification["category"], location, institution_id, department_id,
            TODAY.isoformat() if self.dialect == "sqlite" else TODAY,
            f"CB{self.counter:013d}", "valid", None, app_id, None,
            _JSON({"scopes": list(payload["scopes"])})))
        body = (f"准予注册：{physician[2]}，执业医师，临床类别，执业地点{location}，"
                f"主要执业机构{institution[1]}")
        conn.execute(q["outbox"], (f"MB{self.counter:08d}", "registration_approved", new_id,
                                   stamp, None, _JSON({"body": body, "to": "public"}),
                                   "announcement"))
        if self.dialect == "sqlite":  # on PostgreSQL it came with the combined read
            account = conn.execute(q["account"], (physician_id,)).fetchone()
        else:
            account = found[7][0] if found[7] else None
        self._notice(conn, q, row, version + 1, physician, institution, found[3][0], account,
                     department_id, now, stamp)
        seq = conn.execute(q["seq"], (app_id,)).fetchone()[0] + 1
        audit = {"actor": {"kind": "authority", "party_id": department_id, "user": "审批科"},
                 "data": {"changed": [], "created": [new_id], "ended": []}, "reason": "",
                 "verdict": ["qualification.matches_category", "practice_location.one_primary"]}
        conn.execute(q["audit"], (app_id, seq, "approve", "under_review", "approved", stamp,
                                  "base", _JSON(audit)))


    def _notice(self, conn: Any, q: dict[str, str], app: tuple[Any, ...], version: int,
                physician: tuple[Any, ...], institution: tuple[Any, ...],
                department: tuple[Any, ...], account: tuple[Any, ...] | None,
                department_id: str, now: datetime, stamp: Any) -> None:
        """The 准予注册决定书: the same document written, rendered with the same templates and
        stored with one outbox message per recipient, as notices.issue does."""
        app_id, kind = app[0], app[1]
        submitted = _shanghai(app[11] or app[8])
        name, institution_name = physician[2], institution[1]
        fields = [Field("申请编号", app_id, "application no."),
                  Field("业务类型", _TYPE_LABEL[kind], "business type"),
                  Field("姓名", name, "name"),
                  Field("身份证件号码", _mask(physician[1]), "ID number")]
        phone = json.loads(account[-1]).get("phone") if account is not None else None
        if phone:
            fields.append(Field("手机号码", _mask(str(phone)), "mobile phone"))
        fields += [Field("执业机构", institution_name, "institution"),
                   Field("申请日期", submitted.isoformat(), "submitted on")]
        decision = _APPROVE_LABEL[kind]
        what = (f"你于{submitted.strftime('%Y年%m月%d日')}提交的{_TYPE_LABEL[kind]}申请"
                f"（申请编号{app_id}）")
        number = f"N-{app_id}-{version}"
        title = f"{decision}决定书"
        document = Document(
            title, f"decision to approve: {kind}", number, f"{name}：", tuple(fields),
            (Section("决定", "decision", paragraphs=(
                f"{what}，经审查，符合法定条件、标准，根据{_BASIS[kind]}的规定，决定{decision}。",)),),
            department[1] or department_id, _shanghai(now), (name, institution_name))
        recipients = [f"physician:{physician[0]}", f"institution:{institution[0]}"]
        conn.execute(q["notice"], (number, "approval", app_id, physician[0], stamp, _JSON({
            "html": render_html(document), "issued_by": f"authority:{department_id}/审批科",
            "recipients": recipients, "text": render_text(document), "title": title})))
        body = f"{title}（{number}，{_shanghai(now).isoformat()}）"
        for n, recipient in enumerate(recipients, start=1):
            conn.execute(q["outbox"], (f"M{number[1:]}-{n}", "notice_approval", number, stamp,
                                       None, _JSON({"body": body, "to": recipient}), "notice"))


# -- which statements each side runs ----------------------------------------------------------

_TABLE = re.compile(r"^\s*(?:SELECT\b.*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)",
                    re.IGNORECASE | re.DOTALL)


def summarize(statements: list[str]) -> dict[str, int]:
    """``{"SELECT applications": 1, "UPDATE deadlines": 1, …}`` (transaction control left out)."""
    found: Counter[str] = Counter()
    for sql in statements:
        verb = sql.split(None, 1)[0].upper() if sql.strip() else ""
        if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", ""):
            continue
        match = _TABLE.match(sql)
        found[f"{verb} {match.group(1) if match else '?'}"] += 1
    return dict(sorted(found.items()))


def trace_mdreg(action: Callable[[], object]) -> dict[str, int]:
    """The statements mdreg's units of work run during ``action``."""
    with traced() as seen:
        action()
    return summarize(seen)


class Recording:
    """A driver connection that records the SQL it is given (for the trace only)."""

    def __init__(self, conn: Any, seen: list[str]) -> None:
        self._conn, self._seen = conn, seen

    def execute(self, sql: str, *args: Any) -> Any:
        self._seen.append(sql)
        return self._conn.execute(sql, *args)

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()


def trace_raw(raw: RawApprove, action: Callable[[], object]) -> dict[str, int]:
    seen: list[str] = []
    conn, raw.conn = raw.conn, Recording(raw.conn, seen)
    try:
        action()
    finally:
        raw.conn = conn
    return summarize(seen)


def compare(ctx: Context, metric: str, mine: dict[str, int], theirs: dict[str, int]
            ) -> dict[str, Any]:
    missing = sorted(set(mine) - set(theirs))
    if missing:
        ctx.log(f"    note: mdreg runs statements the baseline does not: {', '.join(missing)}")
    return {"mdreg": mine, "baseline": theirs, "mdreg_only": missing,
            "mdreg_total": sum(mine.values()), "baseline_total": sum(theirs.values())}


# -- the runs ----------------------------------------------------------------------------------

def _timed_batch(run_one: Callable[[str], None], ids: list[str]) -> float:
    import time

    started = time.perf_counter()
    for app_id in ids:
        run_one(app_id)
    return (time.perf_counter() - started) / len(ids)


def _department(registry: Registry, app_id: str) -> str:
    return registry.application(app_id).department_id


def _measure(ctx: Context, registry: Registry, raw: RawApprove, physicians: list[Any],
             institutions: list[Any], per_rep: int, reps: int,
             extra: dict[str, Callable[[list[str]], float]] | None = None,
             traced: dict[str, Any] | None = None,
             ) -> tuple[list[float], list[float], dict[str, list[float]], list[str]]:
    """Approve commands, alternating sides; with ``traced``, first trace one command per side
    and store the comparison there."""
    sides = ["mdreg", "raw", *(extra or {})]
    needed = per_rep * reps * len(sides)
    apps = prepare(registry, physicians[: needed + 2], institutions)
    chunks = {side: [apps[(n * reps + rep) * per_rep:(n * reps + rep + 1) * per_rep]
                     for rep in range(reps)] for n, side in enumerate(sides)}
    departments = {app_id: _department(registry, app_id) for app_id in apps}
    now = registry.clock.now().astimezone(UTC)
    if traced is not None:
        before = row_counts(raw.conn)
        mine = trace_mdreg(lambda: registry.fire(
            apps[needed], "approve", Actor.authority(departments[apps[needed]], user="审批科")))
        middle = row_counts(raw.conn)
        theirs = trace_raw(raw, lambda: raw(apps[needed + 1], departments[apps[needed + 1]], now))
        after = row_counts(raw.conn)
        written = {"mdreg": _delta(before, middle), "baseline": _delta(middle, after)}
        if written["mdreg"] != written["baseline"]:
            raise RuntimeError(f"the sides wrote different rows: {written}")
        traced.update(compare(ctx, traced.pop("metric"), mine, theirs), rows_written=written)

    def mdreg_rep(rep: int) -> float:
        def one(app_id: str) -> None:
            app = registry.fire(app_id, "approve", Actor.authority(departments[app_id],
                                                                   user="审批科"))
            assert app.state == "approved"
        return _timed_batch(one, chunks["mdreg"][rep])

    def raw_rep(rep: int) -> float:
        return _timed_batch(lambda app_id: raw(app_id, departments[app_id], now),
                            chunks["raw"][rep])

    runs: list[Callable[[int], float]] = [mdreg_rep, raw_rep]
    for side, fn in (extra or {}).items():
        runs.append(lambda rep, side=side, fn=fn: fn(chunks[side][rep]))
    samples = alternate(reps, *runs)
    rest = {side: samples[n + 2] for n, side in enumerate(extra or {})}
    return samples[0], samples[1], rest, chunks["raw"][0]


#: The tables an approval writes to, and the closed deadlines
_WRITTEN = ("applications", "registrations", "notices", "outbox_messages", "audit_events")


def row_counts(conn: Any) -> dict[str, int]:
    """Rows per written table, and approved applications and closed deadlines."""
    queries = {**{t: f"SELECT count(*) FROM {t}" for t in _WRITTEN},  # noqa: S608 - names above
               "applications approved": "SELECT count(*) FROM applications "
                                        "WHERE state = 'approved'",
               "deadlines closed": "SELECT count(*) FROM deadlines WHERE status <> 'open'"}
    found = {name: int(conn.execute(sql).fetchone()[0]) for name, sql in queries.items()}
    if not isinstance(conn, sqlite3.Connection):
        conn.rollback()
    return found


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before}


def _statement_note(traced: dict[str, Any]) -> str:
    return (f"statements per command: mdreg {traced['mdreg_total']}, "
            f"baseline {traced['baseline_total']}; same rows written")


def _check_raw_rows(registry: Registry, app_ids: list[str]) -> None:
    """The baseline wrote rows mdreg reads back: state, registration, audit trail, notice."""
    for app_id in app_ids[:3]:
        app: Application = registry.application(app_id)
        assert app.state == "approved", app.state
        assert any(r.application_id == app_id for r in registry.registrations(app.physician_id))
        assert registry.history(app_id)[-1].event == "approve"
        notice = registry.notices(app_id)[-1]
        assert notice.kind.value == "approval", notice
        assert "准予注册" in notice.text, notice


def run_sqlite(ctx: Context) -> list[Result]:
    from benchmarks import stack

    per_rep = 30 if ctx.quick else 150
    reps = ctx.reps
    path = fixtures.sqlite_file(ctx.workdir, "command.db")
    registry, physicians, institutions = setup(fixtures.sqlite_url(path),
                                               per_rep * reps * 3 + 50)
    raw = RawApprove(fixtures.raw_sqlite(path), "sqlite")
    stack_db = ctx.workdir / "command_stack.db"
    straightforward = stack.Stack()

    def stack_rep(ids: list[str]) -> float:
        if straightforward.engine is None:  # a copy of the prepared database, made once
            fixtures.copy_sqlite(path, stack_db)
            straightforward.open(fixtures.sqlite_url(stack_db))
        departments = straightforward.departments(ids)
        now = registry.clock.now().astimezone(UTC)
        return _timed_batch(lambda app_id: straightforward.approve(
            app_id, departments[app_id], now), ids)

    traced: dict[str, Any] = {"metric": "command_sqlite"}
    mine, theirs, rest, raw_ids = _measure(ctx, registry, raw, physicians, institutions,
                                           per_rep, reps, {"stack": stack_rep}, traced)
    _check_raw_rows(registry, raw_ids)
    ctx.reference("command_sqlite", Reference(
        "straightforward stack (SQLModel session + transitions add/remove_model)",
        median(rest["stack"]), "s", "same reads and writes, ORM objects, select() per call"))
    if not ctx.quick:
        _full_durability(ctx)
    raw.conn.close()
    straightforward.close()
    return [Result("command_sqlite", median(mine), median(theirs), "s", 4.0,
                   note=f"one approve; median of {reps} repetitions × {per_rep} commands; "
                        "synchronous=NORMAL on both sides; " + _statement_note(traced),
                   details={"mdreg_samples": mine, "baseline_samples": theirs,
                            "statements": traced})]


def _full_durability(ctx: Context) -> None:
    """Reference rows: mdreg and raw sqlite3 at SQLite's (and mdreg's) default synchronous=FULL."""
    per_rep, reps = 40, 5
    path = fixtures.sqlite_file(ctx.workdir, "command" + fixtures.FULL_SUFFIX)
    registry, physicians, institutions = setup(fixtures.sqlite_url(path), per_rep * reps * 2 + 10)
    raw = RawApprove(fixtures.raw_sqlite(path), "sqlite")
    mine, theirs, _, _ = _measure(ctx, registry, raw, physicians, institutions, per_rep, reps)
    raw.conn.close()
    ctx.reference("command_sqlite", Reference(
        "mdreg at synchronous=FULL (its default)", median(mine), "s", "fsync per commit"))
    ctx.reference("command_sqlite", Reference(
        "raw sqlite3 at synchronous=FULL", median(theirs), "s", "fsync per commit"))


def _postgres_pair(ctx: Context, pg: fixtures.Postgres, name: str, per_rep: int, reps: int,
                   durable: bool, traced: dict[str, Any] | None = None
                   ) -> tuple[list[float], list[float]]:
    import psycopg

    url = pg.fresh(name, durable=durable)
    registry, physicians, institutions = setup(url, per_rep * reps * 2 + 50)
    conn = psycopg.connect(pg.dsn(f"{fixtures.PG_PREFIX}_{name}"), autocommit=False)
    raw = RawApprove(conn, "postgresql")
    mine, theirs, _, raw_ids = _measure(ctx, registry, raw, physicians, institutions,
                                        per_rep, reps, traced=traced)
    _check_raw_rows(registry, raw_ids)
    conn.close()
    del registry
    return mine, theirs


def run_postgres(ctx: Context, pg: fixtures.Postgres) -> list[Result]:
    per_rep = 30 if ctx.quick else 150
    reps = ctx.reps
    traced: dict[str, Any] = {"metric": "command_postgres"}
    mine, theirs = _postgres_pair(ctx, pg, "command", per_rep, reps, durable=False,
                                  traced=traced)
    if not ctx.quick:  # reference rows at full durability: the full run only
        durable_mine, durable_theirs = _postgres_pair(ctx, pg, "command_full", 40, 5,
                                                      durable=True)
        ctx.reference("command_postgres", Reference(
            "mdreg at synchronous_commit=on (server default)", median(durable_mine), "s",
            "WAL flush per commit"))
        ctx.reference("command_postgres", Reference(
            "raw psycopg at synchronous_commit=on", median(durable_theirs), "s",
            "WAL flush per commit"))
    return [Result("command_postgres", median(mine), median(theirs), "s", 2.0,
                   note=f"one approve; median of {reps} repetitions × {per_rep} commands; "
                        "synchronous_commit=off on both sides; " + _statement_note(traced),
                   details={"mdreg_samples": mine, "baseline_samples": theirs,
                            "statements": traced})]
