"""个人端 — the personal portal: accounts, activation, security settings, views, personal changes.

Reached as ``registry.accounts``. Every write is one unit of work run by the registry's
transaction runner: the state change, its audit event and any outbox message commit together or
not at all. mdreg sends nothing itself; the portal reads :meth:`Accounts.pending_messages`,
delivers them and calls :meth:`Accounts.mark_sent`, which erases the body (it may hold a code).

The account lifecycle is :data:`mdreg.workflows.account.ACCOUNT`: 已注册 → 已验证 → 已激活, by
one of four activation paths (:class:`~mdreg.domain.account.ActivationPath`). Personal changes follow
:data:`mdreg.workflows.personal_change.PERSONAL_CHANGE`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from mdreg.domain.account import (
    Account,
    ActivationPath,
    Assessment,
    ChangeKind,
    Channel,
    CodePurpose,
    Email,
    OutboxMessage,
    PersonalChange,
    PhotoRef,
    PracticeInfo,
)
from mdreg.domain.application import Actor, ActorKind, Application
from mdreg.domain.identifiers import Phone, ResidentId
from mdreg.domain.inputs import guard_public_methods
from mdreg.domain.model import Filing, Institution, LegacySite, Qualification, Registration
from mdreg.errors import (
    ActivationRefused,
    IdentityMismatch,
    NotFoundError,
    PermissionDenied,
    UniquenessConflict,
    ValidationError,
)
from mdreg.infra.security import check_password_strength
from mdreg.infra.storage import inspect_photo
from mdreg.ports import UnitOfWork
from mdreg.service import notices
from mdreg.service import personal_changes as changes
from mdreg.service.account_recovery import AccountRecovery
from mdreg.service.account_security import AccountSecurity
from mdreg.service.account_steps import (
    account_of,
    allowed,
    check_login_name,
    email_input,
    fire,
    log,
    own_account,
    phone_input,
    primary_institution,
    primary_institutions,
    real_name,
    verified_contact,
)
from mdreg.service.applications import inbox
from mdreg.service.portal_base import CodeTicket
from mdreg.service.services import append_audit
from mdreg.workflows.account import REGISTERED, VERIFIED

__all__ = ["Accounts", "CodeTicket", "PracticeView", "WorkList"]


@attrs.frozen
class PracticeView:
    """执业信息: registrations, filings and legacy multi-site records, and the personal details
    of the practice-registration record."""

    registrations: tuple[Registration, ...]
    filings: tuple[Filing, ...]
    legacy: tuple[LegacySite, ...]
    info: PracticeInfo


@attrs.frozen
class WorkList:
    """An institution's inbox: pending personal changes and applications awaiting confirmation."""

    changes: tuple[PersonalChange, ...]
    applications: tuple[Application, ...]


