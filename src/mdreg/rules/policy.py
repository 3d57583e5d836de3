"""政策 — a named, dated set of rules per business type and event.

A :class:`Policy` is validated when it is built: every rule has an id, a Chinese label, an
English title and at least one citation, and no two different rules share an id.

>>> from mdreg.rules import BASE_POLICY
>>> from mdreg.domain.application import BusinessType
>>> from datetime import date
>>> [r.ref for r in BASE_POLICY.rules_for(BusinessType.REGISTRATION, "approve", date(2021, 6, 1))][:3]
['R-REG-1', 'R-REG-7', 'R-REG-8']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from mdreg.domain.application import BusinessType
from mdreg.errors import RuleDefinitionError
from mdreg.rules.base import Rule

RuleTable = Mapping[tuple[BusinessType, str], tuple[Rule, ...]]


def _validate_rule(rule: Rule) -> None:
    for attribute in ("id", "label", "title"):
        if not getattr(rule, attribute, ""):
            raise RuleDefinitionError(f"rule {type(rule).__name__} has no {attribute}")
    if not getattr(rule, "citations", ()):
        raise RuleDefinitionError(f"rule {rule.id} has no citation")


def _validate(table: RuleTable) -> None:
    seen: dict[str, type[Rule]] = {}
    for rules in table.values():
        for rule in rules:
            _validate_rule(rule)
            other = seen.setdefault(rule.id, type(rule))
            if other is not type(rule):
                raise RuleDefinitionError(
                    f"rule id {rule.id!r} is used by {other.__name__} and {type(rule).__name__}"
                )


def _table(rules: RuleTable) -> RuleTable:
    return {key: tuple(value) for key, value in rules.items()}


@attrs.frozen
class Policy:
    """Rules per (business type, event) and named parameters; rules apply by effective date."""

    name: str
    rules: RuleTable = attrs.field(converter=_table)
    parameters: Mapping[str, object] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        _validate(self.rules)

    def rules_for(self, business: BusinessType, event: str, on: date) -> tuple[Rule, ...]:
        """The rules in force on ``on`` for ``event`` of ``business``."""
        return tuple(r for r in self.rules.get((business, event), ()) if r.in_force(on))

    def all_rules(self) -> tuple[Rule, ...]:
        """Every distinct rule in the policy, in first-use order."""
        unique: dict[str, Rule] = {}
        for rules in self.rules.values():
            for rule in rules:
                unique.setdefault(rule.id, rule)
        return tuple(unique.values())

    def extend(
        self, name: str, extra: Mapping[tuple[BusinessType, str], Iterable[Rule]]
    ) -> Policy:
        """A new policy with ``extra`` rules appended per (business type, event)."""
        table = {key: tuple(rules) for key, rules in self.rules.items()}
        for key, rules in extra.items():
            table[key] = table.get(key, ()) + tuple(rules)
        return Policy(name, table, self.parameters)
