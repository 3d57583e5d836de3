"""业务类型 — the declared business types, their engines, and the base policy built from them.

Each business type is declared in one module of this package (:mod:`~mdreg.workflows.registration`
… :mod:`~mdreg.workflows.multisite_cancel`); :data:`DECLARATIONS` is the catalogue the service
reads. A host declares a type of its own with :func:`register` (see ``docs/architecture.md``).

>>> from datetime import date
>>> from mdreg.domain.application import BusinessType
>>> declaration_for(BusinessType.FILING).definition.label
'多执业机构备案'
>>> [r.ref for r in BASE_POLICY.rules_for(BusinessType.MILITARY_OUT, "approve", date(2026, 1, 5))]
['R-CAN-5']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from mdreg.domain.application import (
    BusinessType,
    Payload,
    register_payload,
    unregister_payload,
)
from mdreg.errors import ValidationError, WorkflowDefinitionError
from mdreg.rules.base import Rule
from mdreg.rules.policy import Policy
from mdreg.workflows.base import (
    EventSpec,
    Role,
    StateSpec,
    Workflow,
    WorkflowDefinition,
    markdown_table,
)
from mdreg.workflows.cancellation import CANCELLATION
from mdreg.workflows.change import CHANGE
from mdreg.workflows.declaration import (
    CHECKED_ON,
    BusinessTypeDeclaration,
    Material,
    checked_on,
)
from mdreg.workflows.filing import FILING
from mdreg.workflows.filing_cancel import FILING_CANCEL
from mdreg.workflows.military_in import MILITARY_IN
from mdreg.workflows.military_out import MILITARY_OUT
from mdreg.workflows.multisite_cancel import MULTISITE_CANCEL
from mdreg.workflows.registration import REGISTRATION
from mdreg.workflows.upgrade import UPGRADE

#: The nine business types of the personal portal, in the portal's order.
BUILT_IN: tuple[BusinessTypeDeclaration[Any], ...] = (
    REGISTRATION, UPGRADE, MILITARY_IN, MILITARY_OUT, CHANGE, CANCELLATION, FILING,
    FILING_CANCEL, MULTISITE_CANCEL,
)

_DECLARED: dict[BusinessType, BusinessTypeDeclaration[Any]] = {d.business: d for d in BUILT_IN}
_BY_PAYLOAD: dict[type[Any], BusinessTypeDeclaration[Any]] = {d.payload: d for d in BUILT_IN}
_ENGINES: dict[BusinessType, Workflow] = {}
#: each host type's registration (a token its removal function holds)
_REGISTERED: dict[BusinessType, object] = {}


class _Catalogue(Mapping[BusinessType, BusinessTypeDeclaration[Any]]):
    """A read-only view of the declared business types."""

    def __getitem__(self, business: BusinessType) -> BusinessTypeDeclaration[Any]:
        return _DECLARED[business]

    def __iter__(self) -> Iterator[BusinessType]:
        return iter(_DECLARED)

    def __len__(self) -> int:
        return len(_DECLARED)


class _Definitions(Mapping[BusinessType, WorkflowDefinition]):
    """Each declared type's state machine."""

    def __getitem__(self, business: BusinessType) -> WorkflowDefinition:
        return _DECLARED[business].definition

    def __iter__(self) -> Iterator[BusinessType]:
        return iter(_DECLARED)

    def __len__(self) -> int:
        return len(_DECLARED)


#: Every declared business type (the nine, plus any a host registered).
DECLARATIONS: Mapping[BusinessType, BusinessTypeDeclaration[Any]] = _Catalogue()
#: Every declared type's workflow definition.
DEFINITIONS: Mapping[BusinessType, WorkflowDefinition] = _Definitions()


def declaration_for(business: BusinessType) -> BusinessTypeDeclaration[Any]:
    """The declaration of ``business``.

    Raises:
        ValidationError: no such type is declared.
    """
    found = _DECLARED.get(business)
    if found is None:
        raise ValidationError("business", f"business type {business!r} is not declared",
                              field_label="业务类型")
    return found


def declaration_for_payload(payload: Payload | object) -> BusinessTypeDeclaration[Any]:
    """The declaration whose payload class ``payload`` is.

    Raises:
        ValidationError: ``payload`` is no declared type's payload.
    """
    found = _BY_PAYLOAD.get(type(payload))
    if found is None:
        raise ValidationError("payload", f"{type(payload).__name__} is not an application payload",
                              field_label="申请内容")
    return found