@guard_public_methods
class Accounts(AccountSecurity, AccountRecovery):
    """The personal portal of one registry (``registry.accounts``).

    Args:
        registry: the registry (or its :class:`~mdreg.service.services.Services`) whose units
            of work, clock, ids and policy are used.
        settings: password hashing and one-time code settings (production defaults).
        photos: where photo bytes go (the registry's photo store by default, chosen by
            :func:`mdreg.open` from the URL).
        photo_limits: accepted photo sizes.
    """

    def __repr__(self) -> str:
        return f"Accounts({self.services.url!r})"

    # -- sign-up and verification ---------------------------------------------------------------

    def sign_up(self, *, name: str, id_number: str | ResidentId, login_name: str, password: str,
                phone: str | Phone, email: str | Email | None = None,
                qualification_no: str | None = None) -> Account:
        """注册账户: succeeds only if name and ID number match a qualification or practice
        record (R-ACC-1). The name is the real name, not the login name. ``qualification_no``,
        when given, must name one of the physician's qualifications too: its certificate
        number, or — for a new holder whose certificate number is not issued yet — the exam
        admission number (准考证号).

        Raises:
            ValidationError: malformed name, ID number, login name, phone or e-mail.
            WeakPassword: the password is too short or too common.
            IdentityMismatch: no record matches the name and ID number.
            UniquenessConflict: the physician already has an account, or the login name is taken.
        """
        rid = id_number if isinstance(id_number, ResidentId) else ResidentId.parse(id_number)
        given_name = real_name(name)
        login = check_login_name(login_name)
        number = phone_input(phone)
        address = None if email is None else email_input(email)
        check_password_strength(password, login_name=login)
        number_given = _qualification_number(qualification_no)
        hashed = self._passwords.hash(password)

        def work(uow: UnitOfWork, now: datetime) -> Account:
            physician = uow.physicians.by_id_number(rid)
            if (physician is None or physician.name != given_name
                    or not (physician.qualifications
                            or uow.registrations.for_physician(physician.id))
                    or (number_given and physician.qualification(number_given) is None)):
                log.info("sign-up refused: no record matches the name and ID number %s", rid)
                raise IdentityMismatch()
            if uow.accounts.for_physician(physician.id) is not None:
                raise UniquenessConflict("account_physician", "the physician already has an "
                                         "account")
            if uow.accounts.by_login(login) is not None:
                raise UniquenessConflict("account_login_name", "the login name is taken")
            account = Account(self.services.ids.new("U"), physician.id, login, hashed, number,
                              address, REGISTERED, 1, now, now)
            uow.accounts.add(account)
            append_audit(uow, account.id, "sign_up", "", REGISTERED,
                         Actor.physician(physician.id), now)
            log.info("account %s signed up for physician %s", account.id, physician.id)
            return account

        return self._run(work)

    def send_phone_code(self, actor: Actor) -> CodeTicket:
        """Send the SMS verification code to the account's phone (R-PHONE-1).

        Raises:
            TransitionNotAllowed: the account is already verified.
            QuotaExceeded: too many codes to this phone in the hour or the day.
        """
        def work(uow: UnitOfWork, now: datetime) -> CodeTicket:
            account = own_account(uow, actor)
            allowed(account, "verify_phone")
            if account.phone is None:
                raise ValidationError("phone", "the account has no phone", field_label="手机号")
            return self._issue(uow, account, CodePurpose.VERIFY_PHONE, Channel.SMS,
                               account.phone.national, actor, now)

        return self._run(work)

    def verify_phone(self, actor: Actor, code: str) -> Account:
        """已注册 → 已验证 with the SMS code.

        Raises:
            CodeRejected: wrong (attempt counted), expired, used, exhausted or missing code.
        """
        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = own_account(uow, actor)
            allowed(account, "verify_phone")
            where = account.phone.national if account.phone else ""
            self._desk.redeem(uow, account.id, CodePurpose.VERIFY_PHONE, code, now,
                              destination=where)
            return fire(uow, account, "verify_phone", actor, now, phone_verified=True)

        return self._run(work, keep_attempts=True)

    def send_email_code(self, actor: Actor) -> CodeTicket:
        """E-mail fallback when the phone cannot receive the SMS code."""
        def work(uow: UnitOfWork, now: datetime) -> CodeTicket:
            account = own_account(uow, actor)
            allowed(account, "verify_email")
            if account.email is None:
                raise ValidationError("email", "the account has no e-mail address",
                                      field_label="邮箱")
            return self._issue(uow, account, CodePurpose.VERIFY_EMAIL, Channel.EMAIL,
                               account.email.address, actor, now)

        return self._run(work)

    def verify_email(self, actor: Actor, code: str) -> Account:
        """已注册 → 已验证 with the e-mail code."""
        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = own_account(uow, actor)
            allowed(account, "verify_email")
            where = account.email.address if account.email else ""
            self._desk.redeem(uow, account.id, CodePurpose.VERIFY_EMAIL, code, now,
                              destination=where)
            return fire(uow, account, "verify_email", actor, now, email_verified=True)

        return self._run(work, keep_attempts=True)

    # -- activation (four paths) ----------------------------------------------------------------

    def issue_activation_code(self, actor: Actor, physician_id: str) -> CodeTicket:
        """Path 1, first half: the current primary institution generates an activation code,
        sent to the verified phone (or the verified e-mail) (R-ACC-3).

        Raises:
            PermissionDenied: the actor is not the primary institution of a valid registration.
            TransitionNotAllowed: the account is not verified (or already active).
        """
        def work(uow: UnitOfWork, now: datetime) -> CodeTicket:
            institution = primary_institution(uow, actor, physician_id)
            account = account_of(uow, physician_id)
            allowed(account, "activate_with_code")
            channel, destination = verified_contact(account)
            return self._issue(uow, account, CodePurpose.ACTIVATION, channel, destination, actor,
                               now, issued_by=institution.id, sender=institution.name)

        return self._run(work)

    def activate(self, actor: Actor, code: str) -> Account:
        """Path 1: the physician enters the institution's activation code (激活我的账户).

        Raises:
            ActivationRefused: the institution that issued the code is no longer the primary
                institution of a valid registration of the physician (ask the current one
                for a new code).
        """
        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = own_account(uow, actor)
            allowed(account, "activate_with_code")
            used = self._desk.redeem(uow, account.id, CodePurpose.ACTIVATION, code, now)
            issuers = {i.id for i in primary_institutions(uow, account.physician_id)}
            if used.issued_by not in issuers:
                raise ActivationRefused("institution code", "the institution that issued the "
                                        "code is no longer the primary institution (R-ACC-3)")
            return fire(uow, account, "activate_with_code", actor, now,
                        data={"institution": [used.issued_by]}, activated_at=now,
                        activation=ActivationPath.INSTITUTION_CODE)

        return self._run(work, keep_attempts=True)

    def refresh(self, actor: Actor) -> Account:
        """Path 2 (刷新页面): a verified account becomes active at once when the primary
        institution of a valid registration has auto-activation on; otherwise nothing changes."""
        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = own_account(uow, actor)
            if account.state != VERIFIED:
                return account
            auto = [i for i in primary_institutions(uow, account.physician_id) if i.auto_activation]
            if not auto:
                return account
            return fire(uow, account, "auto_activate", Actor.system(), now,
                        data={"institution": [auto[0].id]}, activated_at=now,
                        activation=ActivationPath.AUTO)

        return self._run(work)

    def activate_with_qualification(self, actor: Actor, certificate_no: str) -> Account:
        """Paths 3 and 4: without a valid registration (备案, 注销, never registered), enter the
        qualification certificate number (R-ACC-4) — or the exam admission number while the
        certificate number is not issued.

        Raises:
            ActivationRefused: the physician has a valid registration (R-ACC-3), or the number
                matches none of the physician's qualifications.
        """
        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = own_account(uow, actor)
            allowed(account, "activate_with_qualification")
            if primary_institutions(uow, account.physician_id):
                raise ActivationRefused("qualification", "a physician with a valid registration "
                                        "activates with the institution's code (R-ACC-3)")
            physician = uow.physicians.get(account.physician_id)
            held = physician.qualifications if physician else ()
            given = str(certificate_no).strip().encode()
            if not any(hmac.compare_digest(q.number.encode(), given) for q in held):
                raise ActivationRefused("qualification", "the certificate number matches no "
                                        "qualification of the physician")
            return fire(uow, account, "activate_with_qualification", actor, now,
                        activated_at=now, activation=ActivationPath.QUALIFICATION)

        return self._run(work)

    # -- views ------------------------------------------------------------------------------------

    def account(self, actor: Actor) -> Account:
        """The actor's own account."""
        return self._read(lambda uow: own_account(uow, actor))

    def qualifications(self, actor: Actor) -> tuple[Qualification, ...]:
        """资格信息 of the account's physician (read-only)."""
        def work(uow: UnitOfWork) -> tuple[Qualification, ...]:
            account = self._own_active(uow, actor)
            physician = uow.physicians.get(account.physician_id)
            return physician.qualifications if physician else ()

        return self._read(work)

    def practice(self, actor: Actor) -> PracticeView:
        """执业信息: registrations, filings, legacy records and the practice-record details."""
        def work(uow: UnitOfWork) -> PracticeView:
            pid = self._own_active(uow, actor).physician_id
            return PracticeView(uow.registrations.for_physician(pid), uow.filings.for_physician(pid),
                                uow.legacy.for_physician(pid),
                                uow.practice_info.get(pid) or PracticeInfo(pid))

        return self._read(work)

    def assessments(self, actor: Actor) -> tuple[Assessment, ...]:
        """考核信息: the physician's periodic assessment results (read-only)."""
        return self._read(lambda uow: uow.assessments.for_physician(
            self._own_active(uow, actor).physician_id))

    # -- personal changes ---------------------------------------------------------------------

    def request_info_change(self, actor: Actor, *, education: str | None = None,
                            school: str | None = None, title: str | None = None,
                            institution_id: str | None = None) -> PersonalChange:
        """个人信息修改 (学历、毕业院校、任职资格): pending until the institution approves (R-INFO-1)."""
        fields = {"education": education, "school": school, "title": title}
        given = {k: v.strip() for k, v in fields.items() if v is not None and v.strip()}
        if not given:
            raise ValidationError("fields", "change at least one of education, school, title",
                                  field_label="修改内容")
        return self._submit(actor, ChangeKind.INFO, institution_id, **given)

    def choose_department(self, actor: Actor, department: str, *,
                          institution_id: str | None = None) -> PersonalChange:
        """科室信息设置: one of the departments the institution configured (R-DEPT-1). It takes
        effect at once — the change comes back approved — unless the policy parameter
        ``department_choice_needs_approval`` makes it wait for the institution like a change
        of personal information."""
        chosen = str(department).strip()
        if self.services.policy.param("department_choice_needs_approval"):
            return self._submit(actor, ChangeKind.DEPARTMENT, institution_id, department=chosen)

        def work(uow: UnitOfWork, now: datetime) -> tuple[PersonalChange, PhotoRef | None]:
            account = self._own_active(uow, actor)
            return changes.choose_department(uow, self.services.ids, actor,
                                             account.physician_id, institution_id, chosen,
                                             now), None

        return self._run(work)[0]

    def upload_photo(self, actor: Actor, data: bytes, *,
                     institution_id: str | None = None) -> PersonalChange:
        """个人相片更新: JPEG or PNG within the size limits; a pending photo is replaced and its
        bytes deleted (R-PHOTO-1); takes effect when the institution approves."""
        info = inspect_photo(data, self.photo_limits)
        self._read(lambda uow: self._own_active(uow, actor))
        suffix = "jpg" if info.format == "jpeg" else info.format
        ref = PhotoRef(f"{self.services.ids.new('PH')}-{info.sha256[:12]}.{suffix}", info.sha256,
                       info.size, info.format)
        self.photos.put(ref.key, bytes(data))
        try:
            return self._submit(actor, ChangeKind.PHOTO, institution_id, photo=ref)
        except BaseException:
            self.photos.delete(ref.key)
            raise

    def _submit(self, actor: Actor, kind: ChangeKind, institution_id: str | None,
                **fields: Any) -> PersonalChange:
        def work(uow: UnitOfWork, now: datetime) -> tuple[PersonalChange, PhotoRef | None]:
            account = self._own_active(uow, actor)
            return changes.submit(uow, self.services.ids, actor, account.physician_id, kind,
                                  institution_id, now, **fields)

        change, replaced = self._run(work)
        self._forget(replaced)
        return change

    def approve_change(self, actor: Actor, change_id: str) -> PersonalChange:
        """审核通过 by the institution the change is routed to; writes the practice record only."""
        return self._decide(actor, change_id, "approve", "")

    def reject_change(self, actor: Actor, change_id: str, reason: str) -> PersonalChange:
        """审核不通过, with a written reason."""
        return self._decide(actor, change_id, "reject", reason)

    def _decide(self, actor: Actor, change_id: str, event: str, reason: str) -> PersonalChange:
        def work(uow: UnitOfWork, now: datetime) -> tuple[PersonalChange, PhotoRef | None]:
            decided = changes.decide(uow, actor, change_id, event, reason, now)
            notices.issue_for_change(self.services, uow, decided[0], actor, now)
            return decided

        change, obsolete = self._run(work)
        self._forget(obsolete)
        return change

    def _forget(self, photo: PhotoRef | None) -> None:
        if photo is not None:
            self.photos.delete(photo.key)

    def changes(self, actor: Actor) -> tuple[PersonalChange, ...]:
        """The physician's own personal changes, oldest first."""
        return self._read(lambda uow: uow.personal_changes.for_physician(
            own_account(uow, actor).physician_id))

    def photo(self, actor: Actor, change_id: str | None = None) -> bytes | None:
        """Photo bytes: the physician's approved photo, or the photo of a change — for the
        physician who made it or the institution deciding it."""
        def work(uow: UnitOfWork) -> PhotoRef | None:
            if change_id is None:
                info = uow.practice_info.get(own_account(uow, actor).physician_id)
                return info.photo if info else None
            change = uow.personal_changes.get(change_id)
            if change is None:
                raise NotFoundError("personal change", change_id)
            mine = actor.kind is ActorKind.PHYSICIAN and actor.party_id == change.physician_id
            routed = actor.kind is ActorKind.INSTITUTION and actor.party_id == change.institution_id
            if not (mine or routed):
                raise PermissionDenied(str(actor), f"see the photo of {change_id}",
                                       "only the physician or the deciding institution")
            return change.photo

        ref = self._read(work)
        return self.photos.get(ref.key) if ref is not None else None

    # -- institution side -------------------------------------------------------------------

    def configure_institution(self, actor: Actor, *, departments: Iterable[str] | None = None,
                              auto_activation: bool | None = None) -> Institution:
        """The institution's own settings: its departments (科室) and auto-activation."""
        return self._run(lambda uow, now: changes.configure_institution(
            uow, actor, now, departments, auto_activation))

    def work_list(self, actor: Actor) -> WorkList:
        """Pending personal changes and applications awaiting this institution."""
        if actor.kind is not ActorKind.INSTITUTION:
            raise PermissionDenied(str(actor), "read a work list", "only institutions")
        pending = self._read(lambda uow: uow.personal_changes.inbox(actor.party_id, "pending"))
        return WorkList(pending, inbox(self.services, actor))

    # -- outbox ---------------------------------------------------------------------------------

    def pending_messages(self, limit: int = 100) -> tuple[OutboxMessage, ...]:
        """Messages the portal has not delivered yet, oldest first."""
        return self._read(lambda uow: uow.outbox.pending(limit))

    def mark_sent(self, message_id: str) -> None:
        """The portal delivered a message: record it and erase the body."""
        self.mark_sent_many((message_id,))

    def mark_sent_many(self, message_ids: Iterable[str]) -> int:
        """The portal delivered these messages: record them all in one transaction and erase
        their bodies — all or none (an unknown id changes nothing). A message reported twice,
        or already delivered, stays as it is. Returns how many ids were reported.

        Raises:
            ValidationError: ``message_ids`` is not a collection of strings (field
                ``message_ids[i]``); nothing is recorded.
            NotFoundError: one of them is no message; nothing is recorded.
        """
        ids = tuple(message_ids)  # every id checked before the unit of work starts

        def work(uow: UnitOfWork, now: datetime) -> int:
            for message_id in ids:
                uow.outbox.mark_sent(message_id, now)
            return len(ids)

        return self._run(work) if ids else 0




def _qualification_number(raw: str | None) -> str:
    """A qualification number given at sign-up ("" for none)."""
    if raw is None:
        return ""
    number = str(raw).strip()
    if not number or len(number) > 40 or not number.isascii() or not number.isalnum():
        raise ValidationError("qualification_no", "a certificate or exam admission number is "
                              "1-40 letters and digits", field_label="资格证书编码或准考证号")
    return number
