"""个人端 steps — the unit-of-work steps behind :class:`~mdreg.service.accounts.Accounts`, and the
hooks the registry calls: R-ACC-5 on every approval, and loading migrated accounts and
assessment results as reference data. R-ACC-2 on submission is a rule
(:class:`mdreg.rules.account.AccountActive`)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from mdreg.domain.account import Account, ActivationPath, Assessment, Channel, Email
from mdreg.domain.application import Actor, ActorKind, Application
from mdreg.domain.identifiers import Phone
from mdreg.domain.model import Institution
from mdreg.errors import (
    AccountNotActive,
    ConcurrencyConflict,
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from mdreg.infra.limits import field_text
from mdreg.ports import UnitOfWork
from mdreg.rules import Policy
from mdreg.service.authorization import authorize_kind, require_inputs
from mdreg.service.services import append_audit
from mdreg.workflows.account import ACCOUNT, ACTIVE, VERIFIED
from mdreg.workflows.base import Workflow

log = logging.getLogger("mdreg.accounts")
ACCOUNT_FLOW = Workflow(ACCOUNT)
_LOGIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{3,31}$")


#: The longest login name, name, phone or e-mail field accepted before its format is checked.
FIELD_CHARACTERS = 256


def login_input(raw: object) -> str:
    """A login name as entered (login, recovery): text of at most :data:`FIELD_CHARACTERS`
    characters without control characters, stripped; its format is not checked (an unknown
    name is answered like a wrong password).

    Raises:
        ValidationError: naming ``login_name`` (用户名).
    """
    return field_text(raw, "login_name", "用户名", FIELD_CHARACTERS)


def phone_input(raw: object) -> Phone:
    """A phone number as entered (or a :class:`Phone`): text first, then a mainland mobile.

    Raises:
        ValidationError: naming ``phone`` (手机号).
    """
    if isinstance(raw, Phone):
        return raw
    return Phone.parse(field_text(raw, "phone", "手机号", FIELD_CHARACTERS))


def email_input(raw: object) -> Email:
    """An e-mail address as entered (or an :class:`Email`): text first, then an address.

    Raises:
        ValidationError: naming ``email`` (邮箱).
    """
    if isinstance(raw, Email):
        return raw
    return Email.parse(field_text(raw, "email", "邮箱", FIELD_CHARACTERS))


def check_login_name(raw: str) -> str:
    """4–32 letters, digits, ``_ . -``, starting with a letter; never 8+ digits in a row (it
    would put a phone or ID number into logs)."""
    login = login_input(raw)
    if not _LOGIN.fullmatch(login) or re.search(r"\d{8,}", login):
        raise ValidationError("login_name", "4-32 letters, digits, '_', '.' or '-', starting "
                              "with a letter, without 8 digits in a row", field_label="用户名")
    return login


#: The separators of a name of several parts (阿卜杜·热合曼): middle dots as typed.
_NAME_DOTS = frozenset("·•・‧.")


def real_name(raw: str) -> str:
    """The real name as on the ID card. The personal portal's help says the name is not the
    login name and holds no letters or digits (姓名不是登录用户名，请不要输入字母及数字): so
    no Latin (or other cased) letters, no digits of any script, no control characters; Chinese
    characters, the scripts of minority names and the middle dot between the parts of a name.

    >>> real_name(" 阿卜杜·热合曼 ")
    '阿卜杜·热合曼'
    """
    name = field_text(raw, "name", "姓名", FIELD_CHARACTERS)
    if not name or len(name) > 50 or not all(_name_character(c) for c in name) \
            or set(name) <= _NAME_DOTS:
        raise ValidationError("name", "enter the real name as on the ID card: no letters, "
                              "digits or symbols, not the login name", field_label="姓名")
    return name


def _name_character(char: str) -> bool:
    return unicodedata.category(char) in ("Lo", "Mn", "Mc") or char in _NAME_DOTS


def own_account(uow: UnitOfWork, actor: Actor) -> Account:
    """The acting physician's account.

    Raises:
        PermissionDenied: the actor is not a physician.
        NotFoundError: the physician has no account.
    """
    if actor.kind is not ActorKind.PHYSICIAN:
        raise PermissionDenied(str(actor), "use a personal-portal account",
                               "only the physician who owns it")
    return account_of(uow, actor.party_id)


def account_of(uow: UnitOfWork, physician_id: str) -> Account:
    account = uow.accounts.for_physician(physician_id)
    if account is None:
        raise NotFoundError("account of physician", physician_id)
    return account


def account_by_id(uow: UnitOfWork, account_id: str) -> Account:
    account = uow.accounts.get(account_id)
    if account is None:
        raise NotFoundError("account", account_id)
    return account


def same_version(uow: UnitOfWork, seen: Account) -> Account:
    current = account_by_id(uow, seen.id)
    if current.version != seen.version:
        raise ConcurrencyConflict("account", seen.id, seen.version, current.version)
    return current


def allowed(account: Account, event: str) -> None:
    if not any(e.id == event for e in ACCOUNT.allowed(account.state)):
        raise TransitionNotAllowed(ACCOUNT.id, account.state, event)


def require_active(account: Account, policy: Policy) -> None:
    if account.state != ACTIVE and policy.param("require_active_account"):
        raise AccountNotActive(account.physician_id, account.state)


def verified_contact(account: Account) -> tuple[Channel, str]:
    if account.phone is not None and account.phone_verified:
        return Channel.SMS, account.phone.national
    if account.email is not None and account.email_verified:
        return Channel.EMAIL, account.email.address
    raise TransitionNotAllowed(ACCOUNT.id, account.state, "activate_with_code")


def primary_institutions(uow: UnitOfWork, physician_id: str) -> list[Institution]:
    ids = dict.fromkeys(r.primary_institution_id for r in uow.registrations.for_physician(physician_id)
                        if r.is_valid)
    return [i for i in map(uow.institutions.get, ids) if i is not None]


def primary_institution(uow: UnitOfWork, actor: Actor, physician_id: str) -> Institution:
    ours = [i for i in primary_institutions(uow, physician_id) if i.id == actor.party_id]
    if actor.kind is not ActorKind.INSTITUTION or not ours:
        raise PermissionDenied(str(actor), f"issue an activation code for {physician_id}",
                               "only the primary institution of a valid registration (R-ACC-3)")
    return ours[0]


def fire(uow: UnitOfWork, account: Account, event: str, actor: Actor, now: datetime, *,
         data: dict[str, Any] | None = None, **changes_: Any) -> Account:
    """Fire an account workflow event: new state, version + 1, audit event.

    Raises:
        PermissionDenied: ``actor`` is not of the kind the event's ``by`` column names.
    """
    require_inputs(authorize_kind(actor, ACCOUNT, event, account.id), "")
    dest = ACCOUNT_FLOW.fire(account.state, event)
    new = attrs.evolve(account, state=dest, version=account.version + 1, updated_at=now, **changes_)
    uow.accounts.save(new, account.version)
    append_audit(uow, account.id, event, account.state, dest, actor, now, data=data or {})
    log.info("account %s: %s (%s -> %s)", account.id, event, account.state, dest)
    return new


def update(uow: UnitOfWork, account: Account, event: str, actor: Actor, now: datetime, *,
           data: dict[str, Any] | None = None, **changes_: Any) -> Account:
    """Change an account without a state transition (security settings); audited."""
    new = attrs.evolve(account, version=account.version + 1, updated_at=now, **changes_)
    uow.accounts.save(new, account.version)
    append_audit(uow, account.id, event, account.state, account.state, actor, now,
                 data=data or {})
    log.info("account %s: %s", account.id, event)
    return new


def activate_on_approval(uow: UnitOfWork, app: Application, actor: Actor, now: datetime) -> None:
    """R-ACC-5: the decision a business type declares (``activates_account_on``: approving a 注册
    or a 变更) activates the physician's verified account."""
    account = uow.accounts.for_physician(app.physician_id)
    if account is not None and account.state == VERIFIED:
        fire(uow, account, "activate_on_approval", actor, now, data={"application": [app.id]},
             activated_at=now, activation=ActivationPath.APPROVAL)


def load_portal_data(uow: UnitOfWork, accounts: Iterable[Account],
                     assessments: Iterable[Assessment]) -> None:
    """Reference data: migrated accounts and assessment results of known physicians."""
    for account in accounts:
        if uow.physicians.get(account.physician_id) is None:
            raise NotFoundError("physician", account.physician_id)
        check_login_name(account.login_name)
        uow.accounts.add(account)
    for assessment in assessments:
        if uow.physicians.get(assessment.physician_id) is None:
            raise NotFoundError("physician", assessment.physician_id)
        uow.assessments.put(assessment)
