"""Rule.reads and Rule.accepts: the payload classes a rule reads, from its type argument."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import pytest

from mdreg.domain.application import (
    PAYLOAD_CLASSES,
    ChangeRequest,
    FilingRequest,
    MilitaryInRequest,
    Payload,
    RegistrationRequest,
    UpgradeRequest,
)
from mdreg.errors import RuleDefinitionError
from mdreg.rules import EligibilityContext, Rule, Violation
from mdreg.rules.filing import FilingActive
from mdreg.rules.qualification import QualificationMatchesCategory
from mdreg.rules.refusal import CertificateRevoked, FullCivilCapacity
from mdreg.rules.scope import ScopeCount
from mdreg.rules.upgrade_military import MilitaryProof
from mdreg.workflows import BUILT_IN, BusinessTypeDeclaration

T = TypeVar("T")


def test_a_single_payload_class_is_read() -> None:
    class Upgrades(Rule[UpgradeRequest]):
        def check(self, ctx: EligibilityContext[UpgradeRequest]) -> Iterator[Violation]:
            return iter(())

    assert Upgrades.reads == (UpgradeRequest,)
    assert MilitaryProof.reads == (MilitaryInRequest,)


def test_a_union_gives_its_members_in_order() -> None:
    assert ScopeCount.reads == (RegistrationRequest, MilitaryInRequest, ChangeRequest)
    assert QualificationMatchesCategory.reads == (RegistrationRequest, MilitaryInRequest)


def test_a_rule_of_every_payload_or_of_none_reads_any_payload() -> None:
    class Plain(Rule):
        def check(self, ctx: EligibilityContext) -> Iterator[Violation]:
            return iter(())

    class Everything(Rule[Payload]):
        def check(self, ctx: EligibilityContext[Payload]) -> Iterator[Violation]:
            return iter(())

    class Untyped(Rule[Any]):
        def check(self, ctx: EligibilityContext[Any]) -> Iterator[Violation]:
            return iter(())

    assert Rule.reads == Plain.reads == Everything.reads == Untyped.reads == ()
    assert FullCivilCapacity.reads == CertificateRevoked.reads == ()


def test_a_subclass_reads_what_its_parameterised_parent_reads() -> None:
    class StricterCount(ScopeCount):
        id = "province.scope_count"

    class Parent(Rule[T]):
        def check(self, ctx: EligibilityContext[T]) -> Iterator[Violation]:
            return iter(())

    class Child(Parent[FilingRequest]):
        pass

    assert StricterCount.reads == ScopeCount.reads
    assert Parent.reads == ()
    assert Child.reads == (FilingRequest,)


def test_a_type_argument_that_is_not_a_class_is_refused() -> None:
    with pytest.raises(RuleDefinitionError, match="name payload classes"):
        class Misnamed(Rule["RegistrationRequest"]):
            pass


def test_accepts_the_classes_it_reads_or_any_when_it_reads_none() -> None:
    assert ScopeCount.accepts(ChangeRequest)
    assert ScopeCount().accepts(RegistrationRequest)
    assert not ScopeCount.accepts(UpgradeRequest)
    assert not MilitaryProof.accepts(RegistrationRequest)
    assert not FilingActive.accepts(FilingRequest)
    assert all(FullCivilCapacity.accepts(cls) for cls in PAYLOAD_CLASSES.values())


@pytest.mark.parametrize("declaration", BUILT_IN, ids=lambda d: d.business.value)
def test_every_rule_of_a_business_type_accepts_its_payload_class(
        declaration: BusinessTypeDeclaration[Any]) -> None:
    refused = [rule.id for rules in declaration.rules.values() for rule in rules
               if not rule.accepts(declaration.payload)]
    assert refused == []
