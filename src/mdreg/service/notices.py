"""通知书 — the notice each decision step issues, stored and delivered with the decision.

:func:`issue` runs inside the unit of work of a transition: for an event that notifies (受理,
补正, 不予受理, 准予…, 不予…, 机构退回, 退回申请人) it writes the document
(:mod:`mdreg.service.notice_documents`), stores it as a :class:`~mdreg.domain.notices.Notice`
and adds one outbox message per recipient on the ``notice`` channel whose ``aggregate_id`` is
the notice's id. A failed transition rolls all of it back with the state change.
:func:`issue_for_change` does the same for an institution's decision on a personal change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from mdreg.domain.account import Channel, OutboxMessage, PersonalChange
from mdreg.domain.application import Actor, Application
from mdreg.domain.clock import business_date
from mdreg.domain.notices import Notice, NoticeKind
from mdreg.domain.remedies import Refusal
from mdreg.errors import NotFoundError
from mdreg.infra.documents import Document, render_html, render_text
from mdreg.ports import UnitOfWork
from mdreg.service import notice_documents as documents
from mdreg.service.notice_documents import Parties
from mdreg.service.services import Services, read

#: The events that issue a notice, and its kind.
NOTIFYING: Mapping[str, NoticeKind] = {
    "accept": NoticeKind.ACCEPTANCE,
    "request_correction": NoticeKind.CORRECTION,
    "refuse_acceptance": NoticeKind.NON_ACCEPTANCE,
    "approve": NoticeKind.APPROVAL,
    "reject": NoticeKind.REFUSAL,
    "send_back": NoticeKind.SENT_BACK,
    "return_to_applicant": NoticeKind.RETURNED,
}


def issue(services: Services, uow: UnitOfWork, app: Application, event: str, actor: Actor,
          now: datetime, refusal: Refusal | None = None) -> Notice | None:
    """Issue the notice ``event`` makes on ``app`` (already saved in its new state), if it
    makes one; ``refusal``: the written refusal of a refusing event."""
    kind = NOTIFYING.get(event)
    if kind is None:
        return None
    parties = Parties.read(uow, app.physician_id, app.institution_id, app.department_id)
    document = documents.for_application(kind, services, uow, app, event, actor, parties, now,
                                         refusal)
    recipients = _recipients(actor, (Actor.physician(app.physician_id),
                                     Actor.institution(app.institution_id)))
    return _store(services, uow, kind, app.id, app.physician_id, document, recipients, actor, now)


def issue_for_change(services: Services, uow: UnitOfWork, change: PersonalChange, actor: Actor,
                     now: datetime) -> Notice:
    """Issue the result of an institution's decision on a personal change to the physician."""
    parties = Parties.read(uow, change.physician_id, change.institution_id, "")
    document = documents.for_change(change, parties, now)
    return _store(services, uow, NoticeKind.PERSONAL_CHANGE, change.id, change.physician_id,
                  document, (str(Actor.physician(change.physician_id)),), actor, now)


def _recipients(issuer: Actor, parties: tuple[Actor, ...]) -> tuple[str, ...]:
    """The parties a notice goes to: each once, never back to the party that issued it."""
    found = [p for p in parties if (p.kind, p.party_id) != (issuer.kind, issuer.party_id)]
    return tuple(dict.fromkeys(str(p) for p in found))


def _store(services: Services, uow: UnitOfWork, kind: NoticeKind, subject_id: str,
           physician_id: str, document: Document, recipients: tuple[str, ...], actor: Actor,
           now: datetime) -> Notice:
    notice = Notice(document.number, kind, subject_id, physician_id, document.title, recipients,
                    now, str(actor), text=render_text(document), html=render_html(document))
    uow.notices.add(notice)
    for n, recipient in enumerate(recipients, start=1):
        uow.outbox.add(OutboxMessage(
            f"M{notice.id[1:]}-{n}", Channel.NOTICE, recipient, f"notice_{kind.value}",
            f"{notice.title}（{notice.id}，{business_date(now).isoformat()}）", notice.id, now))
    return notice


# -- reads ----------------------------------------------------------------------------------------


def notices(services: Services, subject_id: str) -> tuple[Notice, ...]:
    """Every notice of an application or personal change, oldest first."""
    return read(services, lambda uow: uow.notices.for_subject(subject_id))


def notice(services: Services, notice_id: str) -> Notice:
    """One notice.

    Raises:
        NotFoundError: no such notice.
    """
    found = read(services, lambda uow: uow.notices.get(notice_id))
    if found is None:
        raise NotFoundError("notice", notice_id)
    return found


def counts(services: Services) -> dict[str, int]:
    """How many notices of each kind are stored (every kind listed)."""
    stored = read(services, lambda uow: uow.notices.counts())
    return {kind.value: int(stored.get(kind.value, 0)) for kind in NoticeKind}
