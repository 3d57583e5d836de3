"""固定流程版本 — an application keeps the state machine it was submitted under.

An application records its business type's definition revision
(:func:`~mdreg.service.records.definition_revision`) when it is created. Every declared
definition is published in the database (the policy-revision store, as ``{"definition": …}``)
when a registry opens, so after a deployment changes a type's states or events, an application
of the old revision is still driven by the old machine — rebuilt from what was published —
until it is deliberately migrated (:mod:`mdreg.service.migrations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mdreg.domain.application import Application
from mdreg.errors import WorkflowDefinitionError
from mdreg.infra.serialization import structure
from mdreg.ports import UnitOfWork
from mdreg.service.records import definition_revision
from mdreg.workflows import Workflow, WorkflowDefinition, workflow_for

#: Engines rebuilt from published revisions; content-addressed, so shared by every registry.
_PINNED: dict[str, Workflow] = {}


def engine(uow: UnitOfWork, app: Application) -> Workflow:
    """The engine of the definition ``app`` is pinned to: its type's current one when the
    revisions agree (or ``app`` names none), else the published revision it names.

    Raises:
        WorkflowDefinitionError: the revision was never published (or was published altered).
    """
    current = workflow_for(app.type)
    if not app.definition_revision or app.definition_revision == definition_revision(
            current.definition):
        return current
    return pinned(uow, app.definition_revision)


def pinned(uow: UnitOfWork, revision: str) -> Workflow:
    """The engine of published definition ``revision`` (built once per process)."""
    found = _PINNED.get(revision)
    if found is None:
        definition = published_definition(uow.revisions.get(revision), revision)
        found = _PINNED[revision] = Workflow(definition)
    return found


def published_definition(doc: Mapping[str, Any] | None, revision: str) -> WorkflowDefinition:
    """The definition a published document holds, checked against its revision.

    Raises:
        WorkflowDefinitionError: no document, not a definition, or not the one ``revision``
            names.
    """
    if doc is None or "definition" not in doc:
        raise WorkflowDefinitionError(f"state machine revision {revision!r} was never published")
    definition = structure(doc["definition"], WorkflowDefinition)
    if definition_revision(definition) != revision:
        raise WorkflowDefinitionError(
            f"the published state machine {revision!r} does not hash to its revision")
    return definition
