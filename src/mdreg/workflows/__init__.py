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
from mdreg.workflows.cancellation import CANCELLATION
from mdreg.workflows.change import CHANGE
from mdreg.workflows.filing import FILING
from mdreg.workflows.filing_cancel import FILING_CANCEL
from mdreg.workflows.military_in import MILITARY_IN
from mdreg.workflows.military_out import MILITARY_OUT
from mdreg.workflows.multisite_cancel import MULTISITE_CANCEL
from mdreg.workflows.registration import REGISTRATION
from mdreg.workflows.upgrade import UPGRADE

DEFINITIONS: dict[BusinessType, WorkflowDefinition] = {
    BusinessType.REGISTRATION: REGISTRATION,
    BusinessType.UPGRADE: UPGRADE,
    BusinessType.MILITARY_IN: MILITARY_IN,
    BusinessType.MILITARY_OUT: MILITARY_OUT,
    BusinessType.CHANGE: CHANGE,
    BusinessType.CANCELLATION: CANCELLATION,
    BusinessType.FILING: FILING,
    BusinessType.FILING_CANCEL: FILING_CANCEL,
    BusinessType.MULTISITE_CANCEL: MULTISITE_CANCEL,
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
