"""Each registry command leaves one structured record on ``mdreg.command``, with no personal data."""

from __future__ import annotations

import logging

import pytest

from mdreg import (
    Account,
    Actor,
    ConcurrencyConflict,
    IneligibleError,
    Phone,
    RegistrationRequest,
    TransitionNotAllowed,
    UniquenessConflict,
)
from mdreg.infra.logs import OUTCOMES, outcome_of
from mdreg.testing import World

FIELDS = ("command", "business_type", "event", "application_id", "actor_kind", "outcome", "error")


def test_apply_and_fire_log_what_they_did_and_how_it_ended(world: World,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mdreg")
    registry = world.registry
    hospital = world.institution("110105")
    doctor = world.physician(name="张三丰", account=False)
    phone = Phone.parse("13912345678")
    registry.load(accounts=[Account.imported("U-zhang", doctor.id, "zhangsanfeng", phone=phone,
                                             at=registry.clock.now())])
    me, institution = Actor.physician(doctor.id), Actor.institution(hospital.id, user="王科长")
    department = Actor.authority(hospital.approved_by, user="李审批")
    request = RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",))

    app = registry.apply(me, request)
    with pytest.raises(UniquenessConflict):
        registry.apply(me, request)
    registry.fire(app.id, "confirm", institution)
    with pytest.raises(TransitionNotAllowed):
        registry.fire(app.id, "approve", department)
    with pytest.raises(ConcurrencyConflict):
        registry.fire(app.id, "accept", department, expected_version=1)
    registry.fire(app.id, "accept", department)
    registry.fire(app.id, "reject", department,
                  reason=f"{doctor.name} {doctor.id_number.value} {phone.national} 材料不符")
    with pytest.raises(IneligibleError):
        registry.apply(me, RegistrationRequest(hospital.id, "Q-unknown", ("内科专业",)))

    records = [r for r in caplog.records if r.name == "mdreg.command"]
    assert [tuple(getattr(r, f) for f in FIELDS) for r in records] == [
        ("apply", "registration", "submit", app.id, "physician", "ok", None),
        ("apply", "registration", "submit", None, "physician", "conflict", "UniquenessConflict"),
        ("fire", "registration", "confirm", app.id, "institution", "ok", None),
        ("fire", "registration", "approve", app.id, "authority", "refused", "TransitionNotAllowed"),
        ("fire", "registration", "accept", app.id, "authority", "conflict", "ConcurrencyConflict"),
        ("fire", "registration", "accept", app.id, "authority", "ok", None),
        ("fire", "registration", "reject", app.id, "authority", "ok", None),
        ("apply", "registration", "submit", None, "physician", "refused", "IneligibleError"),
    ]
    assert all(r.levelno == logging.INFO and r.duration_ms >= 0 for r in records)
    assert records[0].getMessage().startswith(f"apply registration submit {app.id}: ok in ")

    personal = [doctor.name, doctor.id_number.value, phone.national, phone.e164, "材料不符"]
    personal += [doctor.id_number.value[i:i + 8] for i in range(len(doctor.id_number.value) - 7)]
    leaked = [(r.name, p) for r in caplog.records for p in personal
              if p in r.getMessage() or p in repr(vars(r))]
    assert leaked == []


def test_an_unexpected_failure_is_a_warning_and_the_outcome_names_it(
        world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, logger="mdreg.command")
    doctor = world.physician()
    hospital = world.institution("110105")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("mdreg.service.applications.create", broken)
    with pytest.raises(RuntimeError):
        world.registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    [record] = [r for r in caplog.records if r.name == "mdreg.command"]
    assert (record.levelno, record.outcome, record.error) == (logging.WARNING, "error", "RuntimeError")
    assert "disk on fire" not in record.getMessage()
    assert outcome_of(RuntimeError()) in OUTCOMES
