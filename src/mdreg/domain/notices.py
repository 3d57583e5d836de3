"""通知书与决定书 — the written notices of each decision step, as issued.

The department tells the applicant in writing that it accepts an application (受理通知书), which
materials to correct — all of them at once (补正材料通知书, 行政许可法 Art 32) —, that it does not
accept it (不予受理决定书), and what it decided (准予…决定书, or 不予…决定书 with the reasons, the
rules not met and the remedies, Art 38). An institution that sends an application back says why,
and so does an institution deciding a personal change.

A :class:`Notice` is the document as it was issued: its text and its printable HTML are rendered
once, stored in the unit of work of the decision, and never rendered again, so a later template
does not change what a party received. Personal data in it is masked (the physician's name
excepted); ``repr`` never shows the documents.

>>> from datetime import UTC, datetime
>>> notice = Notice("N1", NoticeKind.ACCEPTANCE, "A1", "P1", "受理通知书",
...                 ("physician:P1", "institution:I1"), datetime(2026, 3, 2, tzinfo=UTC),
...                 "authority:D110105", text="张三：……", html="<p>张三：……</p>")
>>> notice
Notice(id='N1', kind=<NoticeKind.ACCEPTANCE: 'acceptance'>, subject_id='A1', physician_id='P1', \
title='受理通知书', recipients=('physician:P1', 'institution:I1'), \
issued_at=datetime.datetime(2026, 3, 2, 0, 0, tzinfo=datetime.timezone.utc), \
issued_by='authority:D110105')
>>> NoticeKind.ACCEPTANCE.english
'acceptance receipt'
"""

from __future__ import annotations

from datetime import datetime

import attrs

from mdreg.domain.model import LabelledEnum


class NoticeKind(LabelledEnum):
    """What a notice notifies; ``label`` is its Chinese name, :attr:`english` its English one."""

    ACCEPTANCE = ("acceptance", "受理通知书")
    CORRECTION = ("correction", "补正材料通知书")
    NON_ACCEPTANCE = ("non_acceptance", "不予受理决定书")
    APPROVAL = ("approval", "准予决定书")
    REFUSAL = ("refusal", "不予决定书")
    SENT_BACK = ("sent_back", "机构退回通知")
    RETURNED = ("returned", "退回申请通知")
    PERSONAL_CHANGE = ("personal_change", "个人信息变更审核结果通知")

    @property
    def english(self) -> str:
        return _ENGLISH[self.value]


_ENGLISH = {
    "acceptance": "acceptance receipt",
    "correction": "notice to correct the materials",
    "non_acceptance": "decision not to accept",
    "approval": "decision to approve",
    "refusal": "decision to refuse",
    "sent_back": "application sent back by the institution",
    "returned": "application returned to the applicant",
    "personal_change": "result of a personal change",
}


@attrs.frozen
class Notice:
    """A notice as issued.

    Attributes:
        id: the notice's id (also its document number).
        kind: what it notifies.
        subject_id: the application (or personal change) it is about.
        physician_id: the physician it concerns.
        title: its title (准予注册决定书 …).
        recipients: whom it is delivered to, as ``kind:id`` (the physician, the institution);
            each gets an outbox message on the ``notice`` channel referencing the notice.
        issued_at: when it was issued (the decision's time).
        issued_by: who issued it, as ``kind:id``.
        text: the document as plain text (never in ``repr``).
        html: the document as a printable HTML page (never in ``repr``).
    """

    id: str
    kind: NoticeKind
    subject_id: str
    physician_id: str
    title: str
    recipients: tuple[str, ...]
    issued_at: datetime
    issued_by: str
    text: str = attrs.field(repr=False, default="")
    html: str = attrs.field(repr=False, default="")
