"""Two policies, one workload: the same seeded province simulated under each, side by side.

Both runs draw the same workload (:mod:`mdreg.simulation.runner`): the same province, the same
existing registry, the same sign-ups and the same arrivals — how many applications of which
business type on which day. What the rules decide may differ, and so may what follows from a
decision (an application refused under one policy is not reviewed under it; a physician
registered under one may apply for a 变更 where under the other she applies to register again).

>>> from mdreg.simulation import SimulationConfig, compare
>>> from mdreg.workflows import BASE_POLICY
>>> lenient = BASE_POLICY.with_changes("lenient", require_active_account=False)
>>> comparison = compare(SimulationConfig(physicians=60, days=10, seed=4), BASE_POLICY, lenient)
>>> refused = comparison.refusals_by_rule["account.active"]
>>> refused.a > 0, refused.b
(True, 0)
>>> compare(SimulationConfig(physicians=40, days=5), BASE_POLICY, BASE_POLICY).identical
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mdreg.simulation.runner import OPEN, SimulationConfig

#: The groups of figures a comparison holds, with their titles.
GROUPS = {
    "refusals_by_rule": "Refusals per rule",
    "approved_by_type": "Approvals per business type",
    "backlog": "Backlog at the end (open applications per state)",
    "deadlines": "Decisions due, met and missed in the decision period",
}


@attrs.frozen
class Figure:
    """One figure under policy A and under policy B."""

    a: int
    b: int

    @property
    def difference(self) -> int:
        """B − A."""
        return self.b - self.a

    def to_json(self) -> dict[str, int]:
        return {"a": self.a, "b": self.b, "difference": self.difference}


def _figures(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, Figure]:
    """Every key of ``a`` or ``b`` (absent: 0), in the order first seen."""
    return {key: Figure(a.get(key, 0), b.get(key, 0)) for key in dict.fromkeys([*a, *b])}


def _groups(report: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The figures of one run's report, per group."""
    deadlines = report["deadlines"]
    return {
        "refusals_by_rule": dict(sorted(report["refusals_by_rule"].items())),
        "approved_by_type": {kind: states.get("approved", 0)
                             for kind, states in report["by_type"].items()},
        "backlog": {state: report["backlog"][-1][state] if report["backlog"] else 0
                    for state in OPEN},
        "deadlines": {key: deadlines[key] for key in ("due", "met", "missed")},
    }


@attrs.frozen
class Comparison:
    """The reports of one workload under policy A and policy B, and their figures side by side.

    Each group (:data:`GROUPS`) maps a name — a rule id, a business type, a state, or ``due``,
    ``met`` and ``missed`` decisions — to a :class:`Figure`.
    """

    config: SimulationConfig
    report_a: Mapping[str, Any]
    report_b: Mapping[str, Any]

    def group(self, name: str) -> dict[str, Figure]:
        """The figures of the group ``name`` (one of :data:`GROUPS`)."""
        return _figures(_groups(self.report_a)[name], _groups(self.report_b)[name])

    @property
    def refusals_by_rule(self) -> dict[str, Figure]:
        """Rule id → refusals citing it (a rule neither policy's runs cited is absent)."""
        return self.group("refusals_by_rule")

    @property
    def approved_by_type(self) -> dict[str, Figure]:
        """Business type → applications approved."""
        return self.group("approved_by_type")

    @property
    def backlog(self) -> dict[str, Figure]:
        """Open state → applications in it after the last day."""
        return self.group("backlog")

    @property
    def deadlines(self) -> dict[str, Figure]:
        """Decisions ``due`` after an acceptance, ``met`` and ``missed`` within the period of
        each policy's ``decision_working_days``."""
        return self.group("deadlines")

    @property
    def identical(self) -> bool:
        """Whether no figure differs."""
        return not self.differences()

    def differences(self) -> dict[str, dict[str, int]]:
        """Group → name → B − A, for the figures that differ only."""
        found = {name: {key: figure.difference for key, figure in self.group(name).items()
                        if figure.difference}
                 for name in GROUPS}
        return {name: figures for name, figures in found.items() if figures}

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON-ready data: the policies' revisions, every group's figures
        (``a``, ``b``, ``difference``), and the two full reports."""
        return {
            "seed": self.config.seed,
            "days": self.config.days,
            "physicians": self.config.physicians,
            "province": self.config.province,
            "policies": {"a": self.report_a["policy"], "b": self.report_b["policy"]},
            **{name: {key: figure.to_json() for key, figure in self.group(name).items()}
               for name in GROUPS},
            "reports": {"a": dict(self.report_a), "b": dict(self.report_b)},
        }
