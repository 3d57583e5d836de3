"""The lifecycle simulator: a province's applications of all nine types, day by day.

Everything goes through the real :class:`~mdreg.Registry` API — reference data with ``load``,
applications with ``apply``, decisions with ``fire`` — on whatever backend the registry uses. A
seeded random source and a fake clock make a run reproducible: the same seed gives the same report.

The workload is drawn so that two runs of one seed under different policies stay comparable: the
arrivals (how many applications of which business type on which day) come from a random stream
no decision touches, and every arrival, and every party's action on the application it became on a
given day, draws from its own stream, named by the seed, the arrival and the day. A decision that
differs between two policies changes what follows from it, never the draws of anything else.

The workload is a function of the seed alone, whatever the number of worker processes: every
process draws the whole day's arrivals from the same streams and chooses their physicians on the
registry as the previous day left it (the processes wait for each other before anyone acts on
the new applications), then submits those of its own physicians; every other command concerns
one physician's applications, made by the process acting for that physician, in the order one
process would make them. ``--workers`` changes how fast the work is done, not what it is.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import zip_longest
from typing import Any

from mdreg.domain.account import Account, Channel
from mdreg.domain.application import (
    Actor,
    Application,
    BusinessType,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    Evidence,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MilitaryOutRequest,
    MultisiteCancelRequest,
    Payload,
    RegistrationRequest,
    ScopeEvidence,
    UpgradeRequest,
)
from mdreg.domain.calendar import ChineseCalendar, WeekendFallback
from mdreg.domain.clock import FakeClock, business_date
from mdreg.domain.model import (
    Institution,
    LegacySite,
    Level,
    Physician,
    Registration,
    practice_location,
)
from mdreg.errors import IneligibleError, MdregError
from mdreg.infra.security import SecuritySettings
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.simulation.province import SCOPE_BY_CATEGORY, Province, generate

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing
OPEN = ("pending_institution", "pending_acceptance", "under_review", "returned",
        "needs_correction", "draft")
SIMULATED_PASSWORD = "Zs9#kq2!vm"  # noqa: S105 - every simulated newcomer's password
#: The daily chance that a physician with a registration lost both contacts (institution-
#: assisted recovery).
RECOVERY_SHARE = 0.002
#: The commands each kind of event usually takes (a sign-up's four steps, a recovery's three,
#: an application's submission and the parties' actions on it, refusals included), by which
#: physicians are shared between worker processes.
SIGN_UP_COMMANDS, RECOVERY_COMMANDS, ARRIVAL_COMMANDS = 4, 3, 3
TYPE_WEIGHTS = {
    BusinessType.REGISTRATION: 30, BusinessType.CHANGE: 14, BusinessType.FILING: 14,
    BusinessType.CANCELLATION: 8, BusinessType.UPGRADE: 8, BusinessType.FILING_CANCEL: 6,
    BusinessType.MILITARY_IN: 4, BusinessType.MILITARY_OUT: 2, BusinessType.MULTISITE_CANCEL: 4,
}


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate."""

    physicians: int = 200
    days: int = 30
    seed: int = 0
    province: str = "330000"
    daily_rate: float = 0.03


@dataclass
class Tally:
    """What happened, collected while the simulation runs."""

    refusals: Counter[str] = field(default_factory=Counter)  # by rule id
    errors: Counter[str] = field(default_factory=Counter)  # by error class
    refused: Counter[str] = field(default_factory=Counter)  # refused commands, by business type
    failed: Counter[str] = field(default_factory=Counter)  # other failed commands, by business type
    flows: Counter[tuple[str, str]] = field(default_factory=Counter)
    backlog: list[dict[str, int]] = field(default_factory=list)
    commands: int = 0
    command_seconds: float = 0.0
    decided: list[Application] = field(default_factory=list)
    accounts: Counter[str] = field(default_factory=Counter)
    notices: list[int] = field(default_factory=list)  # notice messages delivered, per day
    by_worker: list[int] = field(default_factory=list)  # commands made by each worker process


