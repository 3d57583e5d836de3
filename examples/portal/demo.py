"""The demo province the portal starts with: two health commissions' jurisdictions, three
hospitals, physicians in several situations, and the staff users who log in for the
institutions and the departments.

Everything here is synthetic: the resident ID numbers are generated with valid check digits for
people who do not exist. :data:`NEWCOMERS` are the name and ID number a visitor signs up with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric

import mdreg
from mdreg import (
    Actor,
    Assessment,
    AssessmentResult,
    Category,
    DivisionCode,
    HashProfile,
    HealthDepartment,
    Institution,
    InstitutionKind,
    Level,
    LoginThrottle,
    Physician,
    Qualification,
    Registration,
    ResidentId,
)

from .auth import StaffDirectory, StaffUser

CHAOYANG, CHANGAN = DivisionCode("110105"), DivisionCode("130102")

DEPARTMENTS = (
    HealthDepartment("D110105", "北京市朝阳区卫生健康委员会", CHAOYANG),
    HealthDepartment("D130102", "石家庄市长安区卫生健康委员会", CHANGAN),
)
INSTITUTIONS = (
    Institution("I11001", "北京市朝阳区示范医院", CHAOYANG, InstitutionKind.MEDICAL, "D110105",
                ("内科", "外科", "儿科", "急诊科")),
    Institution("I11002", "北京市朝阳区示范社区卫生服务中心", CHAOYANG, InstitutionKind.MEDICAL,
                "D110105", ("全科医学科", "预防保健科"), auto_activation=True),
    Institution("I13001", "石家庄市长安区示范医院", CHANGAN, InstitutionKind.MEDICAL, "D130102",
                ("内科", "外科", "妇产科")),
)


def _id_number(region: str, born: date, serial: int) -> ResidentId:
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return ResidentId.parse(body + ric.calc_check_digit(body + "0"))


@dataclass(frozen=True)
class Newcomer:
    """A physician in the registry without a portal account: what a visitor signs up with."""

    name: str
    id_number: str
    qualification_no: str
    situation: str


#: 张三 holds a valid registration at 朝阳区示范医院 (which issues his activation code); 李四 passed
#: the exam and was never registered (he activates with his qualification certificate number);
#: 赵六 is registered at the community centre, which activates accounts automatically.
NEWCOMERS = (
    Newcomer("张三", _id_number("110105", date(1990, 3, 8), 11).value, "201911110105001",
             "已在北京市朝阳区示范医院注册，由该机构发放激活码"),
    Newcomer("李四", _id_number("110105", date(1996, 7, 21), 23).value, "202511110105002",
             "新取得医师资格，尚未注册，以资格证书编码激活"),
    Newcomer("赵六", _id_number("130102", date(1988, 11, 2), 35).value, "201611130102003",
             "已在朝阳区示范社区卫生服务中心注册，机构已开启自动激活"),
)

#: Physicians who already use the portal (login name, password): 王五 is registered at the
#: Beijing hospital, 孙七 is newly qualified.
PHYSICIAN_LOGINS = {"wangwu": "Wangwu#2026", "sunqi": "Sunqi#2026"}

#: The configured staff users of the demo (login name → what they act as).
STAFF = (
    StaffUser("cy_hospital", "Hospital#2026", "institution", "I11001", "人事科", "北京市朝阳区示范医院"),
    StaffUser("cy_center", "Center#2026", "institution", "I11002", "医务科",
              "北京市朝阳区示范社区卫生服务中心"),
    StaffUser("ca_hospital", "Hospital#2026", "institution", "I13001", "医务科", "石家庄市长安区示范医院"),
    StaffUser("cy_officer", "Officer#2026", "authority", "D110105", "张科员", "北京市朝阳区卫生健康委员会"),
    StaffUser("ca_officer", "Officer#2026", "authority", "D130102", "李科员", "石家庄市长安区卫生健康委员会"),
)


def _qualification(number: str, obtained: date, level: Level = Level.PHYSICIAN) -> Qualification:
    return Qualification(number, level, Category.CLINICAL, obtained)


def _registration(rid: str, physician: Physician, institution: Institution, on: date) -> Registration:
    held = physician.qualifications[0]
    return Registration(rid, physician.id, held.certificate_no, held.level, held.category, ("内科专业",),
                        DivisionCode(institution.division.code[:2] + "0000"), institution.id,
                        institution.approved_by, on, f"1101{rid[1:]:0>11}")


def seed(registry: mdreg.Registry, *, profile: HashProfile | None = None,
         throttle: LoginThrottle | None = None) -> StaffDirectory:
    """Load the demo province into ``registry`` (once: a registry that has it is left as it is)
    and return the staff users (their passwords hashed with ``profile``, production Argon2id
    by default)."""
    staff = StaffDirectory.of(STAFF, profile, throttle)
    try:
        registry.institution(INSTITUTIONS[0].id)
    except mdreg.NotFoundError:
        _load(registry)
    return staff


def _load(registry: mdreg.Registry) -> None:
    zhang, li, zhao = (
        Physician(f"P{n}", who.name, ResidentId.parse(who.id_number),
                  (_qualification(who.qualification_no, date(year, 9, 1)),))
        for n, who, year in zip((1001, 1002, 1003), NEWCOMERS, (2019, 2025, 2016), strict=True))
    wang = Physician("P1004", "王五", _id_number("110105", date(1985, 1, 15), 47),
                     (_qualification("201511110105004", date(2015, 9, 1)),))
    sun = Physician("P1005", "孙七", _id_number("130102", date(1997, 4, 30), 59),
                    (_qualification("202511130102005", date(2025, 9, 1)),))
    hospital, centre = INSTITUTIONS[0], INSTITUTIONS[1]
    registry.load(
        departments=DEPARTMENTS, institutions=INSTITUTIONS,
        physicians=(zhang, li, zhao, wang, sun),
        registrations=(_registration("R1001", zhang, hospital, date(2020, 3, 2)),
                       _registration("R1003", zhao, centre, date(2017, 3, 1)),
                       _registration("R1004", wang, hospital, date(2016, 3, 1))),
        assessments=(Assessment("AS1004", wang.id, "2021-2023", AssessmentResult.PASSED,
                                date(2024, 3, 15), hospital.id),),
    )
    phones = {"wangwu": "13900001004", "sunqi": "13900001005"}
    for (login, password), physician in zip(PHYSICIAN_LOGINS.items(), (wang, sun), strict=True):
        registry.accounts.sign_up(name=physician.name, id_number=physician.id_number, login_name=login,
                                  password=password, phone=phones[login])
        me = Actor.physician(physician.id)
        registry.accounts.send_phone_code(me)
        registry.accounts.verify_phone(me, _last_code(registry, phones[login]))
    registry.accounts.issue_activation_code(Actor.institution(hospital.id, user="人事科"), wang.id)
    registry.accounts.activate(Actor.physician(wang.id), _last_code(registry, phones["wangwu"]))
    registry.accounts.activate_with_qualification(Actor.physician(sun.id),
                                                  sun.qualifications[0].certificate_no)
    for message in registry.accounts.pending_messages():
        registry.accounts.mark_sent(message.id)


def _last_code(registry: mdreg.Registry, to: str) -> str:
    body = [m.body for m in registry.accounts.pending_messages(limit=500) if m.to == to][-1]
    found = re.search(r"：(\d{6})", body)
    assert found is not None
    return found.group(1)
