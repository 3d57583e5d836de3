"""Eligibility rules with legal citations, policies and their parameters.

Which rules a business type checks on which event is declared with the type
(:mod:`mdreg.workflows`); the base policy is built there from the declarations.
"""

from __future__ import annotations

from mdreg.rules.base import (
    Citation,
    EligibilityContext,
    Instrument,
    Rule,
    Verdict,
    Violation,
    evaluate,
)
from mdreg.rules.policy import PARAMETERS, Parameter, Policy

__all__ = [
    "PARAMETERS",
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
