"""规则编号目录 — the 70 numbered rules mdreg is written against, and where each stands.

Each :class:`Entry` holds one numbered statement (R-ID-1 … R-AST-1): a short statement, how
well it is established (tags as on the sources page: [V] verified, [V~] verified through
secondary copies, [S] the portal's help page, [I] inferred), its status in mdreg and what
implements it. The rules that implement an entry are found from their ``ref``
(:func:`implementing_rules`); ``modules`` names code that implements it without being a rule: an
identifier type, a routing, an effect, a deadline. ``note`` says what is missing, or why a
statement does not apply.

Two more entries are mdreg's own numbers (``supplement``): R-FIL-3 and R-FIL-4 continue R-FIL-1
and R-FIL-2 for preconditions of a filing the numbered list leaves out.

>>> len([e for e in ENTRIES if not e.supplement]), by_ref("R-LOC-3").status.label
(70, '已实现')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from mdreg.domain.model import LabelledEnum
from mdreg.rules.base import Rule


class Status(LabelledEnum):
    """How far mdreg implements a numbered rule."""

    IMPLEMENTED = ("implemented", "已实现")
    PARTIAL = ("partial", "部分实现")
    MISSING = ("missing", "未实现")
    NOT_APPLICABLE = ("not_applicable", "不适用")


@attrs.frozen
class Entry:
    """One numbered rule: statement, tag, status, the code outside rules that implements it,
    and a note (what is missing; why it does not apply)."""

    ref: str
    section: str
    statement: str
    tag: str
    status: Status
    modules: tuple[str, ...] = ()
    note: str = ""
    supplement: bool = False


OK, PART, NONE = Status.IMPLEMENTED, Status.PARTIAL, Status.MISSING

_IDS = "Identity and formats"
_ACC = "Account and portal"
_LOC = "Practice location and institutions"
_REG = "Registration eligibility"
_DL = "Deadlines"
_CHG = "Change, upgrade, military"
_CAN = "Cancellation and 备案"
_FIL = "Filings and legacy"
_APP = "Workflow"
_ASM = "Periodic assessment"
_OTHER = "Other"
_OWN = "mdreg's own numbers"


def _entry(section: str, ref: str, tag: str, status: Status, statement: str,
           *modules: str, note: str = "") -> Entry:
    return Entry(ref, section, statement, tag, status, modules, note, section == _OWN)


_RID = "mdreg.domain.identifiers.ResidentId"
_ACCOUNTS = "mdreg.service.accounts.Accounts"

ENTRIES: tuple[Entry, ...] = (
    _entry(_IDS, "R-ID-1", "[V]", OK, "A resident ID number has 18 characters and a valid "
           "check character (GB 11643-1999)", f"{_RID}.parse"),
    _entry(_IDS, "R-ID-2", "[V]", OK, "A lowercase final x is upper-cased and spaces are "
           "stripped before checking", f"{_RID}.parse"),
    _entry(_IDS, "R-ID-3", "[V]", OK, "Characters 7–14 are a real calendar date",
           f"{_RID}.parse"),
    _entry(_IDS, "R-ID-4", "[V]", OK, "The published test vectors pass and fail as stated",
           f"{_RID}.parse"),
    _entry(_IDS, "R-ID-5", "[V]", OK, "An odd 17th digit means male, even female",
           f"{_RID}.sex"),
    _entry(_IDS, "R-ID-6", "[V] [I]", OK, "An abolished address code is not a reason to "
           "reject a number", f"{_RID}.address_known"),
    _entry(_IDS, "R-DIV-1", "[I]", OK, "A division code has 6 digits; its province is the "
           "first two followed by 0000", "mdreg.domain.identifiers.DivisionCode.province"),
    _entry(_IDS, "R-DIV-2", "[V] [I]", OK, "441900 (东莞市) is a county-level code for an "
           "assistant's practice location", "mdreg.domain.identifiers.DivisionCode.level"),
    _entry(_IDS, "R-PHONE-1", "[I] [S]", OK, "A mobile number matches `^1[3-9]\\d{9}$`; the "
           "phone is verified before activation, the e-mail as fallback",
           "mdreg.domain.identifiers.Phone.parse", f"{_ACCOUNTS}.verify_phone",
           f"{_ACCOUNTS}.verify_email"),

    _entry(_ACC, "R-ACC-1", "[S] [V~]", OK, "Sign-up fails unless name and ID number match a "
           "qualification or practice record", f"{_ACCOUNTS}.sign_up"),
    _entry(_ACC, "R-ACC-2", "[V~]", OK, "An account submits business applications only when "
           "ACTIVE"),
    _entry(_ACC, "R-ACC-3", "[V~]", OK, "A physician with a valid registration activates with "
           "the primary institution's code, or by its auto-activation",
           f"{_ACCOUNTS}.issue_activation_code", f"{_ACCOUNTS}.activate", f"{_ACCOUNTS}.refresh"),
    _entry(_ACC, "R-ACC-4", "[V~]", OK, "A physician without a valid registration activates "
           "with a matching qualification certificate number",
           f"{_ACCOUNTS}.activate_with_qualification"),
    _entry(_ACC, "R-ACC-5", "[V~]", OK, "Approval of a 注册 or 变更 sets the applicant's "
           "account ACTIVE", "mdreg.service.account_steps.activate_on_approval",
           "mdreg.workflows.change.CHANGE"),
    _entry(_ACC, "R-INFO-1", "[S] [V~]", OK, "An education, school or title change is pending "
           "until the institution approves it", f"{_ACCOUNTS}.request_info_change",
           "mdreg.workflows.personal_change.PERSONAL_CHANGE"),
    _entry(_ACC, "R-INFO-2", "[S] [V~]", OK, "An approved info change updates the practice "
           "copy only, never the qualification record",
           "mdreg.service.personal_changes.decide"),
    _entry(_ACC, "R-PHOTO-1", "[S] [V~]", OK, "After two uploads only the second photo is "
           "kept", f"{_ACCOUNTS}.upload_photo"),
    _entry(_ACC, "R-DEPT-1", "[S]", OK, "A department is chosen from the institution's "
           "configured list", "mdreg.service.personal_changes.check_department"),

    _entry(_LOC, "R-LOC-1", "[V]", OK, "An 执业医师's practice location is the province of the "
           "primary institution", "mdreg.domain.model.practice_location"),
    _entry(_LOC, "R-LOC-2", "[V]", OK, "An 执业助理医师's practice location is the county of "
           "the primary institution", "mdreg.domain.model.practice_location"),
    _entry(_LOC, "R-LOC-3", "[V]", OK, "An 执业助理医师 holds at most one valid registration",
           "mdreg.adapters.memory.repositories.check_registrations"),
    _entry(_LOC, "R-LOC-4", "[S] [V~]", OK, "An 执业医师 may hold valid registrations in two "
           "provinces at once", "mdreg.workflows.registration.add_registration"),
    _entry(_LOC, "R-LOC-5", "[S] [V]", OK, "Each valid registration has one primary "
           "institution; no two valid registrations share a practice location",
           "mdreg.adapters.memory.repositories.check_registrations"),
    _entry(_LOC, "R-LOC-6", "[V] [V~]", OK, "A filing is refused outside the practice location "
           "of its registration"),
    _entry(_LOC, "R-LOC-7", "[V~]", OK, "A 注册 in a second province keeps the first only if "
           "qualification and scopes are identical", "mdreg.workflows.registration.add_registration"),
    _entry(_LOC, "R-LOC-8", "[V] [V~]", OK, "A filing is decided by the department that "
           "approved the filed institution; a registration by the one that approved the primary "
           "institution (prevention institutions: the same level)",
           "mdreg.workflows.routing.Routing.deciding_department",
           "mdreg.domain.model.Institution.seat"),

    _entry(_REG, "R-REG-1", "[V] [V~]", OK, "注册 requires a qualification of the registered "
           "category"),
    _entry(_REG, "R-REG-2", "[V]", OK, "注册 is refused without full civil capacity"),
    _entry(_REG, "R-REG-3", "[V] [V~]", OK, "注册 is refused less than 2 years after a criminal "
           "sentence, or while a practice ban runs"),
    _entry(_REG, "R-REG-4", "[V] [V~]", OK, "注册 is refused less than 2 years after the "
           "certificate was revoked"),
    _entry(_REG, "R-REG-5", "[V]", OK, "注册 is refused less than 1 year after a "
           "cancellation for a failed periodic assessment", "mdreg.workflows.effects.Effect.cancel"),
    _entry(_REG, "R-REG-6", "[V~]", OK, "注册 is refused after organised exam cheating or with "
           "a forged or borrowed qualification"),
    _entry(_REG, "R-REG-7", "[V~]", OK, "A first 注册 more than 2 years after qualifying needs "
           "6 months' training and a passed assessment"),
    _entry(_REG, "R-REG-8", "[V] [V~]", OK, "A 注册 after 2 years' suspension of practice "
           "needs a passed assessment (and, under 2017, the training proof)"),
    _entry(_REG, "R-REG-9", "[V]", OK, "A registration obtained by improper means is revoked "
           "and no application from that person is accepted for 3 years",
           "mdreg.service.registrations.revoke"),
    _entry(_REG, "R-REG-10", "[V]", OK, "An institution may submit registrations for several "
           "of its physicians in one batch", "mdreg.service.applications.apply_batch"),

    _entry(_DL, "R-DL-1", "[V] [I]", OK, "A 注册 is decided within 20 working days from "
           "acceptance (from 2022-03-01; 30 days from receipt before)",
           "mdreg.workflows.periods.LICENCE", "mdreg.service.deadlines.DeadlineKeeper"),
    _entry(_DL, "R-DL-2", "[V]", OK, "A refusal is a written notice with a reason, to the "
           "applicant and the institution, within the same period",
           "mdreg.service.applications.refusal", "mdreg.domain.remedies.Refusal"),
    _entry(_DL, "R-DL-3", "[V]", OK, "Without a correction notice within 5 working days of "
           "receipt the application counts as accepted on the receipt date",
           "mdreg.service.tick.tick"),
    _entry(_DL, "R-DL-4", "[V]", OK, "A correction notice lists every missing item at once",
           "mdreg.service.applications.transition",
           "mdreg.errors.CorrectionAlreadyRequested"),
    _entry(_DL, "R-DL-5", "[V~] [I]", OK, "Accepted on Friday 2026-02-13, the decision is due "
           "on Thursday 2026-03-19", "mdreg.domain.calendar.ChineseCalendar"),

    _entry(_CHG, "R-CHG-1", "[V~]", OK, "A category change requires a qualification of the "
           "new category", "mdreg.workflows.change.change_registration"),
    _entry(_CHG, "R-CHG-2", "[V~]", OK, "A scope change within a category needs a higher "
           "degree or 2 years' assessed training, and the institution's consent"),
    _entry(_CHG, "R-CHG-3", "[V]", OK, "No change registration is required for training, "
           "进修, 对口支援, 会诊, rescue, 义诊, state tasks or medical-alliance practice",
           "mdreg.rules.change.change_required"),
    _entry(_CHG, "R-SCOPE-1", "[V~]", OK, "One specialty; up to three of one category for "
           "clinical physicians at county-level-or-below institutions with county approval",
           "mdreg.service.applications.approve_scopes"),
    _entry(_CHG, "R-SCOPE-2", "[V~]", OK, "A scope not listed for the category is refused "
           "unless the province added it"),
    _entry(_CHG, "R-UPG-1", "[S]", OK, "An upgrade needs an 执业医师 qualification of the same "
           "category and keeps the primary institution", "mdreg.workflows.upgrade.upgrade"),
    _entry(_CHG, "R-UPG-2", "[S] [I]", OK, "After an upgrade the assistant registration is "
           "invalid and one province-level registration remains",
           "mdreg.workflows.upgrade.upgrade"),
    _entry(_CHG, "R-MIL-1", "[S]", OK, "After 变更到军队 every local registration and filing "
           "is invalid", "mdreg.workflows.military_out.leave_for_the_army"),
    _entry(_CHG, "R-MIL-2", "[V]", OK, "军队变更入 needs the proof of the military registering "
           "organ"),

    _entry(_CAN, "R-CAN-1", "[V~]", OK, "Each ground of 2017 Art 18 is accepted as a 注销 "
           "reason"),
    _entry(_CAN, "R-CAN-2", "[V~] [S]", OK, "A 注销 may be applied for by the physician or the "
           "institution", "mdreg.service.authorization.authorize_applicant"),
    _entry(_CAN, "R-CAN-3", "[V~] [V] [I]", OK, "A cancellation report is due within 30 "
           "calendar days of the ground becoming known; late reports are flagged",
           "mdreg.domain.deadlines.cancellation_report_due",
           "mdreg.workflows.cancellation.report_deadline"),
    _entry(_CAN, "R-CAN-4", "[V]", OK, "The registering department cancels without an "
           "application when a ground is reported",
           "mdreg.service.registrations.cancel_ex_officio"),
    _entry(_CAN, "R-CAN-5", "[I]", OK, "A cancelled registration cannot be the target of any "
           "further application"),
    _entry(_CAN, "R-CAN-6", "[V~]", OK, "A reported departure moves the registration to 备案; "
           "2 years in 备案 without renewed practice end in 注销",
           "mdreg.service.registrations.report_departure", "mdreg.service.tick.tick"),
    _entry(_CAN, "R-CAN-7", "[V]", OK, "Approved registrations and cancellations are announced",
           "mdreg.service.announcements.announce"),

    _entry(_FIL, "R-FIL-1", "[V~] [I]", OK, "A filing has start and end dates, the end not "
           "before the start", "mdreg.domain.application.FilingRequest"),
    _entry(_FIL, "R-FIL-2", "[I]", OK, "Only an active filing can be cancelled"),
    _entry(_FIL, "R-LEG-1", "[S]", OK, "Legacy multi-site records can be listed and cancelled, "
           "never created: no business type creates one"),
    _entry(_FIL, "R-OFF-1", "[S]", OK, "补录老人资格, 港澳台 and foreign physicians' business "
           "cannot be submitted through the portal",
           "mdreg.service.applications.business_type"),

    _entry(_APP, "R-APP-1", "[S] [V~]", OK, "Every application passes institution confirmation "
           "before the department can accept it",
           "mdreg.workflows.lifecycle.application_lifecycle"),
    _entry(_APP, "R-APP-2", "[I]", OK, "A returned application can be resubmitted; a refused or "
           "withdrawn one cannot", "mdreg.workflows.lifecycle.application_lifecycle"),
    _entry(_APP, "R-APP-3", "[I]", OK, "Registry effects apply only on approval, atomically",
           "mdreg.service.applications.consequences"),

    _entry(_ASM, "R-ASM-1", "[V]", OK, "The assessment cycle is 3 years (2 under the 2007 "
           "measures)", "mdreg.domain.assessment.cycle_years"),
    _entry(_ASM, "R-ASM-2", "[V]", OK, "A failed assessment suspends practice 3–6 months with "
           "training; a pass restores it; a second failure is a cancellation ground",
           "mdreg.service.assessments.record_assessment",
           "mdreg.domain.assessment.assessment_status"),
    _entry(_ASM, "R-ASM-3", "[V~]", OK, "Missing two consecutive cycles is a cancellation "
           "ground", "mdreg.domain.assessment.assessment_status"),
    _entry(_ASM, "R-ASM-4", "[V]", OK, "Results are recorded by the primary institution or its "
           "approving department", "mdreg.service.assessments.record_assessment"),

    _entry(_OTHER, "R-IND-1", "[V]", OK, "An 执业医师 practises alone only after 5 years of "
           "registered practice (中医专长 excepted)"),
    _entry(_OTHER, "R-AST-1", "[V]", OK, "An 执业助理医师 practises under an 执业医师's "
           "guidance, except in township, village and remote county institutions"),

    _entry(_OWN, "R-FIL-3", "[V] [I]", OK, "The filed institution is neither the primary one "
           "nor already actively filed (2017 Art 10: the other institutions are filed)"),
    _entry(_OWN, "R-FIL-4", "[I]", OK, "Filed scopes are among the registration's scopes "
           "(2017 Arts 7, 10)"),
    _entry(_OWN, "R-MIL-3", "[V]", OK, "军队变更入 changes a military registration: the proof "
           "dates it, and no local registration is still held (PLA measures Arts 9, 10)"),
)


def by_ref(ref: str) -> Entry:
    """The entry numbered ``ref``.

    Raises:
        KeyError: no such entry.
    """
    for entry in ENTRIES:
        if entry.ref == ref:
            return entry
    raise KeyError(ref)


def implementing_rules(rules: Iterable[Rule[Any]]) -> Mapping[str, tuple[str, ...]]:
    """The ids of the rules among ``rules`` that implement each entry, found by their ``ref``."""
    found: dict[str, list[str]] = {}
    for rule in rules:
        ids = found.setdefault(rule.ref, [])
        if rule.id not in ids:
            ids.append(rule.id)
    return {ref: tuple(sorted(ids)) for ref, ids in found.items()}


def counts() -> dict[Status, int]:
    """Entries of the numbered list per status (mdreg's own numbers left out)."""
    return {status: sum(1 for e in ENTRIES if e.status is status and not e.supplement)
            for status in Status}
