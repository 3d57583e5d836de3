"""The simulation report: a JSON-ready dict, rich tables, and an HTML page with charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mdreg.domain.application import BusinessType
from mdreg.service.records import revision
from mdreg.simulation.runner import Simulation, by_type, deadline_compliance
from mdreg.workflows import BASE_POLICY


def build_report(sim: Simulation, seconds: float, database: str, invariant_violations: list[str],
                 workers: int = 1) -> dict[str, Any]:
    """Everything a run produced, with the keys the CLI's ``--json`` promises."""
    tally = sim.tally
    kinds = [b.value for b in BusinessType]
    policy = sim.registry.policy
    return {
        "seed": sim.config.seed,
        "policy": revision(policy),
        "days": sim.config.days,
        "physicians": sim.config.physicians,
        "province": sim.config.province,
        "by_type": by_type(sim.apps),
        "refusals_by_rule": dict(sorted(tally.refusals.items())),
        "refusals_by_type": {kind: tally.refused[kind] for kind in kinds},
        "errors_by_type": {kind: tally.failed[kind] for kind in kinds},
        "errors_by_kind": dict(sorted(tally.errors.items())),
        "deadlines": deadline_compliance(tally.decided, policy.param("decision_working_days")),
        "accounts": dict(tally.accounts),
        "audit_events": sim.registry.audit_count(),
        "notices": notice_figures(sim.registry.notice_counts(), tally.notices),
        "commands": tally.commands,
        "commands_per_second": round(tally.commands / seconds, 1) if seconds else 0.0,
        "command_seconds": round(tally.command_seconds, 3),
        "seconds": round(seconds, 3),
        "database": database,
        "workers": workers,
        "commands_by_worker": tally.by_worker or [tally.commands],
        "invariant_violations": invariant_violations,
        "backlog": tally.backlog,
        "flows": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(tally.flows.items())],
    }


def notice_figures(by_kind: dict[str, int], delivered: list[int]) -> dict[str, Any]:
    """The notices issued, per kind, and the notice messages the portal delivered per day."""
    days = len(delivered)
    return {"by_kind": by_kind, "issued": sum(by_kind.values()), "delivered": sum(delivered),
            "delivered_per_day": round(sum(delivered) / days, 1) if days else 0.0,
            "busiest_day": max(delivered, default=0)}


def rule_labels() -> dict[str, str]:
    """Chinese label of every rule of the base policy, by id."""
    return {rule.id: rule.label for rule in BASE_POLICY.all_rules()}


def type_labels() -> dict[str, str]:
    return {b.value: b.label for b in BusinessType}


def write_html(report: dict[str, Any], path: Path) -> None:
    """Backlog per day per inbox, and the flow of applications from state to state."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=2, cols=1, row_heights=[0.45, 0.55],
                           specs=[[{"type": "xy"}], [{"type": "domain"}]],
                           subplot_titles=("每日积压 Backlog per inbox", "状态流转 State flow"))
    days = [row["day"] for row in report["backlog"]]
    for state in ("pending_institution", "pending_acceptance", "under_review",
                  "needs_correction", "returned"):
        figure.add_trace(go.Scatter(x=days, y=[row[state] for row in report["backlog"]],
                                    mode="lines", name=state), row=1, col=1)
    nodes = sorted({f["from"] for f in report["flows"]} | {f["to"] for f in report["flows"]})
    index = {name: i for i, name in enumerate(nodes)}
    figure.add_trace(go.Sankey(
        node={"label": nodes},
        link={"source": [index[f["from"]] for f in report["flows"]],
              "target": [index[f["to"]] for f in report["flows"]],
              "value": [f["count"] for f in report["flows"]]},
    ), row=2, col=1)
    figure.update_layout(height=900, title=f"mdreg simulation — seed {report['seed']}, "
                                           f"{report['physicians']} physicians, {report['days']} days")
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")


def write_comparison_html(comparison: dict[str, Any], path: Path) -> None:
    """A comparison (:meth:`~mdreg.simulation.Comparison.to_json`) as grouped bars, policy A
    beside policy B: refusals per rule, approvals per business type, the backlog at the end."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    groups = {"refusals_by_rule": "拒绝 Refusals per rule",
              "approved_by_type": "批准 Approvals per business type",
              "backlog": "积压 Backlog at the end"}
    figure = make_subplots(rows=len(groups), cols=1, subplot_titles=list(groups.values()),
                           vertical_spacing=0.12)
    policies = comparison["policies"]
    for row, group in enumerate(groups, start=1):
        names = list(comparison[group])
        for side, colour in (("a", "#1f77b4"), ("b", "#ff7f0e")):
            figure.add_trace(go.Bar(
                x=names, y=[comparison[group][name][side] for name in names],
                name=f"{side.upper()}: {policies[side]}", marker_color=colour,
                legendgroup=side, showlegend=row == 1), row=row, col=1)
    figure.update_layout(barmode="group", height=1200,
                         title=f"mdreg simulation — policy A against policy B — seed "
                               f"{comparison['seed']}, {comparison['physicians']} physicians, "
                               f"{comparison['days']} days")
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")
