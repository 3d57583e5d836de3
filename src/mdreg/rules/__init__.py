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


def __getattr__(name: str) -> object:
    """``BASE_POLICY`` moved to :mod:`mdreg.workflows` (it is built from the declarations)."""
    if name == "BASE_POLICY":
        from mdreg.workflows import BASE_POLICY

        return BASE_POLICY
    raise AttributeError(name)


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
