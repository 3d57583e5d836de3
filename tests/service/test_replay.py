"""Policy replay: recorded decisions judged again under a candidate policy. The expected changes
are worked out from the recorded audit data alone (its JSON facts, its failed rules), not by the
replay's code."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simulated import simulated_registry

import mdreg
from mdreg.domain.application import BusinessType
from mdreg.domain.clock import business_date
from mdreg.rules import EligibilityContext, Instrument, Policy, Rule, Violation
from mdreg.service.replay import ReplayedDecision, replayed, summary
from mdreg.workflows import BASE_POLICY

NOTICE = Instrument("replay_test_notice", "（测试）回放通知", "Replay test notice",
                    effective_from=date(1999, 1, 1))


@attrs.frozen
class Recorded:
    """One recorded decision as the audit log holds it: the brute-force side of the tests."""

    application_id: str
    event: str
    business_type: str
    evaluated: str
    on: date
    rules: tuple[str, ...]  # id@vN
    failed: tuple[str, ...]
    facts: dict[str, Any]


@pytest.fixture(scope="module")
def simulated() -> mdreg.Registry:
    return simulated_registry(physicians=1000, days=60)


@pytest.fixture(scope="module")
def recorded(simulated: mdreg.Registry) -> list[Recorded]:
    found = []
    for _, event in simulated.audit_since(0, 1_000_000):
        if "facts" in event.data:
            facts = json.loads(event.data["facts"][0])
            found.append(Recorded(event.aggregate_id, event.event, facts["application"]["type"],
                                  event.data["evaluated"][0], business_date(event.at),
                                  tuple(event.data["rules"]), tuple(event.data.get("failed", ())),
                                  facts))
    return found


def changed_keys(decisions: list[ReplayedDecision]) -> set[tuple[str, str, date]]:
    return {(d.application_id, d.event, d.on) for d in decisions if d.changed}


def keyed(records: list[Recorded]) -> set[tuple[str, str, date]]:
    return {(r.application_id, r.event, r.on) for r in records}


def within(records: list[Recorded], window: tuple[date | None, date | None]) -> list[Recorded]:
    since, until = window
    return [r for r in records if (since is None or since <= r.on)
            and (until is None or r.on <= until)]


@st.composite
def windows(draw: st.DrawFn, days: list[date]) -> tuple[date | None, date | None]:
    since = draw(st.none() | st.sampled_from(days))
    until = draw(st.none() | st.sampled_from([d for d in days if since is None or d >= since]))
    return since, until


def test_the_simulation_records_thousands_of_decisions_and_refusals_on_rules(
        recorded: list[Recorded]) -> None:
    refused = [r for r in recorded if r.failed]
    assert len(recorded) >= 2000
    assert len(refused) >= 20 and len({rule for r in refused for rule in r.failed}) >= 5
    assert any(len(r.failed) > 1 for r in refused)  # refused on several rules at once


# -- (a) the policy in force changes nothing ---------------------------------------------------


def test_the_recorded_policy_changes_no_verdict(simulated: mdreg.Registry,
                                                recorded: list[Recorded]) -> None:
    report = simulated.replay(BASE_POLICY)
    assert (report.replayed, report.changed, report.reasons_changed) == (len(recorded), 0, 0)
    assert report.examples == () and not report.newly_failing and not report.no_longer_failing


@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_the_same_policy_changes_nothing_in_any_period(simulated: mdreg.Registry,
                                                       recorded: list[Recorded],
                                                       data: st.DataObject) -> None:
    window = data.draw(windows(sorted({r.on for r in recorded})))
    same = BASE_POLICY.with_changes("candidate")
    decisions = list(replayed(simulated.services, same, since=window[0], until=window[1]))
    assert len(decisions) == len(within(recorded, window))
    assert [d.failed_after for d in decisions] == [d.failed_before for d in decisions]


# -- (b) a rule taken out ----------------------------------------------------------------------


def without(policy: Policy, rule_id: str) -> Policy:
    """``policy`` without the rule ``rule_id`` anywhere (also a verified rule, which a policy
    cannot switch off)."""
    table = {key: tuple(r for r in rules if r.id != rule_id) for key, rules in policy.rules.items()}
    return Policy(f"without {rule_id}", table, policy.parameters, policy.switched_off)


@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_taking_a_rule_out_passes_exactly_the_decisions_it_alone_refused(
        simulated: mdreg.Registry, recorded: list[Recorded], data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(sorted({f for r in recorded for f in r.failed})))
    window = data.draw(windows(sorted({r.on for r in recorded if r.failed})))
    candidate = without(BASE_POLICY, rule)
    decisions = list(replayed(simulated.services, candidate, since=window[0], until=window[1]))
    period = within(recorded, window)
    alone = [r for r in period if r.failed == (rule,)]
    among = [r for r in period if rule in r.failed]
    assert changed_keys(decisions) == keyed(alone)
    report = summary(decisions, candidate, *window)
    assert (report.changed, report.now_passing, report.now_refused) == (len(alone), len(alone), 0)
    assert report.reasons_changed == len(among) - len(alone)
    assert dict(report.by_type) == dict(Counter(r.business_type for r in alone))
    assert dict(report.no_longer_failing) == ({rule: len(among)} if among else {})
    assert not report.newly_failing


# -- (c) a rule added --------------------------------------------------------------------------


@attrs.frozen
class FailsWhen(Rule):
    """Fails where ``test`` holds of the facts."""

    id = "replay_test.fails_when"
    label = "测试：条件成立"
    title = "Replay test: fails where a test holds"
    citations = (NOTICE.article("第一条"),)
    test: Callable[[EligibilityContext], bool]

    def check(self, ctx: EligibilityContext) -> Iterator[Violation]:
        if self.test(ctx):
            yield self.violation("测试条件成立", "the test holds")


#: A drawn rule and the same test read from the recorded JSON facts.
Added = tuple[Rule[Any], Callable[[dict[str, Any]], bool]]


@st.composite
def added_rules(draw: st.DrawFn, recorded: list[Recorded]) -> Added:
    if draw(st.booleans()):
        ids = sorted({r.facts["institution"]["id"] for r in recorded})
        listed = frozenset(draw(st.lists(st.sampled_from(ids), min_size=1, max_size=40)))
        return (FailsWhen(lambda ctx: ctx.institution.id in listed),
                lambda facts: facts["institution"]["id"] in listed)
    at_least = draw(st.integers(0, 3))
    return (FailsWhen(lambda ctx: len(ctx.registrations) >= at_least),
            lambda facts: len(facts["registrations"]) >= at_least)


@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_adding_a_rule_refuses_exactly_the_passed_decisions_it_fails(
        simulated: mdreg.Registry, recorded: list[Recorded], data: st.DataObject) -> None:
    business, event = data.draw(st.sampled_from(sorted({(r.business_type, r.evaluated)
                                                        for r in recorded})))
    rule, fails = data.draw(added_rules(recorded))
    window = data.draw(windows(sorted({r.on for r in recorded})))
    candidate = BASE_POLICY.extend("candidate", {(BusinessType(business), event): (rule,)})
    decisions = list(replayed(simulated.services, candidate, since=window[0], until=window[1]))
    hit = [r for r in within(recorded, window)
           if (r.business_type, r.evaluated) == (business, event) and fails(r.facts)]
    passed = [r for r in hit if not r.failed]
    assert changed_keys(decisions) == keyed(passed)
    report = summary(decisions, candidate, *window)
    assert (report.changed, report.now_refused, report.now_passing) == (len(passed),
                                                                        len(passed), 0)
    assert report.reasons_changed == len(hit) - len(passed)
    assert dict(report.newly_failing) == ({rule.id: len(hit)} if hit else {})
    assert not report.no_longer_failing
    assert all(rule.id in example.failed_after for example in report.examples)


# -- the report ----------------------------------------------------------------------------------


def test_a_changed_parameter_is_replayed_with_the_candidates_value(
        simulated: mdreg.Registry, recorded: list[Recorded]) -> None:
    no_ground = BASE_POLICY.with_changes("no ground", cancellation_grounds=())
    report = simulated.replay(no_ground)
    checked = [r for r in recorded
               if any(key.startswith("cancellation.ground_accepted@") for key in r.rules)]
    passed = [r for r in checked if not r.failed]
    assert len(passed) > 100
    assert (report.changed, report.now_refused) == (len(passed), len(passed))
    assert dict(report.newly_failing) == {"cancellation.ground_accepted": len(checked)}


def test_the_report_is_masked_bounded_and_json(simulated: mdreg.Registry,
                                               recorded: list[Recorded]) -> None:
    rule = FailsWhen(lambda ctx: True)
    candidate = BASE_POLICY.extend("everywhere", {
        (BusinessType.REGISTRATION, "approve"): (rule,), (BusinessType.REGISTRATION, "submit"):
        (rule,)})
    report = simulated.replay(candidate)
    assert report.changed > len(report.examples) == 10
    text = report.to_json()
    assert json.loads(text) == report.to_dict()
    names = {r.facts["physician"]["name"] for r in recorded}
    assert not any(name in text for name in names)
    assert re.search(r"\d{11}", text) is None  # no ID number, no phone
    assert report.to_dict()["examples"][0].keys() == {
        "application_id", "business_type", "event", "evaluated", "date", "failed_before",
        "failed_after"}


def test_the_log_is_read_page_by_page_with_progress(simulated: mdreg.Registry) -> None:
    seen: list[int] = []
    simulated.replay(BASE_POLICY, since=date(2026, 4, 1), until=date(2026, 4, 1),
                     progress=seen.append)
    assert seen == sorted(set(seen)) and seen[-1] == simulated.audit_count()
    assert len(seen) > 10  # thousands of audit events, 500 a page


def test_a_period_ending_before_it_starts_is_refused(simulated: mdreg.Registry) -> None:
    with pytest.raises(mdreg.ValidationError) as refused:
        simulated.replay(BASE_POLICY, since=date(2026, 4, 2), until=date(2026, 4, 1))
    assert refused.value.field == "until" and refused.value.describe().startswith("截止日期")
