"""Workflow definitions of every business type, and their engines (one per definition)."""

from __future__ import annotations

from mdreg.domain.application import BusinessType
from mdreg.workflows.base import (
    EventSpec,
    Role,
    StateSpec,
    Workflow,
    WorkflowDefinition,
    markdown_table,
)
from mdreg.workflows.registration import REGISTRATION

DEFINITIONS: dict[BusinessType, WorkflowDefinition] = {
    BusinessType.REGISTRATION: REGISTRATION,
}

_ENGINES: dict[BusinessType, Workflow] = {}


def workflow_for(business: BusinessType) -> Workflow:
    """The engine of ``business`` (built once per process)."""
    engine = _ENGINES.get(business)
    if engine is None:
        engine = _ENGINES[business] = Workflow(DEFINITIONS[business])
    return engine


__all__ = [
    "DEFINITIONS",
    "EventSpec",
    "Role",
    "StateSpec",
    "Workflow",
    "WorkflowDefinition",
    "markdown_table",
    "workflow_for",
]
