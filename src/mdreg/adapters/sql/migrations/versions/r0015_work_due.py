"""Each application's earliest open deadline on its row (``work_due``), kept by the database,
and the work lists' indexes on it.

A work-list page ordered by the earliest open deadline computed that date for every
application of the holder in the states listed and sorted them all, at every page: about
7,600 applications per department at the national size. With the date on the row an index on
``(holder, work_due, id, state)`` over the open applications yields the page in order, and the
page reads about as many index entries as it shows.

Triggers on ``deadlines`` keep the column: after a deadline is inserted or deleted, or its
status, due date or subject changes, the subject's ``work_due`` becomes the earliest due date of
its open deadlines (``9999-12-31`` without one), written only when it changes; an application
inserted after its deadlines gets it on insert. On PostgreSQL the trigger locks the application
row before it reads the deadlines, so two transactions changing deadlines of one application
(the tick recounting one while a command closes another) cannot leave a stale date. Every writer of
deadlines — mdreg's units of work, a bulk load, a hand-written statement — keeps it right.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NONE_DUE = "'9999-12-31'"  # mdreg.ports.NO_DUE_DATE: no open deadline, listed last
EARLIEST = ("coalesce((SELECT min(d.due) FROM deadlines AS d WHERE d.subject_id = applications.id "  # noqa: S608 - text written here
            f"AND d.status = 'open'), {NONE_DUE})")
OPEN = "state NOT IN ('approved', 'not_accepted', 'rejected', 'withdrawn')"  # as in 0008
INDEXES = {"ix_applications_department_work": "department_id",
           "ix_applications_institution_work": "institution_id"}
CHANGED = ("OLD.status IS DISTINCT FROM NEW.status OR OLD.due IS DISTINCT FROM NEW.due "
           "OR OLD.subject_id IS DISTINCT FROM NEW.subject_id")


def _sqlite_trigger(name: str, when: str, subjects: str, condition: str = "") -> str:
    return (f"CREATE TRIGGER {name} AFTER {when} ON deadlines{condition} BEGIN "  # noqa: S608
            f"UPDATE applications SET work_due = {EARLIEST} WHERE id IN ({subjects}) "
            f"AND work_due IS NOT {EARLIEST}; END")


SQLITE = (
    _sqlite_trigger("deadlines_work_due_insert", "INSERT", "NEW.subject_id"),
    _sqlite_trigger("deadlines_work_due_delete", "DELETE", "OLD.subject_id"),
    _sqlite_trigger("deadlines_work_due_update", "UPDATE OF status, due, subject_id",
                    "OLD.subject_id, NEW.subject_id",
                    " WHEN " + CHANGED.replace("IS DISTINCT FROM", "IS NOT")),
    # an application written after its deadlines (no mdreg path does) starts right too
    "CREATE TRIGGER applications_work_due_insert AFTER INSERT ON applications BEGIN "  # noqa: S608
    f"UPDATE applications SET work_due = {EARLIEST} WHERE id = NEW.id "
    f"AND work_due IS NOT {EARLIEST}; END",
)
POSTGRESQL = (
    f"""CREATE FUNCTION mdreg_deadlines_work_due() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    subjects text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        subjects := ARRAY[NEW.subject_id];
    ELSIF TG_OP = 'DELETE' THEN
        subjects := ARRAY[OLD.subject_id];
    ELSE
        subjects := ARRAY[OLD.subject_id, NEW.subject_id];
    END IF;
    -- the row lock first: the UPDATE below then reads the deadlines with a snapshot taken
    -- after any concurrent writer of this application's deadlines committed (at READ
    -- COMMITTED a waiting UPDATE would recompute from the snapshot it started with)
    PERFORM 1 FROM applications WHERE id = ANY(subjects) ORDER BY id FOR UPDATE;
    UPDATE applications SET work_due = {EARLIEST}
     WHERE id = ANY(subjects) AND work_due IS DISTINCT FROM {EARLIEST};
    RETURN NULL;
END $$""",  # noqa: S608 - names and text written here
    "CREATE TRIGGER deadlines_work_due AFTER INSERT OR DELETE ON deadlines FOR EACH ROW "
    "EXECUTE FUNCTION mdreg_deadlines_work_due()",
    "CREATE TRIGGER deadlines_work_due_update AFTER UPDATE OF status, due, subject_id "
    f"ON deadlines FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION mdreg_deadlines_work_due()",
    # an application written after its deadlines (no mdreg path does) starts right too
    """CREATE FUNCTION mdreg_applications_work_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.work_due := coalesce((SELECT min(d.due) FROM deadlines AS d
                              WHERE d.subject_id = NEW.id AND d.status = 'open'), DATE '9999-12-31');
    RETURN NEW;
END $$""",
    "CREATE TRIGGER applications_work_due_insert BEFORE INSERT ON applications FOR EACH ROW "
    "EXECUTE FUNCTION mdreg_applications_work_due()",
)


def upgrade() -> None:
    op.add_column("applications", sa.Column("work_due", sa.Date(), nullable=False,
                                            server_default=sa.text(NONE_DUE)))
    op.execute(f"UPDATE applications SET work_due = {EARLIEST}")  # noqa: S608 - text written here
    for name, holder in INDEXES.items():
        op.create_index(name, "applications", [holder, "work_due", "id", "state"],
                        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER deadlines_work_due_{name}")
        op.execute("DROP TRIGGER applications_work_due_insert")
    else:
        op.execute("DROP TRIGGER applications_work_due_insert ON applications")
        op.execute("DROP FUNCTION mdreg_applications_work_due()")
        op.execute("DROP TRIGGER deadlines_work_due_update ON deadlines")
        op.execute("DROP TRIGGER deadlines_work_due ON deadlines")
        op.execute("DROP FUNCTION mdreg_deadlines_work_due()")
    for name in INDEXES:
        op.drop_index(name, table_name="applications")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("work_due")
