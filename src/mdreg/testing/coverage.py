"""Rule coverage for policy tests: how often each rule passed and failed during a test run.

Enable with ``pytest --mdreg-rule-coverage``; add ``--mdreg-rule-coverage-threshold=90`` to fail
the run when fewer than 90 % of the policy's rules were seen both passing and failing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mdreg.rules.base import OBSERVERS, Rule
from mdreg.rules.policy import Policy


class RuleCoverage:
    """Counts outcomes per rule id while installed."""

    def __init__(self) -> None:
        self.passed: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    def __call__(self, rule: Rule[Any], passed: bool) -> None:
        (self.passed if passed else self.failed)[rule.id] += 1

    def install(self) -> RuleCoverage:
        OBSERVERS.append(self)
        return self

    def uninstall(self) -> None:
        if self in OBSERVERS:
            OBSERVERS.remove(self)

    def merge(self, data: dict[str, dict[str, int]]) -> None:
        """Add counts sent by another process (pytest-xdist workers)."""
        self.passed.update(data.get("passed", {}))
        self.failed.update(data.get("failed", {}))

    def data(self) -> dict[str, dict[str, int]]:
        return {"passed": dict(self.passed), "failed": dict(self.failed)}

    def both_ways(self, policy: Policy) -> float:
        """Percentage of the policy's rules seen both passing and failing."""
        ids = policy.rule_ids()
        if not ids:
            return 100.0
        return 100.0 * sum(1 for i in ids if self.passed[i] and self.failed[i]) / len(ids)

    def table(self, policy: Policy) -> list[str]:
        """Report lines: one per rule, then the total."""
        lines = [f"{'rule':48} {'pass':>6} {'fail':>6}"]
        for rule_id in sorted(policy.rule_ids()):
            mark = "" if self.passed[rule_id] and self.failed[rule_id] else "  <- not both ways"
            lines.append(f"{rule_id:48} {self.passed[rule_id]:6} {self.failed[rule_id]:6}{mark}")
        lines.append(f"rules exercised both ways: {self.both_ways(policy):.1f}%")
        return lines
