"""Eligibility rules with legal citations, and the base policy that groups them per business."""

from __future__ import annotations

from mdreg.domain.application import BusinessType
from mdreg.rules import (
    cancellation,
    change,
    filing,
    practice_location,
    qualification,
    refusal,
    scope,
    target,
    upgrade_military,
)
from mdreg.rules.base import (
    Citation,
    EligibilityContext,
    Instrument,
    Rule,
    Verdict,
    Violation,
    evaluate,
)
from mdreg.rules.policy import PARAMETERS, Parameter, Policy, RuleTable

REGISTRATION_RULES = (
    qualification.RULES + refusal.RULES + practice_location.RULES + scope.RULES
)
UPGRADE_RULES = target.RULES + upgrade_military.UPGRADE_RULES + refusal.RULES
MILITARY_IN_RULES = (
    upgrade_military.MILITARY_IN_RULES
    + qualification.RULES[:1]
    + refusal.RULES
    + practice_location.RULES
    + scope.RULES
)
MILITARY_OUT_RULES = target.RULES
CHANGE_RULES = (
    target.RULES + change.RULES + (practice_location.AssistantCountyLocation(),)
    + scope.RULES + refusal.RULES
)
CANCELLATION_RULES = target.RULES + cancellation.RULES
FILING_RULES = target.RULES + filing.FILING_RULES
FILING_CANCEL_RULES = filing.FILING_CANCEL_RULES
MULTISITE_CANCEL_RULES = filing.LEGACY_RULES

#: Rules checked when an application is submitted, resubmitted, supplemented and approved.
BY_BUSINESS: dict[BusinessType, tuple[Rule, ...]] = {
    BusinessType.REGISTRATION: REGISTRATION_RULES,
    BusinessType.UPGRADE: UPGRADE_RULES,
    BusinessType.MILITARY_IN: MILITARY_IN_RULES,
    BusinessType.MILITARY_OUT: MILITARY_OUT_RULES,
    BusinessType.CHANGE: CHANGE_RULES,
    BusinessType.CANCELLATION: CANCELLATION_RULES,
    BusinessType.FILING: FILING_RULES,
    BusinessType.FILING_CANCEL: FILING_CANCEL_RULES,
    BusinessType.MULTISITE_CANCEL: MULTISITE_CANCEL_RULES,
}
CHECKED_ON = ("submit", "resubmit", "supplement", "approve")


def base_table() -> RuleTable:
    """The base policy's table: every business's rules on every checked event."""
    return {(b, e): rules for b, rules in BY_BUSINESS.items() for e in CHECKED_ON}


BASE_POLICY = Policy("base", base_table())

__all__ = [
    "BASE_POLICY",
    "BY_BUSINESS",
    "PARAMETERS",
    "REGISTRATION_RULES",
    "Citation",
    "EligibilityContext",
    "Instrument",
    "Parameter",
    "Policy",
    "Rule",
    "Verdict",
    "Violation",
    "evaluate",
]
