"""The contract for notices (:class:`mdreg.ports.NoticeRepository`) and for issuing them through
the service; parts of :class:`~mdreg.testing.contract.UnitOfWorkContract` and
:class:`~mdreg.testing.contract_registry.RegistryContract`, so memory, SQLite and PostgreSQL all
run them."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from mdreg.domain.account import Channel
from mdreg.domain.application import Actor, RegistrationRequest
from mdreg.domain.notices import Notice, NoticeKind
from mdreg.errors import LimitExceeded, UniquenessConflict
from mdreg.infra.limits import Limits
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.testing.entities import T0, MakeUow, commit_after, same


def notice(n: int, *, subject: str = "A1", kind: NoticeKind = NoticeKind.ACCEPTANCE,
           minutes: int = 0) -> Notice:
    """A notice whose documents hold text a backend must keep exactly."""
    return Notice(f"N{n}", kind, subject, "P1", kind.label, ("physician:P1", "institution:I1"),
                  T0 + timedelta(minutes=minutes), "authority:D110105",
                  text=f"医师一：\n理由：<script>'\"&\n{n}", html=f"<p>医师一 &amp; {n}</p>")


class NoticeContract:
    """Notices round-trip exactly, read per subject in issue order, count per kind, keep their
    ids unique and go with a rolled-back unit."""

    def test_a_notice_comes_back_exactly(self, make_uow: MakeUow) -> None:
        stored = notice(1)
        with make_uow() as uow:
            uow.notices.add(stored)
            assert same(uow.notices.get("N1"), stored)  # the unit's own write
            uow.commit()
        with make_uow() as uow:
            loaded = uow.notices.get("N1")
            assert loaded is not None
            assert same(loaded, stored)
            assert (loaded.text, loaded.html, loaded.issued_at) == (
                stored.text, stored.html, stored.issued_at)
            assert uow.notices.get("N9") is None

    def test_notices_of_a_subject_in_issue_order_and_counts_per_kind(self, make_uow: MakeUow
                                                                     ) -> None:
        with make_uow() as uow:
            for row in (notice(3, minutes=2, kind=NoticeKind.APPROVAL), notice(1),
                        notice(2, minutes=1, kind=NoticeKind.CORRECTION), notice(4, subject="A2")):
                uow.notices.add(row)
            uow.commit()
        with make_uow() as uow:
            assert [n.id for n in uow.notices.for_subject("A1")] == ["N1", "N2", "N3"]
            assert uow.notices.for_subject("A9") == ()
            assert dict(uow.notices.counts()) == {"acceptance": 2, "approval": 1,
                                                  "correction": 1}

    def test_a_notice_id_is_stored_once(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            uow.notices.add(notice(1))
            uow.commit()
        with make_uow() as uow, pytest.raises(UniquenessConflict):
            commit_after(uow, lambda: uow.notices.add(attrs.evolve(notice(1), subject_id="A2")))
        with make_uow() as uow:
            assert [n.subject_id for n in uow.notices.for_subject("A1")] == ["A1"]

    def test_a_rolled_back_notice_is_gone(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            uow.notices.add(notice(1))
        with make_uow() as uow:
            assert uow.notices.get("N1") is None
            assert dict(uow.notices.counts()) == {}


class NoticeRegistryContract:
    """Through the service: a decision stores its notice and the outbox messages to its
    recipients, or — when the command fails after issuing it — neither."""

    def test_each_decision_step_stores_its_notice_and_messages(self, registry: Registry,
                                                               world: World) -> None:
        hospital, doctor = world.institution("110105"), world.physician()
        department = Actor.authority(hospital.approved_by)
        app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        registry.fire(app.id, "confirm", Actor.institution(hospital.id))
        registry.fire(app.id, "request_correction", department,
                      corrections=["聘用证明<未盖章>", "照片"])
        registry.fire(app.id, "supplement", Actor.physician(doctor.id))
        registry.fire(app.id, "accept", department)
        registry.fire(app.id, "approve", department)
        notices = registry.notices(app.id)
        assert [n.kind for n in notices] == [NoticeKind.CORRECTION, NoticeKind.ACCEPTANCE,
                                             NoticeKind.APPROVAL]
        assert "聘用证明&lt;未盖章&gt;" in notices[0].html
        assert same(registry.notice(notices[-1].id), notices[-1])
        messages = [m for m in registry.accounts.pending_messages(1000)
                    if m.channel is Channel.NOTICE]
        assert sorted((m.aggregate_id, m.to) for m in messages) == sorted(
            (n.id, to) for n in notices for to in n.recipients)

    def test_a_failed_transition_leaves_no_notice(self, registry: Registry, world: World
                                                  ) -> None:
        hospital, doctor = world.institution("110105"), world.physician()
        app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        registry.fire(app.id, "confirm", Actor.institution(hospital.id))
        registry.services = attrs.evolve(registry.services,
                                         limits=Limits(audit_events_per_application=3))
        with pytest.raises(LimitExceeded):  # the audit event after the notice is refused
            registry.fire(app.id, "accept", Actor.authority(hospital.approved_by))
        assert registry.notices(app.id) == ()
        assert registry.notice_counts()["acceptance"] == 0
        assert registry.accounts.pending_messages(1000) == ()
