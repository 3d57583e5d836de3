"""The "straightforward stack" a team might write instead of mdreg (a reference row only).

A SQLModel ``Session`` per command, ORM objects for every row read or written, ``select()``
built per call, and a ``transitions`` model added to one shared machine and removed again per
command (default options, as the transitions README shows them). It runs on a copy of the
database mdreg prepared, through its own SQLModel classes mapped onto the same tables, and does
the same reads and writes as the raw baseline in command.py — no optimistic version check.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, Session, SQLModel, create_engine, select
from transitions import Machine

from benchmarks.command import _overlaps
from benchmarks.data import TODAY
from mdreg.workflows.registration import REGISTRATION as DECLARATION

REGISTRATION = DECLARATION.definition

class _Base(SQLModel, registry=orm_registry()):
    """Own metadata: these classes map mdreg's tables for the reference row only."""


class StackApplication(_Base, table=True):
    __tablename__ = "applications"
    id: str = Field(primary_key=True)
    type: str
    physician_id: str
    institution_id: str
    department_id: str
    target: str
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    application_date: date
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    decided_at: datetime | None = None
    batch_id: str | None = None
    doc: str


class StackPhysician(_Base, table=True):
    __tablename__ = "physicians"
    id: str = Field(primary_key=True)
    id_number: str
    name: str
    doc: str


class StackInstitution(_Base, table=True):
    __tablename__ = "institutions"
    id: str = Field(primary_key=True)
    name: str
    division: str
    kind: str
    approved_by: str
    doc: str


class StackDepartment(_Base, table=True):
    __tablename__ = "departments"
    id: str = Field(primary_key=True)
    name: str
    division: str
    doc: str


class StackRegistration(_Base, table=True):
    __tablename__ = "registrations"
    id: str = Field(primary_key=True)
    physician_id: str
    qualification_no: str
    level: str
    category: str
    location: str
    primary_institution_id: str
    approved_by: str
    approved_on: date
    certificate_no: str
    status: str
    ended_on: date | None = None
    application_id: str | None = None
    filed_on: date | None = None
    doc: str


class StackFiling(_Base, table=True):
    __tablename__ = "filings"
    id: str = Field(primary_key=True)
    registration_id: str
    physician_id: str
    institution_id: str
    valid_from: date
    valid_to: date
    approved_by: str
    status: str
    ended_on: date | None = None
    application_id: str | None = None
    doc: str


class StackLegacy(_Base, table=True):
    __tablename__ = "legacy_sites"
    id: str = Field(primary_key=True)
    physician_id: str
    registration_id: str
    institution_id: str
    started_on: date
    status: str
    ended_on: date | None = None
    doc: str


class StackAccount(_Base, table=True):
    __tablename__ = "accounts"
    id: str = Field(primary_key=True)
    physician_id: str
    login_name: str
    login_key: str
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    doc: str


class StackOutbox(_Base, table=True):
    __tablename__ = "outbox_messages"
    id: str = Field(primary_key=True)
    template: str
    aggregate_id: str
    created_at: datetime
    sent_at: datetime | None = None
    doc: str


class StackAudit(_Base, table=True):
    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    aggregate_id: str
    seq: int
    event: str
    from_state: str
    to_state: str
    at: datetime
    policy: str
    doc: str


class _Model:
    """What a straightforward stack attaches to the machine per command."""

    def __init__(self) -> None:
        self.state = ""


def _machine() -> Machine:
    return Machine(model=None, states=[s.id for s in REGISTRATION.states],
                   transitions=[{"trigger": e.id, "source": list(e.sources), "dest": e.dest}
                                for e in REGISTRATION.events],
                   initial=REGISTRATION.initial)


class Stack:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.machine = _machine()
        self.counter = 0

    def open(self, url: str) -> None:
        self.engine = create_engine(url)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def departments(self, ids: list[str]) -> dict[str, str]:
        with Session(self.engine) as session:
            return {i: session.get(StackApplication, i).department_id for i in ids}  # type: ignore[union-attr]

    def approve(self, app_id: str, department_id: str, now: datetime) -> None:
        with Session(self.engine) as session:
            app = session.get(StackApplication, app_id)
            assert app is not None
            assert app.department_id == department_id
            physician = session.get(StackPhysician, app.physician_id)
            institution = session.get(StackInstitution, app.institution_id)
            session.get(StackDepartment, app.department_id)
            registrations = session.exec(select(StackRegistration).where(
                StackRegistration.physician_id == app.physician_id)).all()
            session.exec(select(StackFiling).where(
                StackFiling.physician_id == app.physician_id)).all()
            session.exec(select(StackLegacy).where(
                StackLegacy.physician_id == app.physician_id)).all()
            assert physician is not None
            assert institution is not None
            payload = json.loads(app.doc)["payload"]
            qualification = next(q for q in json.loads(physician.doc)["qualifications"]
                                 if q["certificate_no"] == payload["qualification_no"])
            division = institution.division
            location = (division[:2] + "0000" if qualification["level"] == "physician"
                        else division)
            if any(r.status == "valid" and _overlaps(r.location, location) for r in registrations):
                raise RuntimeError("a valid registration at this location exists")
            model: Any = _Model()
            self.machine.add_model(model, initial=app.state)
            try:
                model.approve()
            finally:
                self.machine.remove_model(model)
            app.state, app.version = model.state, app.version + 1
            app.updated_at = app.decided_at = now
            session.add(app)
            self.counter += 1
            new_id = f"RS{self.counter:08d}"
            session.add(StackRegistration(
                id=new_id, physician_id=app.physician_id,
                qualification_no=qualification["certificate_no"], level=qualification["level"],
                category=qualification["category"], location=location,
                primary_institution_id=institution.id, approved_by=department_id,
                approved_on=TODAY, certificate_no=f"CS{self.counter:013d}", status="valid",
                application_id=app_id, doc=json.dumps({"scopes": payload["scopes"]},
                                                      ensure_ascii=False)))
            session.add(StackOutbox(
                id=f"MS{self.counter:08d}", template="registration_approved", aggregate_id=new_id,
                created_at=now, doc=json.dumps({"body": f"准予注册：{physician.name}",
                                                "channel": "announcement", "to": "public"},
                                               ensure_ascii=False)))
            session.exec(select(StackAccount).where(
                StackAccount.physician_id == app.physician_id)).first()
            last = session.exec(select(func.max(StackAudit.seq)).where(
                StackAudit.aggregate_id == app_id)).one()
            session.add(StackAudit(
                aggregate_id=app_id, seq=(last or 0) + 1, event="approve",
                from_state="under_review", to_state=app.state, at=now, policy="base",
                doc=json.dumps({"actor": {"kind": "authority", "party_id": department_id},
                                "data": {"created": [new_id]}}, ensure_ascii=False)))
            session.commit()
