"""Security settings, password recovery, views, institution settings, work lists, the outbox, and
the actor checks: a wrong actor gets a typed error and nothing changes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from portal_kit import PASSWORD, Portal, snapshot

import mdreg
from mdreg import (
    AccountNotActive,
    Actor,
    Assessment,
    AssessmentResult,
    AuthenticationFailed,
    Channel,
    CodeRejected,
    MdregError,
    NotFoundError,
    OutboxMessage,
    PermissionDenied,
    Physician,
    RegistrationRequest,
    SecuritySettings,
    UniquenessConflict,
    ValidationError,
    WeakPassword,
)
from mdreg.bootstrap import default_photo_store
from mdreg.domain.clock import FakeClock
from mdreg.domain.model import Institution, LegacySite
from mdreg.infra.storage import FileSystemPhotoStore, InMemoryPhotoStore
from mdreg.service.accounts import Accounts
from mdreg.testing import World
from mdreg.testing.databases import backend_url

NEW_PASSWORD = "Qm4$tr9!xw"


@pytest.fixture
def doctor(portal: Portal, hospital: Institution) -> Physician:
    physician = portal.physician()
    portal.registration(physician, hospital)
    me = portal.verified(physician)
    portal.accounts.issue_activation_code(Actor.institution(hospital.id), physician.id)
    portal.accounts.activate(me, portal.code())
    return physician


def me_of(doctor: Physician) -> Actor:
    return Actor.physician(doctor.id)


# -- security settings -----------------------------------------------------------------------------


def test_change_password_needs_the_current_one(portal: Portal, doctor: Physician) -> None:
    me = me_of(doctor)
    login = portal.accounts.account(me).login_name
    with pytest.raises(AuthenticationFailed):
        portal.accounts.change_password(me, "not-the-password", NEW_PASSWORD)
    with pytest.raises(WeakPassword):
        portal.accounts.change_password(me, PASSWORD, "12345678")
    portal.accounts.change_password(me, PASSWORD, NEW_PASSWORD)
    assert portal.accounts.login(login, NEW_PASSWORD).physician_id == doctor.id
    with pytest.raises(AuthenticationFailed):
        portal.accounts.login(login, PASSWORD)
    trail = portal.registry.trail(portal.accounts.account(me).id)
    assert [e.event for e in trail[-2:]] == ["change_password", "login_refused"]


def test_change_phone_needs_password_and_a_code_to_the_new_phone(
        portal: Portal, doctor: Physician) -> None:
    me = me_of(doctor)
    with pytest.raises(AuthenticationFailed):
        portal.accounts.request_phone_change(me, "wrong-password", "13812345678")
    assert portal.accounts.pending_messages() == ()
    ticket = portal.accounts.request_phone_change(me, PASSWORD, "+86 138 1234 5678")
    assert ticket.to == "*******5678"
    (message,) = portal.deliver()
    assert message.to == "13812345678" and message.channel is Channel.SMS
    account = portal.accounts.confirm_phone_change(me, portal.code())
    assert account.phone is not None and account.phone.national == "13812345678"
    assert account.phone_verified and account.state == "active"
    assert portal.registry.trail(account.id)[-1].data == {"to": ["*******5678"]}


def test_change_email_needs_password_and_a_code_to_the_new_address(
        portal: Portal, doctor: Physician) -> None:
    me = me_of(doctor)
    portal.accounts.request_email_change(me, PASSWORD, "New.Mail@Example.org")
    account = portal.accounts.confirm_email_change(me, portal.code())
    assert account.email is not None and account.email.address == "New.Mail@example.org"
    assert account.email_verified


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL])
def test_password_recovery_by_phone_or_email(portal: Portal, channel: Channel) -> None:
    physician = portal.physician()
    me = portal.verified(physician)
    login = portal.accounts.account(me).login_name
    if channel is Channel.EMAIL:
        assert portal.accounts.start_recovery(login, Channel.EMAIL) is None  # e-mail unverified
        portal.accounts.request_email_change(me, PASSWORD, "doc@example.com")
        portal.accounts.confirm_email_change(me, portal.code())
    ticket = portal.accounts.start_recovery(login, channel)
    assert ticket is not None and ticket.channel is channel
    code = portal.code()
    with pytest.raises(WeakPassword):
        portal.accounts.finish_recovery(login, code, "123456789")
    portal.accounts.finish_recovery(login, code, NEW_PASSWORD)
    assert portal.accounts.login(login, NEW_PASSWORD).id == portal.accounts.account(me).id
    with pytest.raises(CodeRejected):
        portal.accounts.finish_recovery(login, code, "An0ther!pass")


def test_recovery_does_not_reveal_unknown_login_names(portal: Portal) -> None:
    assert portal.accounts.start_recovery("nobody") is None
    assert portal.accounts.pending_messages() == ()
    with pytest.raises(CodeRejected):
        portal.accounts.finish_recovery("nobody", "123456", NEW_PASSWORD)


def test_an_imported_account_sets_its_password_through_recovery(world: World, portal: Portal) -> None:
    from mdreg import Account, Phone

    physician = world.physician(account=False)
    world.registry.load(accounts=[Account.imported("U-old", physician.id, "olduser",
                                                   at=portal.clock.now(),
                                                   phone=Phone.parse("13912349999"))])
    portal.accounts.start_recovery("olduser")
    portal.accounts.finish_recovery("olduser", portal.code(), NEW_PASSWORD)
    assert portal.accounts.login("olduser", NEW_PASSWORD).state == "active"


# -- views -------------------------------------------------------------------------------------------


def test_views_show_qualification_practice_and_assessment(
        portal: Portal, world: World, doctor: Physician, hospital: Institution) -> None:
    me = me_of(doctor)
    registration = portal.accounts.practice(me).registrations[0]
    site = LegacySite("L1", doctor.id, registration.id, hospital.id, date(2015, 3, 1))
    result = Assessment("AS1", doctor.id, "2021-2023", AssessmentResult.PASSED, date(2023, 12, 1),
                        hospital.id)
    world.registry.load(legacy=[site], assessments=[result])
    view = portal.accounts.practice(me)
    assert (view.registrations, view.legacy, view.filings) == ((registration,), (site,), ())
    assert portal.accounts.qualifications(me) == doctor.qualifications
    assert portal.accounts.assessments(me) == (result,)
    assert result.result.label == "合格"


def test_views_need_an_active_account(portal: Portal) -> None:
    physician = portal.physician()
    me = portal.verified(physician)
    for view in (portal.accounts.qualifications, portal.accounts.practice,
                 portal.accounts.assessments):
        with pytest.raises(AccountNotActive):
            view(me)
    with pytest.raises(AccountNotActive):
        portal.accounts.request_info_change(me, title="主治医师")


def test_loading_assessments_of_unknown_physicians_fails(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.registry.load(assessments=[Assessment("AS1", "P-none", "2021-2023",
                                                    AssessmentResult.FAILED, date(2023, 1, 1),
                                                    "I1")])


# -- institution side ---------------------------------------------------------------------------------


def test_an_institution_configures_departments_and_auto_activation(
        portal: Portal, hospital: Institution) -> None:
    inst = Actor.institution(hospital.id, user="人事科")
    updated = portal.accounts.configure_institution(inst, departments=[" 全科医学科 ", "急诊科"],
                                                    auto_activation=True)
    assert (updated.departments, updated.auto_activation) == (("全科医学科", "急诊科"), True)
    assert portal.registry.institution(hospital.id) == updated
    trail = portal.registry.trail(hospital.id)
    assert trail[-1].event == "configure" and trail[-1].actor == inst
    with pytest.raises(ValidationError):
        portal.accounts.configure_institution(inst, departments=["内科", "内科"])


def test_the_work_list_holds_changes_and_applications(
        portal: Portal, world: World, doctor: Physician, hospital: Institution) -> None:
    me = me_of(doctor)
    change = portal.accounts.request_info_change(me, title="主治医师")
    other = world.institution("310104")
    app = portal.registry.apply(me, RegistrationRequest(
        other.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    assert portal.accounts.work_list(Actor.institution(hospital.id)).changes == (change,)
    assert portal.accounts.work_list(Actor.institution(other.id)).applications == (app,)
    assert portal.accounts.work_list(Actor.institution(other.id)).changes == ()
    with pytest.raises(PermissionDenied):
        portal.accounts.work_list(me)


def test_a_change_without_a_valid_registration_has_nowhere_to_go(portal: Portal) -> None:
    me = portal.active(portal.physician())
    with pytest.raises(NotFoundError):
        portal.accounts.request_info_change(me, title="主治医师")


# -- wrong actors change nothing ------------------------------------------------------------------------


Step = Callable[[Portal, Physician, Actor, Any], object]

WRONG: dict[str, Step] = {
    "other_institution_approves": lambda p, d, stranger, c: p.accounts.approve_change(
        Actor.institution(stranger), c),
    "other_institution_rejects": lambda p, d, stranger, c: p.accounts.reject_change(
        Actor.institution(stranger), c, "不通过"),
    "physician_approves_own_change": lambda p, d, stranger, c: p.accounts.approve_change(
        me_of(d), c),
    "department_approves": lambda p, d, stranger, c: p.accounts.approve_change(
        Actor.authority("D110105"), c),
    "other_physician_sees_the_photo": lambda p, d, stranger, c: p.accounts.photo(
        Actor.physician("P-other"), c),
    "physician_configures_an_institution": lambda p, d, stranger, c: p.accounts.configure_institution(
        me_of(d), auto_activation=True),
    "institution_uses_an_account": lambda p, d, stranger, c: p.accounts.account(
        Actor.institution(stranger)),
    "institution_issues_code_for_a_stranger": lambda p, d, stranger, c: p.accounts.issue_activation_code(
        Actor.institution(stranger), d.id),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_wrong_actor_gets_permission_denied_and_nothing_changes(
        portal: Portal, world: World, doctor: Physician, case: str) -> None:
    change = portal.accounts.upload_photo(me_of(doctor), b"\xff\xd8\xff" + bytes(4000))
    stranger = world.institution("110105").id
    before = snapshot(portal.registry)
    photos = portal.accounts.photos.keys()  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        WRONG[case](portal, doctor, stranger, change.id)
    assert snapshot(portal.registry) == before
    assert portal.accounts.photos.keys() == photos  # type: ignore[attr-defined]


def test_a_physician_without_an_account_has_no_portal(portal: Portal) -> None:
    physician = portal.physician()
    with pytest.raises(NotFoundError):
        portal.accounts.send_phone_code(Actor.physician(physician.id))


# -- outbox, atomicity ---------------------------------------------------------------------------------


def test_outbox_messages_are_written_with_the_command_and_erased_when_sent(
        portal: Portal) -> None:
    physician = portal.physician()
    portal.sign_up(physician)
    me = Actor.physician(physician.id)
    assert portal.accounts.pending_messages() == ()
    portal.accounts.send_phone_code(me)
    (message,) = portal.accounts.pending_messages()
    assert "验证码" in message.body and "body" not in repr(message)
    portal.accounts.mark_sent(message.id)
    assert portal.accounts.pending_messages() == ()
    stored = snapshot(portal.registry)["portal.outbox"][message.id]
    assert stored.body == "" and stored.sent_at == portal.clock.now()
    portal.accounts.mark_sent(message.id)  # idempotent
    with pytest.raises(NotFoundError):
        portal.accounts.mark_sent("M-none")


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_portal(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
               ) -> Iterator[Portal]:
    """A portal on each backend (PostgreSQL when ``MDREG_TEST_POSTGRES_URL`` names a server)."""
    server = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
    if request.param == "postgres" and not server:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    with backend_url(request.param, tmp_path, "mdreg_outbox_many", server) as url:
        registry = mdreg.open(url, clock=clock)
        registry.accounts = Accounts(registry, settings=SecuritySettings.for_tests(),
                                     photos=InMemoryPhotoStore())
        yield Portal(World(registry), clock)
        registry.release()


def test_messages_are_reported_sent_together_all_or_none(any_portal: Portal) -> None:
    portal = any_portal
    for physician in (portal.physician(), portal.physician()):
        portal.sign_up(physician)
        portal.accounts.send_phone_code(Actor.physician(physician.id))
    first, second = portal.accounts.pending_messages()
    refused: list[tuple[object, type[MdregError], str]] = [
        ([first.id, "M-none"], NotFoundError, ""),  # an unknown id: nothing is recorded
        ([first.id, 7], ValidationError, "message_ids[1]"),
        ([first.id, "M\x00"], ValidationError, "message_ids[1]"),
        (first.id, ValidationError, "message_ids"),  # one id is not a collection of ids
        (None, ValidationError, "message_ids"),
    ]
    for ids, error, field in refused:
        with pytest.raises(error) as caught:
            portal.accounts.mark_sent_many(ids)  # type: ignore[arg-type]
        if field:
            assert isinstance(caught.value, ValidationError) and caught.value.field == field
            assert caught.value.field_label == "消息编号"
        assert portal.accounts.pending_messages() == (first, second)
    assert portal.accounts.mark_sent_many([]) == 0
    assert portal.accounts.mark_sent_many(m.id for m in (first, second)) == 2
    assert portal.accounts.pending_messages() == ()

    def stored() -> list[OutboxMessage | None]:
        with portal.registry.services.uow() as uow:
            return [uow.outbox.get(m.id) for m in (first, second)]

    sent = stored()
    assert all(m is not None and m.body == "" and m.sent_at == portal.clock.now() for m in sent)
    portal.clock.advance(minutes=5)
    assert portal.accounts.mark_sent_many([second.id, second.id]) == 2  # reported again: kept
    assert stored() == sent


def test_a_failing_command_leaves_no_code_and_no_message(
        portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    physician = portal.physician()
    portal.sign_up(physician)
    me = Actor.physician(physician.id)
    before = snapshot(portal.registry)

    def boom(*args: object, **kwargs: object) -> None:
        raise UniquenessConflict("audit", "injected failure")

    monkeypatch.setattr("mdreg.service.portal_base.append_audit", boom)
    with pytest.raises(UniquenessConflict):
        portal.accounts.send_phone_code(me)
    assert snapshot(portal.registry) == before


def test_a_failed_upload_leaves_no_bytes(portal: Portal, monkeypatch: pytest.MonkeyPatch,
                                         doctor: Physician) -> None:
    monkeypatch.setattr("mdreg.service.personal_changes.append_audit",
                        lambda *a, **k: (_ for _ in ()).throw(UniquenessConflict("x", "boom")))
    with pytest.raises(UniquenessConflict):
        portal.accounts.upload_photo(me_of(doctor), b"\xff\xd8\xff" + bytes(4000))
    assert portal.accounts.photos.keys() == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("url", "kind"), [
    ("memory://", InMemoryPhotoStore), ("sqlite:///data/mdreg.db", FileSystemPhotoStore),
    ("postgresql+psycopg://u@h/db", FileSystemPhotoStore)])
def test_default_photo_store_follows_the_backend(url: str, kind: type) -> None:
    store = default_photo_store(url)
    assert isinstance(store, kind)
    if url.startswith("sqlite"):
        assert str(store.root).endswith("mdreg.db.photos")  # type: ignore[attr-defined]
