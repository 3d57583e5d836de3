"""“为什么不行？” — explanations of what an application can do next, changing nothing."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from mdreg.domain.application import Application
from mdreg.rules.base import Verdict
from mdreg.workflows import WorkflowDefinition, workflow_for


@attrs.frozen
class Explanation:
    """For one application: each event the state allows, with the verdict it would get now.

    Attributes:
        application: the application as it is now.
        possible: events allowed by the state whose rules all pass.
        blocked: events allowed by the state but refused by rules (with every violation).
        not_allowed: events the current state does not allow at all.
        who: the role that may fire each allowed event.
        state_label: the Chinese label of the application's state, in the state machine it is
            pinned to.
    """

    application: Application
    possible: Mapping[str, Verdict]
    blocked: Mapping[str, Verdict]
    not_allowed: tuple[str, ...]
    who: Mapping[str, str]
    state_label: str = ""

    def why_not(self, event: str) -> str:
        """A sentence in Chinese saying why ``event`` cannot happen now (empty if it can)."""
        if event in self.possible:
            return ""
        if event in self.blocked:
            return "；".join(f"{v.label}：{v.message}" for v in self.blocked[event].violations)
        return f"当前状态「{self.state_label or self.application.state}」不允许此操作"


def explain(app: Application, verdicts: Mapping[str, Verdict],
            definition: WorkflowDefinition | None = None) -> Explanation:
    """Sort the events of ``app``'s workflow (``definition``, its type's current one by
    default) by what the state and the verdicts allow."""
    definition = definition or workflow_for(app.type).definition
    allowed = {e.id: e.by.value for e in definition.allowed(app.state)}
    return Explanation(
        application=app,
        possible={e: v for e, v in verdicts.items() if e in allowed and v.passed},
        blocked={e: v for e, v in verdicts.items() if e in allowed and not v.passed},
        not_allowed=tuple(e for e in definition.event_ids if e not in allowed),
        who=allowed,
        state_label=definition.state(app.state).label if app.state in definition.state_ids
        else app.state,
    )
