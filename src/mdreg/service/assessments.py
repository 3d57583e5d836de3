"""定期考核 — recording periodic assessment results and reading where a physician stands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from mdreg.domain.account import Assessment, AssessmentResult
from mdreg.domain.application import Actor, ActorKind, CancellationGround
from mdreg.domain.assessment import (
    AssessmentStatus,
    reassessment_chain,
    suspension,
    suspension_end,
)
from mdreg.domain.assessment import assessment_status as status_of
from mdreg.domain.clock import business_date
from mdreg.domain.model import Physician, Registration
from mdreg.errors import PermissionDenied, UniquenessConflict, ValidationError
from mdreg.ports import UnitOfWork
from mdreg.service.services import Services, append_audit, in_transaction, read, require


def record_assessment(services: Services, actor: Actor, assessment: Assessment, *,
                      suspension_months: int | None = None) -> Assessment:
    """Record a 定期考核 result (R-ASM-4, 2017 measures Art 11).

    The primary institution of one of the physician's valid registrations, or the
    department that granted it, records it (``recorded_by`` becomes the actor's party).

    R-ASM-2 (医师法 Arts 42, 17(4)): a first failure suspends practice for
    ``suspension_months`` (3–6 by default): an ``assessment_suspension`` record (暂停执业活动)
    is added to the physician. The next result is the re-assessment, due when the suspension
    has ended: a pass restores practice; a failure is a failed re-assessment — no further
    suspension, the 注销 ground ``failed_reassessment`` is known from its day (the audit event
    names it; :func:`assessment_status` reports it).

    Raises:
        NotFoundError: unknown physician.
        PermissionDenied: the actor is neither such an institution nor such a department.
        UniquenessConflict: the assessment id exists.
        ValidationError: a first failure without a suspension in the policy's range, a pass
            or a failed re-assessment with one, or a re-assessment dated before the
            suspension ends.
    """

    def run() -> Assessment:
        with services.uow() as uow:
            uow.hold_physician(assessment.physician_id)
            physician = require(uow.physicians.get(assessment.physician_id), "physician",
                                assessment.physician_id)
            held = uow.registrations.for_physician(physician.id)
            valid = [r for r in held if r.is_valid]
            parties = {ActorKind.INSTITUTION: {r.primary_institution_id for r in valid},
                       ActorKind.AUTHORITY: {r.approved_by for r in valid}}.get(actor.kind, set())
            if actor.party_id not in parties:
                raise PermissionDenied(str(actor), f"record an assessment of {physician.id}",
                                       "only a primary institution or the granting department")
            if uow.assessments.get(assessment.id) is not None:
                raise UniquenessConflict("assessment_id", f"assessment {assessment.id} exists")
            recorded = attrs.evolve(assessment, recorded_by=actor.party_id)
            data: dict[str, Any] = {"physician": [physician.id], "cycle": [recorded.cycle]}
            data.update(_consequences(services, uow, physician, held, recorded,
                                      suspension_months))
            uow.assessments.put(recorded)
            append_audit(uow, recorded.id, "record_assessment", "", recorded.result.value, actor,
                         services.now(), reason=recorded.result.label,
                         policy=services.policy.name, data=data)
            uow.commit()
            return recorded

    return in_transaction(services, run)


def _consequences(services: Services, uow: UnitOfWork, physician: Physician,
                  registrations: Iterable[Registration], recorded: Assessment,
                  suspension_months: int | None) -> dict[str, list[str]]:
    """Suspend practice after a first failure; name the ground after a failed re-assessment."""
    earlier = [a for a in uow.assessments.for_physician(physician.id)
               if a.assessed_on <= recorded.assessed_on]
    waiting, _ = reassessment_chain(earlier, registrations)
    if waiting is not None:
        _check_reassessment(physician, waiting, recorded)
    failed = recorded.result is AssessmentResult.FAILED
    if failed and waiting is None:
        if suspension_months is None:
            raise ValidationError("suspension_months", "a failed assessment suspends practice; "
                                  "give the months", field_label="暂停执业期限")
        record = suspension(recorded, suspension_months, services.policy.parameters)
        uow.physicians.put(attrs.evolve(physician, records=(*physician.records, record)))
        return {"suspended_until": [str(record.until)]}
    if suspension_months is not None:
        raise ValidationError("suspension_months", "only a first failure suspends practice; a "
                              "failed re-assessment is a 注销 ground", field_label="暂停执业期限")
    return {"ground": [CancellationGround.FAILED_REASSESSMENT.value]} if failed else {}


def _check_reassessment(physician: Physician, failure: Assessment, result: Assessment) -> None:
    """A re-assessment comes once the suspension has ended (医师法 Art 42: 暂停执业活动期满，
    再次进行考核)."""
    ends = suspension_end(physician, failure)
    if ends is not None and result.assessed_on < ends:
        raise ValidationError("assessed_on", f"the re-assessment comes after the suspension "
                              f"ends on {ends.isoformat()}", field_label="考核日期")


def assessment_status(services: Services, physician_id: str,
                      as_of: date | None = None) -> AssessmentStatus:
    """The physician's 定期考核 cycles, results, suspension and any cancellation ground."""

    def query(uow: UnitOfWork) -> AssessmentStatus:
        physician = require(uow.physicians.get(physician_id), "physician", physician_id)
        return status_of(physician, uow.registrations.for_physician(physician_id),
                         uow.assessments.for_physician(physician_id),
                         as_of or business_date(services.now()), services.policy.parameters)

    return read(services, query)


def assessment_due(services: Services, physician_ids: Iterable[str],
                   as_of: date | None = None) -> tuple[AssessmentStatus, ...]:
    """Of the given physicians, those whose assessment needs action."""
    day = as_of or business_date(services.now())
    statuses = (assessment_status(services, p, day) for p in physician_ids)
    return tuple(s for s in statuses if s.needs_action)
