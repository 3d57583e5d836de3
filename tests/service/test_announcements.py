"""R-CAN-7: approved registrations, changes and cancellations are announced (医师法 Art 21)."""

from __future__ import annotations

from datetime import date

from mdreg import Actor, CancellationGround, CancellationRequest, ChangeRequest
from mdreg.domain.account import Channel
from mdreg.service.registry import Registry
from mdreg.testing import World


def announcements(registry: Registry) -> list[tuple[str, str]]:
    return [(m.template, m.aggregate_id) for m in registry.accounts.pending_messages(limit=1000)
            if m.channel is Channel.ANNOUNCEMENT]


def test_r_can_7_approval_and_cancellation_are_announced(world: World, registry: Registry) -> None:
    hospital = world.institution("110105")
    doctor = world.physician(name="赵六")
    registration = world.registration(doctor, hospital)
    assert announcements(registry) == [("registration_approved", registration.id)]
    (message,) = [m for m in registry.accounts.pending_messages() if m.channel is Channel.ANNOUNCEMENT]
    assert "赵六" in message.body and "110000" in message.body and "赵六" not in repr(message)
    world.approve(registry.apply(Actor.physician(doctor.id), CancellationRequest(
        registration.id, CancellationGround.OWN_REQUEST, date(2026, 3, 1))))
    assert announcements(registry)[-1] == ("registration_cancelled", registration.id)


def test_r_can_7_an_approved_change_is_announced_as_a_change(world: World,
                                                              registry: Registry) -> None:
    hospital, other = world.institution("110105"), world.institution("110108")
    doctor = world.physician(name="钱七")
    registration = world.registration(doctor, hospital)
    world.approve(registry.apply(Actor.physician(doctor.id), ChangeRequest(
        registration.id, other.id, registration.scopes)))
    assert announcements(registry)[-1] == ("registration_changed", registration.id)
    last = [m for m in registry.accounts.pending_messages(limit=1000)
            if m.channel is Channel.ANNOUNCEMENT][-1]
    assert last.body.startswith("准予变更：钱七") and "准予注册" not in last.body


def test_r_can_7_ex_officio_cancellation_is_announced(world: World, registry: Registry) -> None:
    hospital = world.institution("110105")
    registration = world.registration(world.physician(), hospital)
    registry.cancel_ex_officio(Actor.authority(hospital.approved_by), registration.id,
                               CancellationGround.DEATH, "死亡")
    assert announcements(registry)[-1] == ("registration_cancelled", registration.id)


def test_r_can_7_nothing_is_announced_before_a_decision(world: World, registry: Registry) -> None:
    hospital = world.institution("110105")
    doctor = world.physician()
    app = registry.apply(Actor.physician(doctor.id), world_request(doctor, hospital))
    registry.fire(app.id, "confirm", Actor.institution(hospital.id))
    registry.fire(app.id, "accept", Actor.authority(hospital.approved_by))
    registry.fire(app.id, "reject", Actor.authority(hospital.approved_by), reason="材料不实")
    assert announcements(registry) == []


def world_request(doctor, hospital):
    from mdreg import RegistrationRequest

    return RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",))
