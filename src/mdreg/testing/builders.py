"""Reference data in a few lines: departments, institutions and physicians for tests and demos.

>>> import mdreg
>>> from datetime import UTC, datetime
>>> from mdreg.testing import World
>>> clock = mdreg.FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC))  # deadlines need calendar data
>>> world = World(mdreg.open("memory://", ids=mdreg.SequentialIds(), clock=clock))
>>> hospital = world.institution("110105")
>>> doctor = world.physician()
>>> hospital.division, world.registry.institution(hospital.id).approved_by
(DivisionCode('110105'), 'D110105')
>>> registration = world.registration(doctor, hospital)
>>> registration.location, registration.is_valid
(DivisionCode('110000'), True)
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import TypeVar

from stdnum.cn import ric

from mdreg.domain.account import Account
from mdreg.domain.application import (
    Actor,
    Application,
    Evidence,
    FilingRequest,
    RegistrationRequest,
)
from mdreg.domain.clock import business_date
from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import (
    Category,
    CivilCapacity,
    Filing,
    HealthDepartment,
    Institution,
    InstitutionKind,
    LegacySite,
    Level,
    Physician,
    Qualification,
    Record,
    Registration,
)
from mdreg.errors import NotFoundError
from mdreg.rules.scope import SCOPES
from mdreg.service.registry import Registry

Row = TypeVar("Row", Registration, Filing)


_NUMERALS = str.maketrans("0123456789", "零一二三四五六七八九")


def chinese_name(n: int, stem: str = "医师") -> str:
    """A real name for test data (no digits: a real name holds none).

    >>> chinese_name(105)
    '医师一零五'
    """
    return f"{stem}{str(n).translate(_NUMERALS)}"


def make_id_number(region: str, born: date, sequence: int) -> ResidentId:
    """A valid resident ID number for ``region`` (6 digits), birth date and sequence (0–999)."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return ResidentId.parse(body + ric.calc_check_digit(body + "0"))


class World:
    """Adds reference data to a registry with sensible defaults; every call commits."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._n = count(1)

    def department(self, code: str, name: str = "") -> HealthDepartment:
        """The health department of division ``code`` (created once, id ``D<code>``)."""
        division = DivisionCode(code)
        department = HealthDepartment(f"D{code}", name or f"{code}卫生健康委员会", division)
        self.registry.load(departments=[department])
        return department

    def institution(
        self,
        code: str,
        *,
        kind: InstitutionKind = InstitutionKind.MEDICAL,
        approved_by: str = "",
        departments: tuple[str, ...] = ("内科", "外科"),
        auto_activation: bool = False,
    ) -> Institution:
        """An institution in division ``code``, approved by that division's department."""
        department = approved_by or self.department(code).id
        n = next(self._n)
        institution = Institution(
            f"I{n:05d}", f"第{n}医院", DivisionCode(code), kind, department, departments,
            auto_activation,
        )
        self.registry.load(institutions=[institution])
        return institution

    def physician(
        self,
        *,
        level: Level = Level.PHYSICIAN,
        category: Category = Category.CLINICAL,
        qualified_on: date = date(2025, 9, 1),
        records: tuple[Record, ...] = (),
        civil_capacity: CivilCapacity = CivilCapacity.FULL,
        extra_qualifications: tuple[Qualification, ...] = (),
        born: date = date(1995, 5, 17),
        name: str = "",
        account: bool = True,
        qualification: Qualification | None = None,
    ) -> Physician:
        """A physician with one qualification ``Q<id>`` — or ``qualification`` — plus any extra
        ones.

        With ``account`` (the default) the physician also gets an ACTIVE portal account
        ``U<id>`` (login ``user<id>``), imported as reference data: no password hashing, so it
        costs nothing, and the physician may submit applications at once (R-ACC-2).
        """
        n = next(self._n)
        physician = Physician(
            id=f"P{n:06d}",
            name=name or chinese_name(n),
            id_number=make_id_number("110105", born, n % 1000),
            qualifications=(
                qualification or Qualification(f"Q{n:06d}", level, category, qualified_on),
                *extra_qualifications,
            ),
            civil_capacity=civil_capacity,
            records=records,
        )
        accounts = [Account.imported(f"U{physician.id}", physician.id,
                                     f"user{physician.id.lower()}",
                                     at=self.registry.clock.now())] if account else []
        self.registry.load(physicians=[physician], accounts=accounts)
        return physician

    def approve(self, application: Application) -> Application:
        """Take a submitted application through 机构确认 → 受理 → 准予, each by its routed party."""
        institution = Actor.institution(application.institution_id)
        department = Actor.authority(application.department_id)
        self.registry.fire(application.id, "confirm", institution)
        self.registry.fire(application.id, "accept", department)
        return self.registry.fire(application.id, "approve", department)

    def registration(
        self,
        physician: Physician,
        institution: Institution,
        *,
        qualification_no: str = "",
        scopes: tuple[str, ...] = (),
        evidence: Evidence | None = None,
        county_approved: bool = False,
    ) -> Registration:
        """Run a 注册 of ``physician`` at ``institution`` to approval; return the new registration.

        The qualification defaults to the physician's first one and the scope to the first scope
        of its category.

        Raises:
            MdregError: whatever the registry raises when the 注册 is refused on the way.
        """
        number = qualification_no or physician.qualifications[0].certificate_no
        held = physician.qualification(number)
        category = held.category if held is not None else Category.CLINICAL
        request = RegistrationRequest(
            institution.id, number, scopes or SCOPES[category][:1], evidence=evidence or Evidence(),
            county_approved=county_approved,
        )
        app = self.registry.apply(Actor.physician(physician.id), request)
        if county_approved and len(request.scopes) > 1:  # the county department approves them
            county = self.department(institution.division.code)
            app = self.registry.approve_scopes(app.id, Actor.authority(county.id))
        approved = self.approve(app)
        return self._created(self.registry.registrations(physician.id), approved)

    def filing(
        self,
        registration: Registration,
        institution: Institution,
        *,
        scopes: tuple[str, ...] = (),
        valid_from: date | None = None,
        valid_to: date | None = None,
    ) -> Filing:
        """Run a 多执业机构备案 of ``institution`` under ``registration`` to approval.

        Defaults: the registration's first scope, valid from today (Beijing time) for a year.
        """
        start = valid_from or business_date(self.registry.clock.now())
        request = FilingRequest(
            registration.id, institution.id, scopes or registration.scopes[:1],
            valid_from=start, valid_to=valid_to or start + timedelta(days=364),
        )
        approved = self.approve(
            self.registry.apply(Actor.physician(registration.physician_id), request)
        )
        return self._created(self.registry.filings(registration.physician_id), approved)

    def legacy_site(
        self,
        registration: Registration,
        institution: Institution,
        *,
        started_on: date = date(2016, 1, 4),
    ) -> LegacySite:
        """Load a legacy 多地点执业 record under ``registration`` as reference data.

        No command creates legacy records (R-LEG-1) and :meth:`Registry.load` takes none, so the
        kit writes it through the registry's own unit of work, as a data import would.
        """
        site = LegacySite(
            f"L{next(self._n):05d}", registration.physician_id, registration.id, institution.id,
            started_on,
        )
        with self.registry.services.uow() as uow:
            uow.legacy.put(site)
            uow.commit()
        return site

    @staticmethod
    def _created(rows: tuple[Row, ...], application: Application) -> Row:
        for row in rows:
            if row.application_id == application.id:
                return row
        raise NotFoundError("row created by application", application.id)
