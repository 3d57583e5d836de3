"""How :func:`mdreg.rules.base.evaluate` walks a rule list, and how a policy is derived.

A rule not in force is skipped, never the end of the walk; each observer hears every outcome
with the right flag; the verdict carries the date and the policy it was reached under. A derived
policy (``extend``, ``with_changes``, ``override``) carries its own name, and a rule added under
a key the base policy does not use is found there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, ClassVar

import pytest
from test_rule_properties import context

from mdreg.domain.application import BusinessType
from mdreg.domain.law import Citation, Instrument
from mdreg.rules import EligibilityContext, Policy, Rule, Violation, evaluate
from mdreg.rules.base import OBSERVERS
from mdreg.workflows import BASE_POLICY

AS_OF = date(2026, 3, 2)


def _citation(start: date, end: date | None = None) -> tuple[Citation, ...]:
    law = Instrument("测试办法", "Test Measures", "test-measures", start, end)
    return (Citation(law, "第一条"),)


class _TestRule(Rule):
    label = "测试规则"
    title = "test rule"
    fails: ClassVar[bool] = False

    def check(self, ctx: EligibilityContext[Any]) -> Iterable[Violation]:
        if self.fails:
            yield self.violation("不符合", "does not hold")


class Repealed(_TestRule):
    id = "test.repealed"
    citations = _citation(date(2000, 1, 1), date(2010, 12, 31))


class NotYet(_TestRule):
    id = "test.not_yet"
    citations = _citation(date(2030, 1, 1))


class Holds(_TestRule):
    id = "test.holds"
    citations = _citation(date(2000, 1, 1))


class Fails(_TestRule):
    id = "test.fails"
    citations = _citation(date(2000, 1, 1))
    fails = True


@pytest.fixture
def heard() -> Iterator[list[tuple[str, bool]]]:
    outcomes: list[tuple[str, bool]] = []

    def observer(rule: Rule[Any], passed: bool) -> None:
        outcomes.append((rule.id, passed))

    OBSERVERS.append(observer)
    try:
        yield outcomes
    finally:
        OBSERVERS.remove(observer)


def test_a_rule_not_in_force_is_skipped_and_the_rules_after_it_still_run() -> None:
    verdict = evaluate([Repealed(), Holds(), NotYet(), Fails()], context(AS_OF))
    assert verdict.checked == ("test.holds", "test.fails")
    assert verdict.failed_rule_ids == ("test.fails",)


def test_the_observers_hear_each_rule_in_force_with_its_outcome(
        heard: list[tuple[str, bool]]) -> None:
    evaluate([Fails(), Repealed(), Holds()], context(AS_OF))
    assert heard == [("test.fails", False), ("test.holds", True)]


def test_a_verdict_carries_its_date_and_policy() -> None:
    verdict = evaluate([Holds()], context(AS_OF), policy="beijing-2026")
    assert (verdict.as_of, verdict.policy, verdict.passed) == (AS_OF, "beijing-2026", True)
    assert evaluate([Holds()], context(AS_OF)).policy == ""


# -- derived policies ----------------------------------------------------------------------------


NEW_KEY = (BusinessType.REGISTRATION, "test_event")
USED_KEY = (BusinessType.REGISTRATION, "submit")


def test_extend_names_the_policy_and_adds_rules_under_a_new_and_a_used_key() -> None:
    extended = BASE_POLICY.extend("extended", {NEW_KEY: [Holds()], USED_KEY: [Fails()]})
    assert extended.name == "extended"
    assert [r.id for r in extended.rules_for(*NEW_KEY, AS_OF)] == ["test.holds"]
    before = BASE_POLICY.rules[USED_KEY]
    assert extended.rules[USED_KEY][:-1] == before
    assert extended.rules[USED_KEY][-1].id == "test.fails"
    assert extended.parameters == BASE_POLICY.parameters
    assert extended.switched_off == BASE_POLICY.switched_off


def test_override_adds_rules_under_a_new_key() -> None:
    derived = BASE_POLICY.override("added", add={NEW_KEY: [Holds()]})
    assert derived.name == "added"
    assert [r.id for r in derived.rules_for(*NEW_KEY, AS_OF)] == ["test.holds"]


def test_with_changes_names_the_policy_and_keeps_its_rules() -> None:
    changed = BASE_POLICY.with_changes("keep-all", second_province_identical=False)
    assert changed.name == "keep-all"
    assert changed.rules == BASE_POLICY.rules
    assert changed.param("second_province_identical") is False
    assert BASE_POLICY.param("second_province_identical") is True


def test_a_policy_built_from_scratch_keeps_its_name() -> None:
    assert Policy("empty", {}).name == "empty"
