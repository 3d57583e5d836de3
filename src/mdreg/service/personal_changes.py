"""个人信息变更 — personal changes, institution settings: the unit-of-work steps behind them.

A change is routed to the primary institution of one of the physician's valid registrations
(执业所在医疗机构); only that institution approves or rejects it (reason required). Approval
writes the practice-registration copy (:class:`~mdreg.domain.account.PracticeInfo`) and never
the qualification record (R-INFO-2). A new submission while a change of the same kind is pending
replaces it (R-PHOTO-1: only the latest photo is kept). The functions return the photo that is
no longer referenced, so the caller deletes its bytes once the unit of work has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from mdreg.domain.account import ChangeKind, PersonalChange, PhotoRef, PracticeInfo
from mdreg.domain.application import Actor, ActorKind
from mdreg.domain.model import Institution
from mdreg.errors import NotFoundError, PermissionDenied, ValidationError
from mdreg.ports import UnitOfWork
from mdreg.service.authorization import authorize_kind, require_inputs
from mdreg.service.ids import IdGenerator
from mdreg.service.services import append_audit
from mdreg.workflows.base import Workflow
from mdreg.workflows.personal_change import PENDING, PERSONAL_CHANGE

CHANGE_FLOW = Workflow(PERSONAL_CHANGE)
INFO_FIELDS = ("education", "school", "title")
_EMPTY: dict[str, Any] = {"education": None, "school": None, "title": None, "photo": None,
                          "department": None}


def practice_institution(uow: UnitOfWork, physician_id: str,
                         institution_id: str | None) -> Institution:
    """The primary institution of a valid registration (``institution_id`` picks one of them).

    Raises:
        NotFoundError: no valid registration, or ``institution_id`` is not a primary one.
    """
    primaries = [r.primary_institution_id for r in uow.registrations.for_physician(physician_id)
                 if r.is_valid]
    if not primaries:
        raise NotFoundError("valid registration of physician", physician_id)
    chosen = institution_id or primaries[0]
    found = uow.institutions.get(chosen) if chosen in primaries else None
    if found is None:
        raise NotFoundError("practice institution of this physician", chosen)
    return found


def check_department(institution: Institution, department: str) -> None:
    """R-DEPT-1: the department is one the institution configured."""
    if department not in institution.departments:
        raise ValidationError("department", "choose one of the departments the institution "
                              "configured", field_label="科室")


def _summary(change: PersonalChange) -> dict[str, list[str]]:
    if change.kind is ChangeKind.PHOTO and change.photo is not None:
        photo = change.photo
        return {"sha256": [photo.sha256], "size": [str(photo.size)], "format": [photo.format]}
    if change.kind is ChangeKind.DEPARTMENT:
        return {"department": [change.department or ""]}
    return {"fields": [f for f in INFO_FIELDS if getattr(change, f) is not None]}


def choose_department(uow: UnitOfWork, ids: IdGenerator, actor: Actor, physician_id: str,
                      institution_id: str | None, department: str, now: datetime
                      ) -> PersonalChange:
    """科室信息设置 without the institution's approval: the choice is recorded as a change
    approved at once (audited ``take_effect`` by the physician) and written to the practice
    record. A pending choice of the same kind is replaced first."""
    change, _ = submit(uow, ids, actor, physician_id, ChangeKind.DEPARTMENT, institution_id,
                       now, department=department)
    require_inputs(authorize_kind(actor, PERSONAL_CHANGE, "take_effect", change.id), "")
    _apply(uow, change)
    dest = CHANGE_FLOW.fire(change.state, "take_effect")
    new = attrs.evolve(change, state=dest, version=change.version + 1, updated_at=now,
                       decided_at=now)
    uow.personal_changes.save(new, change.version)
    append_audit(uow, change.id, "take_effect", change.state, dest, actor, now,
                 reason="科室信息设置无需机构审核", data=_summary(change))
    return new


def submit(uow: UnitOfWork, ids: IdGenerator, actor: Actor, physician_id: str, kind: ChangeKind,
           institution_id: str | None, now: datetime,
           **fields: Any) -> tuple[PersonalChange, PhotoRef | None]:
    """Store a pending change, or replace the pending one of the same kind.

    Returns the change and the photo of the replaced change (its bytes are to be deleted).
    """
    institution = practice_institution(uow, physician_id, institution_id)
    if kind is ChangeKind.DEPARTMENT:
        check_department(institution, fields["department"])
    current = uow.personal_changes.pending_for(physician_id, kind)
    if current is None:
        new = PersonalChange(ids.new("PC"), physician_id, kind, institution.id, PENDING, 1, now,
                             now, **fields)
        uow.personal_changes.add(new)
        append_audit(uow, new.id, "submit", "", PENDING, actor, now, data=_summary(new))
        return new, None
    require_inputs(authorize_kind(actor, PERSONAL_CHANGE, "replace", current.id), "")
    dest = CHANGE_FLOW.fire(current.state, "replace")
    new = attrs.evolve(current, institution_id=institution.id, state=dest,
                       version=current.version + 1, updated_at=now, **{**_EMPTY, **fields})
    uow.personal_changes.save(new, current.version)
    append_audit(uow, new.id, "replace", current.state, dest, actor, now, data=_summary(new))
    return new, current.photo


def decide(uow: UnitOfWork, actor: Actor, change_id: str, event: str, reason: str,
           now: datetime) -> tuple[PersonalChange, PhotoRef | None]:
    """Approve or reject a change as the institution it is routed to.

    Returns the decided change and the photo no longer referenced (the rejected one, or the
    previously approved one an approved photo replaces).

    Raises:
        NotFoundError: no such change.
        PermissionDenied: the actor is not the institution the change is routed to.
        TransitionNotAllowed: the change is already decided.
        ValidationError: a rejection without a reason; a department the institution dropped.
    """
    change = uow.personal_changes.get(change_id)
    if change is None:
        raise NotFoundError("personal change", change_id)
    spec = authorize_kind(actor, PERSONAL_CHANGE, event, change_id)
    if actor.party_id != change.institution_id:
        raise PermissionDenied(str(actor), f"{event} personal change {change_id}",
                               "only the institution the change is routed to")
    dest = CHANGE_FLOW.fire(change.state, event)
    require_inputs(spec, reason)
    obsolete = _apply(uow, change) if event == "approve" else change.photo
    new = attrs.evolve(change, state=dest, version=change.version + 1, updated_at=now,
                       decided_at=now, reason=reason.strip())
    uow.personal_changes.save(new, change.version)
    append_audit(uow, change.id, event, change.state, dest, actor, now, reason=reason.strip(),
                 data=_summary(change))
    return new, obsolete


def _apply(uow: UnitOfWork, change: PersonalChange) -> PhotoRef | None:
    """Write an approved change to the practice-registration copy; return a replaced photo."""
    info = uow.practice_info.get(change.physician_id) or PracticeInfo(change.physician_id)
    replaced: PhotoRef | None = None
    if change.kind is ChangeKind.INFO:
        updates = {f: getattr(change, f) for f in INFO_FIELDS if getattr(change, f) is not None}
        new = attrs.evolve(info, **updates)
    elif change.kind is ChangeKind.PHOTO:
        replaced = info.photo
        new = attrs.evolve(info, photo=change.photo)
    else:
        institution = uow.institutions.get(change.institution_id)
        if institution is None:
            raise NotFoundError("institution", change.institution_id)
        check_department(institution, change.department or "")
        others = tuple(p for p in info.departments if p[0] != institution.id)
        new = attrs.evolve(info, departments=(*others, (institution.id, change.department or "")))
    uow.practice_info.save(attrs.evolve(new, version=info.version + 1), info.version)
    return replaced


def configure_institution(uow: UnitOfWork, actor: Actor, now: datetime,
                          departments: Iterable[str] | None,
                          auto_activation: bool | None) -> Institution:
    """An institution sets its departments (科室) and its auto-activation switch.

    Raises:
        PermissionDenied: the actor is not an institution.
        NotFoundError: unknown institution.
        ValidationError: an empty or repeated department name.
    """
    if actor.kind is not ActorKind.INSTITUTION:
        raise PermissionDenied(str(actor), "configure an institution", "only the institution")
    institution = uow.institutions.get(actor.party_id)
    if institution is None:
        raise NotFoundError("institution", actor.party_id)
    changes: dict[str, Any] = {}
    if departments is not None:
        names = tuple(str(d).strip() for d in departments)
        if not all(names) or len(set(names)) != len(names):
            raise ValidationError("departments", "department names must be non-empty and "
                                  "distinct", field_label="科室")
        changes["departments"] = names
    if auto_activation is not None:
        changes["auto_activation"] = bool(auto_activation)
    new = attrs.evolve(institution, **changes)
    uow.institutions.put(new)
    append_audit(uow, institution.id, "configure", "", "", actor, now,
                 data={"departments": list(new.departments),
                       "auto_activation": [str(new.auto_activation)]})
    return new
