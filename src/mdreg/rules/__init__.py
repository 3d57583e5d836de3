"""Eligibility rules with legal citations, and the base policy that groups them."""

from __future__ import annotations

from mdreg.domain.application import BusinessType
from mdreg.rules import practice_location, qualification, refusal
from mdreg.rules.base import (
    Citation,
    EligibilityContext,
    Instrument,
    Rule,
    Verdict,
    Violation,
    evaluate,
)
from mdreg.rules.policy import Policy

REGISTRATION_RULES = qualification.RULES + refusal.RULES + practice_location.RULES

BASE_POLICY = Policy(
    "base",
    {
        (BusinessType.REGISTRATION, "submit"): REGISTRATION_RULES,
        (BusinessType.REGISTRATION, "resubmit"): REGISTRATION_RULES,
        (BusinessType.REGISTRATION, "approve"): REGISTRATION_RULES,
    },
)

__all__ = [
    "BASE_POLICY",
    "REGISTRATION_RULES",
    "Citation",
    "EligibilityContext",
    "Instrument",
    "Policy",
    "Rule",
    "Verdict",
    "Violation",
    "evaluate",
]
