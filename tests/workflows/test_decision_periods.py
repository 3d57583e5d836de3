"""The basis of each business type's decision period, by application date.

执业医师法 Art 13 (applications dated up to 2022-02-28): 30 days from receipt — calendar days, the
law says 日; 医师法 Art 13 (from 2022-03-01): 20 working days from acceptance. Business types no
law gives a decision period get the policy's service target, recorded as [I].
"""

from __future__ import annotations

from datetime import date

import pytest

from mdreg.domain.application import BusinessType
from mdreg.domain.deadlines import PeriodStart, PeriodUnit
from mdreg.workflows import BASE_POLICY, DECLARATIONS, declaration_for, periods

LICENCE_TYPES = {BusinessType.REGISTRATION, BusinessType.UPGRADE, BusinessType.MILITARY_IN,
                 BusinessType.CHANGE}


@pytest.mark.parametrize("business", list(DECLARATIONS), ids=[b.value for b in DECLARATIONS])
def test_every_business_type_declares_the_basis_of_its_decision_period(
        business: BusinessType) -> None:
    basis = declaration_for(business).decision_period
    assert basis is not periods.UNDECLARED
    for day in (date(2016, 6, 1), date(2021, 6, 1), date(2022, 3, 1), date(2026, 3, 2)):
        period = basis.on(day, BASE_POLICY.parameters)
        assert period is not None
        assert period.statutory == (business in LICENCE_TYPES)
        assert period.basis.startswith("[I]") != period.statutory


@pytest.mark.parametrize("business", sorted(LICENCE_TYPES, key=lambda b: b.value))
def test_a_licence_decision_takes_30_days_from_receipt_before_2022_and_20_working_days_after(
        business: BusinessType) -> None:
    basis = declaration_for(business).decision_period
    old = basis.on(date(2022, 2, 28), BASE_POLICY.parameters)
    new = basis.on(date(2022, 3, 1), BASE_POLICY.parameters)
    assert (old.length, old.unit, old.counted_from) == (30, PeriodUnit.CALENDAR_DAYS,
                                                        PeriodStart.RECEIPT)
    assert "《中华人民共和国执业医师法》第十" in old.basis and "《中华人民共和国医师法》" not in old.basis
    assert (new.length, new.unit, new.counted_from) == (20, PeriodUnit.WORKING_DAYS,
                                                        PeriodStart.ACCEPTANCE)
    assert "《中华人民共和国医师法》第十" in new.basis and "《中华人民共和国执业医师法》" not in new.basis