def workflow_for(business: BusinessType) -> Workflow:
    """The engine of ``business`` (built once per process)."""
    engine = _ENGINES.get(business)
    if engine is None:
        engine = _ENGINES[business] = Workflow(declaration_for(business).definition)
    return engine


def rule_table(declarations: Iterable[BusinessTypeDeclaration[Any]] | None = None
               ) -> dict[tuple[BusinessType, str], tuple[Rule[Any], ...]]:
    """The rules of ``declarations`` (every declared type by default) as a policy's table."""
    table: dict[tuple[BusinessType, str], tuple[Rule[Any], ...]] = {}
    for declaration in declarations if declarations is not None else _DECLARED.values():
        table.update(declaration.rule_table())
    return table


def base_policy() -> Policy:
    """The base policy: every declared type's rules on their events, default parameters."""
    return Policy("base", rule_table())


#: The base policy of the nine business types.
BASE_POLICY = Policy("base", rule_table(BUILT_IN))


def register(declaration: BusinessTypeDeclaration[Any]) -> Callable[[], None]:
    """Declare a business type of the host's own; returns a function that removes it again.

    Its payload class becomes storable, :data:`DECLARATIONS` lists it, and the service runs it
    like the nine. Its rules enter a policy through :func:`base_policy` or
    ``policy.extend(name, declaration.rule_table())``.

    Raises:
        WorkflowDefinitionError: the business type or its payload class is declared already.
    """
    if declaration.business in _DECLARED or declaration.payload in _BY_PAYLOAD:
        raise WorkflowDefinitionError(
            f"business type {declaration.business.value!r} or payload "
            f"{declaration.payload.__name__} is declared already")
    register_payload(declaration.payload)
    _DECLARED[declaration.business] = declaration
    _BY_PAYLOAD[declaration.payload] = declaration
    token = _REGISTERED[declaration.business] = object()

    def remove() -> None:
        """Remove the type this call declared (also as redeclared since); a second call, or a
        call after another declaration took the id, changes nothing."""
        if _REGISTERED.get(declaration.business) is not token:
            return
        del _REGISTERED[declaration.business]
        del _DECLARED[declaration.business]  # redeclarations keep the id and payload class
        del _BY_PAYLOAD[declaration.payload]
        _ENGINES.pop(declaration.business, None)
        unregister_payload(declaration.payload)

    return remove

def redeclare(declaration: BusinessTypeDeclaration[Any]) -> Callable[[], None]:
    """Put ``declaration`` in place of the declared business type of the same id and payload
    class — a deployment that changes a type's state machine, in one process; returns a function
    that restores the previous declaration. Applications keep the machine they were created
    under until migrated (:mod:`mdreg.service.migrations`).

    Raises:
        WorkflowDefinitionError: no such type is declared, or it carries another payload class.
    """
    previous = _DECLARED.get(declaration.business)
    if previous is None or previous.payload is not declaration.payload:
        raise WorkflowDefinitionError(
            f"business type {declaration.business.value!r} with payload "
            f"{declaration.payload.__name__} is not declared")
    _DECLARED[declaration.business] = _BY_PAYLOAD[declaration.payload] = declaration
    _ENGINES.pop(declaration.business, None)

    restored = False

    def restore() -> None:
        """Put the previous declaration back; restores run in the reverse order of their
        redeclarations (one while a later redeclaration is in place is refused; a second call
        changes nothing)."""
        nonlocal restored
        if restored:
            return
        if _DECLARED.get(declaration.business) is not declaration:
            raise WorkflowDefinitionError(
                f"business type {declaration.business.value!r} was redeclared or removed since: "
                "restore the later declaration first")
        _DECLARED[previous.business] = _BY_PAYLOAD[previous.payload] = previous
        _ENGINES.pop(previous.business, None)
        restored = True

    return restore


__all__ = [
    "BASE_POLICY",
    "BUILT_IN",
    "CHECKED_ON",
    "DECLARATIONS",
    "DEFINITIONS",
    "BusinessTypeDeclaration",
    "EventSpec",
    "Material",
    "Role",
    "StateSpec",
    "Workflow",
    "WorkflowDefinition",
    "base_policy",
    "checked_on",
    "declaration_for",
    "declaration_for_payload",
    "markdown_table",
    "redeclare",
    "register",
    "rule_table",
    "workflow_for",
]
