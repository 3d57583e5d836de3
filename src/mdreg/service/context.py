"""Rule contexts: the immutable snapshot of what the rules of an application read."""

from __future__ import annotations

from typing import Any

from mdreg.domain.application import (
    Application,
)
from mdreg.errors import NotFoundError
from mdreg.ports import UnitOfWork
from mdreg.rules.base import EligibilityContext


def build_context(uow: UnitOfWork, app: Application, parameters: dict[str, Any] | None = None,
                  *, account: bool = False) -> EligibilityContext:
    """The immutable snapshot rules read, from targeted per-physician lookups only; with
    ``account``, the state of the physician's portal account too."""
    found = uow.rule_inputs(app.physician_id, app.institution_id, app.department_id)
    if found.physician is None:
        raise NotFoundError("physician", app.physician_id)
    if found.institution is None:
        raise NotFoundError("institution", app.institution_id)
    if found.department is None:
        raise NotFoundError("department", app.department_id)
    return EligibilityContext(
        as_of=app.application_date,
        application=app,
        physician=found.physician,
        institution=found.institution,
        department=found.department,
        registrations=found.registrations,
        filings=found.filings,
        legacy=found.legacy,
        parameters=parameters or {},
        account_state=_account_state(uow, app.physician_id) if account else "",
    )


def _account_state(uow: UnitOfWork, physician_id: str) -> str:
    found = uow.accounts.for_physician(physician_id)
    return found.state if found is not None else ""