class Simulation:
    """One simulated province on one registry."""

    def __init__(self, registry: Registry, config: SimulationConfig,
                 on_day: Callable[[int], None] | None = None, *, worker: int = 0,
                 workers: int = 1, planned: Callable[[], None] | None = None) -> None:
        if not isinstance(registry.clock, FakeClock):
            raise TypeError("the simulation needs a registry on a FakeClock")
        self.registry, self.config, self.clock = registry, config, registry.clock
        self.rng = random.Random(config.seed * 1009)  # noqa: S311 - arrivals only
        self.worker, self.workers = worker, workers
        self.tally = Tally()
        self.on_day = on_day or (lambda _day: None)
        #: called when the day's applications are in, before anyone acts on them: the worker
        #: processes wait there for each other (see the module's documentation)
        self.planned = planned or (lambda: None)
        self.apps: dict[str, Application] = {}
        self.arrival_of: dict[str, str] = {}  # application id → the arrival that created it
        self.day = 0
        self.received: set[str] = set()  # applications whose paper materials are in
        self.province: Province = generate(config.province, config.physicians, config.seed,
                                           business_date(START))
        self.by_id: dict[str, Physician] = {p.id: p for p in self.province.physicians}
        self.institutions = self.province.institutions
        #: the process acting for each physician seen so far, and the commands each process's
        #: events are expected to take
        self.owners: dict[str, int] = {}
        self.expected = [0] * workers
        self.registrations, self.legacy = existing_registry(self.province, config.seed)
        self.legacy_holders = sorted({r.physician_id for r in self.legacy})
        self.newcomers = [p for p in self.province.physicians if _newcomer(p)]
        #: physicians chosen for a 多执业机构备案, in the order of their arrivals (every process
        #: chooses the same)
        self.filers: list[str] = []
        self.accounts = Accounts(registry, settings=SecuritySettings.for_tests())

    # -- running ------------------------------------------------------------------------------

    def run(self, load: bool = True) -> Tally:
        """Load the province (unless another process did), then simulate ``config.days`` days."""
        self.clock.set(START - timedelta(days=1))
        if load:
            self.load()
        for day in range(self.config.days):
            self.clock.set(START + timedelta(days=day))
            self.day = day
            self._sign_ups(day)
            self._recoveries(day)
            self._new_applications()
            self.planned()
            self._institutions_act()
            self._departments_act()
            self._applicants_act()
            self._deliver_notices()
            self._snapshot(day)
            self.on_day(day)
        return self.tally

    def _command(self, business: BusinessType, call: Callable[[], Application]
                 ) -> Application | None:
        """Run one registry command on an application of type ``business``, counting it and
        what refused it."""
        self.tally.commands += 1
        started = time.perf_counter()
        try:
            app = call()
        except IneligibleError as refused:
            self.tally.refusals.update(refused.rule_ids)
            self.tally.refused[business.value] += 1
            return None
        except MdregError as error:
            self.tally.errors[type(error).__name__] += 1
            self.tally.failed[business.value] += 1
            return None
        finally:
            self.tally.command_seconds += time.perf_counter() - started
        before = self.apps.get(app.id)
        self.tally.flows[(before.state if before else "new", app.state)] += 1
        self.apps[app.id] = app
        if app.decided_at is not None and app.state in ("approved", "rejected"):
            self.tally.decided.append(app)
        return app

    # -- reference data -----------------------------------------------------------------------

    def load(self) -> None:
        """Reference data, an existing registry for about half of the physicians, and migrated
        active accounts for everyone but the newcomers, who sign up during the simulation."""
        province = self.province
        self.registry.import_registry(
            departments=province.departments, institutions=province.institutions,
            physicians=province.physicians, registrations=self.registrations, legacy=self.legacy)
        accounts = [Account.imported(f"U{p.id}", p.id, f"user{p.id.lower()}", at=START)
                    for p in province.physicians if not _newcomer(p)]
        self.registry.load(accounts=accounts)

    # -- accounts -----------------------------------------------------------------------------

    def _sign_ups(self, day: int) -> None:
        """Newcomers sign up, verify their phone and activate through one of the four paths."""
        due = [p for n, p in enumerate(self.newcomers)
               if n % max(1, self.config.days) == day]
        for physician in due:
            if not self._mine(physician.id, SIGN_UP_COMMANDS):
                continue
            for name, step in self._sign_up_steps(physician):
                if not self._account_step(step):
                    break
                self.tally.accounts[name] += 1

    def _sign_up_steps(self, physician: Physician) -> list[tuple[str, Callable[[], object]]]:
        me = Actor.physician(physician.id)
        phone = f"139{int(physician.id[1:]):08d}"

        def sign_up() -> object:
            return self.accounts.sign_up(
                name=physician.name, id_number=physician.id_number,
                login_name=f"new{physician.id.lower()}", password=SIMULATED_PASSWORD, phone=phone)

        return [
            ("signed_up", sign_up),
            ("code_sent", lambda: self.accounts.send_phone_code(me)),
            ("phone_verified", lambda: self.accounts.verify_phone(me, self._code_for(phone))),
            ("activated", lambda: self._activate(me, physician, phone)),
        ]

    def _recoveries(self, day: int) -> None:
        """A physician who lost both contacts (about 1 in 500 a day with a valid registration):
        the primary institution checks identity and replaces the phone, then the physician
        recovers the password with a code to the new phone."""
        rng = self.draws(f"recoveries/{day}")
        for registration in self.registrations:
            if _newcomer(self.by_id[registration.physician_id]):
                continue
            lost = rng.random() < RECOVERY_SHARE  # drawn for every physician, by every process
            if not lost or not self._mine(registration.physician_id, RECOVERY_COMMANDS):
                continue
            for name, step in self._recovery_steps(registration, day):
                if not self._account_step(step):
                    break
                self.tally.accounts[name] += 1

    def _recovery_steps(self, registration: Registration, day: int
                        ) -> list[tuple[str, Callable[[], object]]]:
        physician_id = registration.physician_id
        login = f"user{physician_id.lower()}"
        phone = f"138{int(physician_id[1:]):04d}{day % 10_000:04d}"
        officer = Actor.institution(registration.primary_institution_id, user="人事科")
        return [
            ("contact_replaced", lambda: self.accounts.replace_contact(
                officer, physician_id, phone=phone, checked="现场核验居民身份证原件")),
            ("recovery_started", lambda: self.accounts.start_recovery(login)),
            ("password_recovered", lambda: self.accounts.finish_recovery(
                login, self._code_for(phone), SIMULATED_PASSWORD)),
        ]

    def _account_step(self, step: Callable[[], object]) -> bool:
        self.tally.commands += 1
        started = time.perf_counter()
        try:
            step()
        except MdregError as error:
            self.tally.errors[type(error).__name__] += 1
            return False
        finally:
            self.tally.command_seconds += time.perf_counter() - started
        return True

    def _activate(self, me: Actor, physician: Physician, phone: str) -> object:
        valid = [r for r in self.registry.registrations(physician.id) if r.is_valid]
        if not valid:
            return self.accounts.activate_with_qualification(
                me, physician.qualifications[0].certificate_no)
        institution = next(i for i in self.institutions if i.id == valid[0].primary_institution_id)
        if institution.auto_activation:
            return self.accounts.refresh(me)
        self.accounts.issue_activation_code(Actor.institution(institution.id), physician.id)
        return self.accounts.activate(me, self._code_for(phone))

    def _code_for(self, phone: str) -> str:
        """The portal's side: deliver the newest message to ``phone`` and read its code."""
        found = [m for m in self.accounts.pending_messages(limit=1000) if m.to == phone]
        if not found:
            return ""
        message = found[-1]
        self.accounts.mark_sent(message.id)
        match = re.search(r"码：(\d{6})", message.body)
        return match.group(1) if match else ""

    # -- who acts for whom -----------------------------------------------------------------------

    def _mine(self, physician_id: str, weight: int) -> bool:
        """Whether this process acts for ``physician_id``, asked once for each of the
        physician's events (a sign-up, a recovery, an arrival) by every process in the same
        order. A physician goes, at the first event, to the process with the fewest commands
        expected so far (the lowest-numbered among equals), and stays there; each event adds
        ``weight`` (the commands it usually takes) to its process. Every process deals alike,
        having seen the same events, and the work is shared evenly whatever the physicians'
        order (registered and unregistered physicians alternate in it)."""
        owner = self.owners.get(physician_id)
        if owner is None:
            owner = self.owners[physician_id] = min(range(self.workers),
                                                    key=self.expected.__getitem__)
        self.expected[owner] += weight
        return owner == self.worker

    # -- random streams -----------------------------------------------------------------------

    def draws(self, name: str) -> random.Random:
        """The random stream ``name`` (an arrival, or a party's turn on an application on a
        day): the same for a seed, whatever was drawn before."""
        key = f"{self.config.seed}/{name}"
        return random.Random(key)  # noqa: S311 - simulation data

    def _turn(self, app: Application, party: str) -> random.Random:
        """The stream ``party`` draws from when it acts on ``app`` today."""
        return self.draws(f"{self.arrival_of.get(app.id, app.id)}/{self.day}/{party}")

    # -- applicants ---------------------------------------------------------------------------

    def _new_applications(self) -> None:
        """The day's arrivals, for the whole province: each process draws them all and chooses
        their physicians alike, and submits those of its own physicians."""
        count = sum(self.rng.random() < self.config.daily_rate for _ in self.province.physicians)
        types, weights = zip(*TYPE_WEIGHTS.items(), strict=True)
        for n in range(count):
            business = self.rng.choices(types, weights=weights)[0]
            arrival = f"arrival {self.day}.{n}"
            rng = self.draws(arrival)
            physician = self._candidate(business, rng)
            if physician is not None and business is BusinessType.FILING:
                self.filers.append(physician.id)
            if physician is None or not self._mine(physician.id, ARRIVAL_COMMANDS):
                continue
            payload = self._payload(business, physician, rng)
            if payload is not None:
                app = self._apply(Actor.physician(physician.id), business, payload)
                if app is not None:
                    self.arrival_of[app.id] = arrival

    def _apply(self, actor: Actor, business: BusinessType, payload: Payload
               ) -> Application | None:
        def apply() -> Application:
            return self.registry.apply(actor, payload)

        return self._command(business, apply)

    def _candidate(self, business: BusinessType, rng: random.Random) -> Physician | None:
        """A physician of the province for whom ``business`` is plausible (sometimes not, on
        purpose), chosen on what the registry holds before today's decisions: the same in
        every process."""
        pool = self.province.physicians
        if not pool:
            return None
        if business is BusinessType.UPGRADE:
            pool = [p for p in pool if len(p.qualifications) > 1] or pool
        elif business is BusinessType.MULTISITE_CANCEL:
            pool = [self.by_id[i] for i in self.legacy_holders] or pool
        elif business is BusinessType.FILING_CANCEL:
            pool = [self.by_id[i] for i in self.filers] or pool
        for _ in range(5):
            physician = rng.choice(pool)
            if self._plausible(business, physician) or rng.random() < 0.1:
                return physician
        return None

    def _plausible(self, business: BusinessType, physician: Physician) -> bool:
        """A registered physician asks for a registration, or an unregistered one for anything
        else, only by mistake; a 多执业机构取消备案 needs an active filing."""
        registered = any(r.is_valid for r in self.registry.registrations(physician.id))
        if business in (BusinessType.REGISTRATION, BusinessType.MILITARY_IN):
            return not registered
        if business is BusinessType.FILING_CANCEL:
            return registered and any(f.is_active for f in self.registry.filings(physician.id))
        return registered

    def _payload(self, business: BusinessType, physician: Physician, rng: random.Random
                 ) -> Payload | None:
        registrations = [r for r in self.registry.registrations(physician.id) if r.is_valid]
        qualification = physician.qualifications[0]
        scopes = SCOPE_BY_CATEGORY[qualification.category][:1]
        institution = rng.choice(self.institutions)
        evidence = Evidence(6, True) if rng.random() < 0.7 else Evidence()
        if business is BusinessType.REGISTRATION:
            return RegistrationRequest(institution.id, qualification.certificate_no, scopes,
                                       evidence=evidence)
        if business is BusinessType.MILITARY_IN:
            proof = "军队注册机关证明" if rng.random() < 0.9 else ""
            return MilitaryInRequest(institution.id, qualification.certificate_no, scopes, proof,
                                     military_registered_on=qualification.obtained_on,
                                     military_practice_ended_on=business_date(self.clock.now()),
                                     evidence=evidence)
        if not registrations:
            return None
        registration = rng.choice(registrations)
        return self._on_registration(business, physician, registration, institution, rng)

    def _on_registration(self, business: BusinessType, physician: Physician,
                         registration: Registration, institution: Institution,
                         rng: random.Random) -> Payload | None:
        if business is BusinessType.UPGRADE:
            upgrade = physician.qualifications[-1]
            return UpgradeRequest(registration.id, upgrade.certificate_no)
        if business is BusinessType.MILITARY_OUT:
            return MilitaryOutRequest(registration.id, "某部队医院")
        if business is BusinessType.CHANGE:
            evidence = ScopeEvidence(higher_degree=rng.random() < 0.8)
            scopes = (rng.choice(SCOPE_BY_CATEGORY[registration.category]),)
            return ChangeRequest(registration.id, institution.id, scopes, scope_evidence=evidence)
        if business is BusinessType.CANCELLATION:
            ground = rng.choices(list(CancellationGround), weights=(
                2, 1, 1, 1, 1, 2, 1, 1, 1, 20, 1))[0]
            known = business_date(self.clock.now()) - timedelta(days=rng.randrange(0, 45))
            return CancellationRequest(registration.id, ground, known, details="详见材料")
        if business is BusinessType.FILING:
            today = business_date(self.clock.now())
            return FilingRequest(registration.id, institution.id, registration.scopes,
                                 valid_from=today, valid_to=today + timedelta(days=730))
        if business is BusinessType.FILING_CANCEL:
            active = [f for f in self.registry.filings(physician.id) if f.is_active]
            return FilingCancelRequest(rng.choice(active).id) if active else None
        legacy = [s for s in self.registry.legacy_sites(physician.id) if s.is_active]
        return MultisiteCancelRequest(rng.choice(legacy).id) if legacy else None

    def _applicants_act(self) -> None:
        for app in list(self.apps.values()):
            if app.state not in ("returned", "needs_correction"):
                continue
            rng = self._turn(app, "applicant")
            if app.state == "returned" and rng.random() < 0.5:
                event = "resubmit" if rng.random() < 0.8 else "withdraw"
            elif app.state == "needs_correction" and rng.random() < 0.6:
                event = "supplement"
            else:
                continue
            self._fire(app, event, app.applicant)

    # -- institutions and departments ---------------------------------------------------------

    def _fire(self, app: Application, event: str, actor: Actor, **kw: Any) -> Application | None:
        def fire() -> Application:
            return self.registry.fire(app.id, event, actor, **kw)

        return self._command(app.type, fire)

    def _waiting_at(self, states: tuple[str, ...], party: Callable[[Application], str]) -> set[str]:
        """Parties whose inbox holds one of this simulation's applications: the others' inboxes
        hold nothing it acts on, so they are not read."""
        return {party(a) for a in self.apps.values() if a.state in states}

    def _institutions_act(self) -> None:
        waiting = self._waiting_at(("pending_institution",), lambda a: a.institution_id)
        for institution in self.institutions:
            if institution.id not in waiting:
                continue
            actor = Actor.institution(institution.id, user="人事科")
            for app in self.registry.inbox(actor):
                if self.owners.get(app.physician_id) != self.worker:
                    continue
                rng = self._turn(app, "institution")
                if rng.random() < 0.6:
                    if rng.random() < 0.9:
                        self._fire(app, "confirm", actor)
                    else:
                        self._fire(app, "send_back", actor, reason="材料不全，请补充后重新提交")

    def _departments_act(self) -> None:
        waiting = self._waiting_at(("pending_acceptance", "under_review"), lambda a: a.department_id)
        for department in self.province.departments:
            if department.id not in waiting:
                continue
            actor = Actor.authority(department.id, user="审批科")
            for app in self.registry.inbox(actor):
                if self.owners.get(app.physician_id) != self.worker:
                    continue
                rng = self._turn(app, "department")
                if app.state == "pending_acceptance" and app.id not in self.received:
                    self._receive(app, actor)  # the paper materials arrive first
                elif app.state == "pending_acceptance" and rng.random() < 0.7:
                    self.received.discard(app.id)
                    self._acceptance(app, actor, rng)
                elif app.state == "under_review" and rng.random() < 0.12:
                    self._decide(app, actor, rng)

    def _receive(self, app: Application, actor: Actor) -> None:
        def receive() -> Application:
            return self.registry.receive_materials(app.id, actor)

        if self._command(app.type, receive) is not None:
            self.received.add(app.id)

    def _acceptance(self, app: Application, actor: Actor, rng: random.Random) -> None:
        roll = rng.random()
        if app.corrections and 0.85 <= roll < 0.95:  # corrections are asked for once (R-DL-4)
            roll = 0.0
        if roll < 0.85:
            self._fire(app, "accept", actor)
        elif roll < 0.95:
            self._fire(app, "request_correction", actor, corrections=["医师执业注册申请审核表", "聘用证明"])
        else:
            self._fire(app, "refuse_acceptance", actor, reason="不属于本部门职权范围")

    def _decide(self, app: Application, actor: Actor, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.85:
            if self._fire(app, "approve", actor) is None:  # refused by the rules in force now
                verdict = self.registry.check(app.id, "approve")
                reason = "；".join(v.message for v in verdict.violations) or "不符合条件"
                self._fire(app, "reject", actor, reason=reason)
        elif roll < 0.95:
            self._fire(app, "reject", actor, reason="经审核不符合注册条件")
        else:
            self._fire(app, "return_to_applicant", actor, reason="请补充材料")

    def _deliver_notices(self) -> None:
        """The portal's side: deliver the day's notice messages about this worker's
        applications (a message's ``aggregate_id`` is its notice, ``N-<subject>-<version>``)
        and report them delivered in one transaction."""
        mine = [message.id for message in self.accounts.pending_messages(limit=10_000)
                if message.channel is Channel.NOTICE
                and message.aggregate_id[2:].rpartition("-")[0] in self.apps]
        self.tally.notices.append(self.accounts.mark_sent_many(mine))

    def _snapshot(self, day: int) -> None:
        states = Counter(a.state for a in self.apps.values() if a.state in OPEN)
        self.tally.backlog.append({"day": day, **{s: states.get(s, 0) for s in OPEN}})


def merge(simulation: Simulation, results: list[tuple[Tally, dict[str, Application]]]) -> None:
    """Fold the tallies and applications of worker processes into ``simulation``."""
    total = simulation.tally
    for tally, apps in results:
        total.refusals.update(tally.refusals)
        total.errors.update(tally.errors)
        total.refused.update(tally.refused)
        total.failed.update(tally.failed)
        total.flows.update(tally.flows)
        total.accounts.update(tally.accounts)
        total.commands += tally.commands
        total.by_worker.append(tally.commands)
        total.command_seconds += tally.command_seconds
        total.decided.extend(tally.decided)
        total.notices[:] = [a + b for a, b in zip_longest(total.notices, tally.notices,
                                                          fillvalue=0)]
        simulation.apps.update(apps)
        for day, row in enumerate(tally.backlog):
            if day == len(total.backlog):
                total.backlog.append(dict(row))
            else:
                for key, value in row.items():
                    total.backlog[day][key] += 0 if key == "day" else value


def _newcomer(physician: Physician) -> bool:
    """About one physician in five has no portal account yet and signs up during the run."""
    return int(physician.id[1:]) % 5 == 4


def existing_registry(province: Province, seed: int
                      ) -> tuple[list[Registration], list[LegacySite]]:
    """The registry before the simulation starts: about half of the physicians are registered,
    and one in ten of those keeps a legacy 多地点执业 record. Deterministic for a seed."""
    rng = random.Random(seed + 7)  # noqa: S311 - simulation data
    registrations: list[Registration] = []
    for physician in province.physicians[::2]:
        qualification = physician.qualifications[0]
        options = [i for i in province.institutions
                   if qualification.level is Level.PHYSICIAN or i.division.level == "county"]
        if not options:
            continue
        institution = rng.choice(options)
        registrations.append(Registration(
            f"R{physician.id[1:]}", physician.id, qualification.certificate_no,
            qualification.level, qualification.category,
            SCOPE_BY_CATEGORY[qualification.category][:1],
            practice_location(qualification.level, institution), institution.id,
            institution.approved_by, business_date(START) - timedelta(days=400),
            f"33{physician.id[1:]:0>13}",
        ))
    legacy = [LegacySite(f"L{r.id[1:]}", r.physician_id, r.id,
                         rng.choice(province.institutions).id, r.approved_on)
              for r in registrations[::10]]
    return registrations, legacy


def deadline_compliance(decided: list[Application], working_days: int = 20) -> dict[str, int]:
    """Decisions within ``working_days`` of acceptance (医师法 Art 13: 20, the policy parameter
    ``decision_working_days``), on the statutory calendar.

    Years beyond the calendar data are counted Monday–Friday, and counted in ``fallback_years``.
    """
    calendar = ChineseCalendar(fallback=WeekendFallback())
    met = missed = 0
    for app in decided:
        if app.accepted_at is None or app.decided_at is None:
            continue
        due = calendar.add_workdays(business_date(app.accepted_at), working_days)
        if business_date(app.decided_at) <= due:
            met += 1
        else:
            missed += 1
    return {"due": met + missed, "met": met, "missed": missed, "working_days": working_days,
            "fallback_years": len(calendar.fallback_years)}


def by_type(apps: dict[str, Application]) -> dict[str, dict[str, int]]:
    """type → state → count, for every business type."""
    table: dict[str, dict[str, int]] = {b.value: {} for b in BusinessType}
    counts: defaultdict[tuple[str, str], int] = defaultdict(int)
    for app in apps.values():
        counts[(app.type.value, app.state)] += 1
    for (kind, state), n in sorted(counts.items()):
        table[kind][state] = n
    return table

