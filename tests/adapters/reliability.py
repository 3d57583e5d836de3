"""Reliability tests with figures (RELIABILITY.md C.1 R-03 … R-06), shared by the backends.

Subclassed by ``test_reliability_memory.py``, ``test_reliability_sqlite.py`` and
``test_reliability_postgres.py``; the fixture hook is ``url``, naming an empty (migrated) store.
Each test records the figures it asserted with ``record_property("figures", …)``; the adapters'
``conftest.py`` prints them at the end of the run.

CI sizes by default; ``MDREG_STRESS=1`` runs the nightly sizes, and each count can be set on its
own: ``MDREG_OPEN_PAIRS`` (R-03), ``MDREG_IDEMPOTENT_ROUNDS`` (R-04), ``MDREG_CRASH_KILLS`` (R-05).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

import mdreg
from mdreg import Actor, Application, FakeClock, SequentialIds
from mdreg.adapters.sql import SqlStore
from mdreg.domain.application import (
    BusinessType,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MilitaryOutRequest,
    MultisiteCancelRequest,
    Payload,
    RegistrationRequest,
    UpgradeRequest,
)
from mdreg.domain.model import Category, Level, Physician, Qualification
from mdreg.domain.throttle import LoginThrottle
from mdreg.errors import IdempotencyConflict, PersistenceError
from mdreg.infra.security import SecuritySettings
from mdreg.infra.serialization import dumps, loads, unstructure
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.testing import World
from mdreg.testing.crash import CRASH_STAGES, consistency, crash_loop
from mdreg.testing.faults import STAGES, InjectedFault, failing_at
from mdreg.testing.killed_migration import KILLED, killed_migration
from mdreg.testing.killed_rotation import killed_rotation
from mdreg.testing.race import idempotent_race, open_race, sql_registry, tail_race
from mdreg.testing.race_claims import claim_race
from mdreg.testing.race_portal import QUOTA, code_race, login_race, quota_race
from mdreg.testing.race_rules import SCENARIOS, rule_race

STRESS = os.environ.get("MDREG_STRESS") == "1"


def _count(name: str, ci: int, stress: int) -> int:
    return int(os.environ.get(name, str(stress if STRESS else ci)))


OPEN_PAIRS = _count("MDREG_OPEN_PAIRS", 10, 50)
IDEMPOTENT_ROUNDS = _count("MDREG_IDEMPOTENT_ROUNDS", 12, 50)
CRASH_KILLS = _count("MDREG_CRASH_KILLS", len(CRASH_STAGES), 50)
TAIL_EVENTS = _count("MDREG_TAIL_EVENTS", 150, 1_000)
RULE_ROUNDS = _count("MDREG_RULE_RACE_ROUNDS", 20, 50)  # X-01 asks for at least 20
SENDS = 100
MAX_ATTEMPTS = 5
TODAY = date(2026, 3, 2)

Figures = Callable[[str, object], None]


# -- one draft of each business type (R-06) ----------------------------------------------------


class Place:
    """Institutions in Beijing 朝阳 and 海淀 and Shanghai 黄浦, each approved by its county."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.beijing = world.institution("110105")
        self.haidian = world.institution("110108")
        self.shanghai = world.institution("310104")

    def case(self, business: BusinessType) -> tuple[Physician, Payload]:
        """A physician and a payload they may apply with, of ``business``."""
        world, doctor = self.world, self.world.physician
        if business is BusinessType.REGISTRATION:
            p = doctor()
            return p, RegistrationRequest(self.haidian.id, p.qualifications[0].certificate_no,
                                          ("内科专业",))
        if business is BusinessType.MILITARY_IN:
            p = doctor()
            return p, MilitaryInRequest(self.shanghai.id, p.qualifications[0].certificate_no,
                                        ("内科专业",), proof_document="原军队注册机关证明",
                                        military_registered_on=date(2025, 9, 1),
                                        military_practice_ended_on=date(2026, 2, 1))
        if business is BusinessType.UPGRADE:
            upgrade = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2025, 9, 1))
            p = doctor(level=Level.ASSISTANT, extra_qualifications=(upgrade,))
            return p, UpgradeRequest(world.registration(p, self.beijing).id, "Q-UP")
        p = doctor()
        registration = world.registration(p, self.beijing)
        payloads: dict[BusinessType, Callable[[], Payload]] = {
            BusinessType.MILITARY_OUT: lambda: MilitaryOutRequest(registration.id, "某部队医院"),
            BusinessType.CHANGE: lambda: ChangeRequest(registration.id, self.haidian.id,
                                                       registration.scopes),
            BusinessType.CANCELLATION: lambda: CancellationRequest(
                registration.id, CancellationGround.OWN_REQUEST, date(2026, 2, 20)),
            BusinessType.FILING: lambda: FilingRequest(
                registration.id, self.haidian.id, registration.scopes, valid_from=TODAY,
                valid_to=date(2027, 3, 1)),
            BusinessType.FILING_CANCEL: lambda: FilingCancelRequest(
                world.filing(registration, self.haidian).id),
            BusinessType.MULTISITE_CANCEL: lambda: MultisiteCancelRequest(
                world.legacy_site(registration, self.haidian).id),
        }
        return p, payloads[business]()


def snapshot(registry: Registry, physician: Physician) -> tuple[Any, ...]:
    """Everything a failed command must leave as it was, as plain data."""
    with registry.services.uow() as uow:
        apps = uow.applications.open_for(physician.id)
        trails = [uow.audit.for_aggregate(a.id) for a in apps]
        outbox = uow.outbox.pending(1000)
    return (registry.audit_count(), unstructure(apps), unstructure(trails),
            unstructure(registry.registrations(physician.id)),
            unstructure(registry.filings(physician.id)),
            unstructure(registry.legacy_sites(physician.id)), unstructure(outbox))


# -- the contract ---------------------------------------------------------------------------------


class ReliabilityContract:
    """R-04 (sequential) and R-06 on any backend."""

    backend = "?"

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError("return a URL naming an empty store")

    @pytest.fixture
    def registry(self, url: str, clock: FakeClock) -> Registry:
        return mdreg.open(url, clock=clock, ids=SequentialIds())

    @pytest.fixture
    def figures(self, record_property: Figures) -> Callable[[str], None]:
        return lambda line: record_property("figures", f"{line} [{self.backend}]")

    def test_r04_a_command_sent_100_times_is_one_transition(
            self, registry: Registry, figures: Callable[[str], None]) -> None:
        """R-04: the same command with the same idempotency key, 100 times in a row."""
        world = World(registry)
        hospital, doctor = world.institution("110105"), world.physician()
        me = Actor.physician(doctor.id)
        request = RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no,
                                      ("内科专业",))
        created = {dumps(registry.apply(me, request, submit=False, idempotency_key="a-1"))
                   for _ in range(SENDS)}
        assert len(created) == 1
        app = loads(created.pop(), Application)
        submitted = {dumps(registry.fire(app.id, "submit", me, idempotency_key="s-1"))
                     for _ in range(SENDS)}
        assert len(submitted) == 1
        stored = registry.application(app.id)
        assert dumps(stored) == next(iter(submitted))
        assert (stored.state, stored.version) == ("pending_institution", 2)
        assert [(e.seq, e.event) for e in registry.history(app.id)] == [(1, "create"),
                                                                        (2, "submit")]
        assert registry.audit_count() == 2
        with pytest.raises(IdempotencyConflict):
            registry.fire(app.id, "withdraw", me, idempotency_key="s-1")
        figures(f"R-04 sequential: {SENDS}x apply + {SENDS}x submit, one key each -> "
                "1 application, 2 transitions, 2 audit events, 1 distinct response per command")

    @staticmethod
    def _submitted(registry: Registry) -> tuple[Application, Actor, Actor]:
        """A submitted 注册: the application, the physician and the institution."""
        world = World(registry)
        hospital, doctor = world.institution("110105"), world.physician()
        me, staff = Actor.physician(doctor.id), Actor.institution(hospital.id)
        app = registry.apply(me, RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        return app, me, staff

    def test_r09_an_application_audit_trail_is_capped(
            self, url: str, clock: FakeClock, figures: Callable[[str], None]) -> None:
        """R-09: with a cap of N = 7 events, event N is appended and event N + 1 refused."""
        cap = 7  # create, submit, two rounds of 机构退回 and 重新提交, confirm = 7 events
        registry = mdreg.open(url, clock=clock, ids=SequentialIds(),
                              limits=mdreg.Limits(audit_events_per_application=cap))
        app, me, staff = self._submitted(registry)
        for _ in range(2):
            registry.fire(app.id, "send_back", staff, reason="材料不全")
            registry.fire(app.id, "resubmit", me)
        app = registry.fire(app.id, "confirm", staff)
        assert len(registry.history(app.id)) == cap
        with pytest.raises(mdreg.LimitExceeded) as refused:
            registry.fire(app.id, "request_correction", Actor.authority(app.department_id),
                          corrections=["聘用证明"])
        assert refused.value.limit == cap
        assert registry.application(app.id) == app  # nothing of the command was kept
        assert len(registry.history(app.id)) == cap
        figures(f"R-09: audit cap {cap} -> event {cap} appended, event {cap + 1} refused "
                f"({type(refused.value).__name__}), application unchanged")

    def test_r09_deadlines_per_subject_are_capped(
            self, url: str, clock: FakeClock, figures: Callable[[str], None]) -> None:
        """R-09: with a cap of M = 3 correction windows, the third opens and the fourth is
        refused (a window opens each time the application waits for acceptance: confirmed,
        supplemented, confirmed again after a return)."""
        cap = 3
        registry = mdreg.open(url, clock=clock, ids=SequentialIds(),
                              limits=mdreg.Limits(deadlines_per_kind=cap))
        app, me, staff = self._submitted(registry)
        authority = Actor.authority(app.department_id)
        for event, actor in (("confirm", staff), ("receive_materials", authority),
                             ("request_correction", authority), ("supplement", me),
                             ("receive_materials", authority), ("accept", authority),
                             ("return_to_applicant", authority), ("resubmit", me),
                             ("confirm", staff), ("receive_materials", authority)):
            if event == "receive_materials":
                registry.receive_materials(app.id, actor)
            else:
                registry.fire(app.id, event, actor, reason="执业范围填写有误",
                              corrections=["聘用证明"])
        windows = [d for d in registry.deadlines(app.id) if d.kind.value == "correction_window"]
        assert len(windows) == cap
        registry.fire(app.id, "request_correction", authority, corrections=["聘用证明"])
        app = registry.fire(app.id, "supplement", me)
        with pytest.raises(mdreg.LimitExceeded):
            registry.receive_materials(app.id, authority)
        assert registry.application(app.id) == app
        assert len([d for d in registry.deadlines(app.id)
                    if d.kind.value == "correction_window"]) == cap
        figures(f"R-09: deadline cap {cap} per kind -> deadline {cap} opened, {cap + 1} refused, "
                "application unchanged")

    def test_s12_every_audit_timestamp_is_aware_utc(self, registry: Registry, clock: FakeClock,
                                                    figures: Callable[[str], None]) -> None:
        """S-12: an application through to approval, a refused command and a portal sign-up;
        then every audit event of every aggregate is read back."""
        app, me, staff = self._submitted(registry)
        authority = Actor.authority(app.department_id)
        registry.fire(app.id, "confirm", staff)
        registry.fire(app.id, "request_correction", authority, corrections=["聘用证明"])
        registry.fire(app.id, "supplement", me)
        app = registry.fire(app.id, "accept", authority)
        clock.advance(hours=30)
        registry.fire(app.id, "approve", authority)
        with pytest.raises(mdreg.MdregError):
            registry.fire(app.id, "withdraw", me)  # refused: nothing to record
        newcomer = World(registry).physician(account=False)
        Accounts(registry, settings=SecuritySettings.for_tests()).sign_up(
            name=newcomer.name, id_number=newcomer.id_number, login_name="s12-newcomer",
            password="Zs9#kq2!vm-s12", phone="13800138000")
        events = [event for _, event in registry.audit_since(0, 10_000)]
        assert len(events) >= 8  # create … approve (7), sign-up (1)
        assert all(e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in events)
        figures(f"S-12: {len(events)} audit events -> 100% timezone-aware UTC")

    @pytest.mark.parametrize("business", list(BusinessType), ids=[b.value for b in BusinessType])
    def test_r06_a_failing_callback_leaves_nothing_behind(
            self, registry: Registry, business: BusinessType,
            figures: Callable[[str], None]) -> None:
        """R-06: an exception at each of the seven stages of ``transitions`` — on submit inside
        apply, on submit of a draft, and on approve — persists nothing; the command then works."""
        place = Place(World(registry))
        physician, payload = place.case(business)
        me = Actor.physician(physician.id)
        failures = 0

        def refused(event: str, command: Callable[[], object]) -> None:
            nonlocal failures
            before = snapshot(registry, physician)
            for stage in STAGES:
                with failing_at(business, event, stage), pytest.raises(InjectedFault):
                    command()
                assert snapshot(registry, physician) == before, stage
                failures += 1

        refused("submit", lambda: registry.apply(me, payload))
        draft = registry.apply(me, payload, submit=False)
        refused("submit", lambda: registry.fire(draft.id, "submit", me))
        app = registry.fire(draft.id, "submit", me)
        assert (app.state, app.version) == ("pending_institution", 2)
        institution, department = (Actor.institution(app.institution_id),
                                   Actor.authority(app.department_id))
        registry.fire(app.id, "confirm", institution)
        registry.fire(app.id, "accept", department)
        refused("approve", lambda: registry.fire(app.id, "approve", department))
        approved = registry.fire(app.id, "approve", department)
        assert (approved.state, approved.version) == ("approved", 5)
        assert [e.event for e in registry.history(app.id)] == [
            "create", "submit", "confirm", "accept", "approve"]
        assert failures == 3 * len(STAGES)
        if business is BusinessType.REGISTRATION:
            figures(f"R-06: 9 types x {len(STAGES)} stages x 3 commands (apply+submit, submit, "
                    "approve) -> state unchanged, 0 audit events, the next command works")


class SqlReliabilityContract(ReliabilityContract):
    """What backends that processes share must show as well: R-03, R-04 concurrent, R-05."""

    open_processes = 8
    idempotent_processes = 8

    def test_r03_one_open_application_per_target(self, url: str,
                                                 figures: Callable[[str], None]) -> None:
        """R-03 with the partial unique index (the shipped schema)."""
        result = open_race(url, processes=self.open_processes, pairs=OPEN_PAIRS)
        self.assert_one_open_per_pair(result, self.open_processes)
        figures(f"R-03 index: {self.open_processes} processes x {OPEN_PAIRS} pairs -> "
                f"1 open application in 100% of pairs; {describe_retries(result.retry)}")

    @staticmethod
    def assert_one_open_per_pair(result: Any, processes: int) -> None:
        expected = Counter({"ok": 1, "UniquenessConflict": processes - 1})
        bad = [(n, dict(c)) for n, c in enumerate(result.pairs) if c != expected]
        assert bad == []
        assert set(result.open_applications) == {1}
        assert result.retry.most_attempts <= MAX_ATTEMPTS
        assert set(result.retry.transient) <= {"40001", "40P01", "SQLITE_BUSY", "SQLITE_LOCKED"}

    def test_a_claim_race_has_exactly_one_winner(self, url: str,
                                                 figures: Callable[[str], None]) -> None:
        """Four officers claim one application at once from four processes, five times."""
        result = claim_race(url, processes=4, rounds=5)
        for outcome, winners, assignee, events in zip(
                result.rounds, result.winners, result.assignees, result.claim_events,
                strict=True):
            assert outcome == {"won": 1, "AlreadyClaimed": 3}, outcome
            assert [assignee] == list(winners) and events == 1
        figures("work-list claims: 4 processes x 5 rounds -> exactly 1 winner per round, "
                "3 AlreadyClaimed, 1 claim event")

    def test_a_migration_killed_mid_batch_leaves_no_half_migrated_application(
            self, url: str, figures: Callable[[str], None]) -> None:
        """A process dies with a migration batch half done: the batches committed before are
        wholly moved, the rest untouched; running the plan again finishes it."""
        result = killed_migration(url, groups=3, batch_size=4, kill_after=6)
        assert result.exit_code == KILLED and result.planned == 9
        assert result.half_moved == ()
        assert len(result.moved_before) == 4  # the first batch committed, the second died
        assert sorted(result.finished.done) == sorted(result.moved_before)
        assert len(result.finished.moved) == 5 and not result.finished.skipped
        figures(f"migration killed after 6 of 9 moves (batches of 4): {len(result.moved_before)} "
                f"moved, 0 half-moved; the rerun moved {len(result.finished.moved)}")

    @pytest.mark.parametrize(("kill_after", "before"), [(6, 4), (13, 10)])
    def test_a_key_rotation_killed_mid_batch_leaves_no_half_rotated_row(
            self, url: str, figures: Callable[[str], None], kill_after: int, before: int) -> None:
        """A process dies with a rotation batch half done — of physicians (under their holds) or
        of accounts (compare-and-set): every row stays wholly under one key, the batches
        committed before are under the new key; rotating again finishes."""
        result = killed_rotation(url, physicians=10, batch_size=4, kill_after=kill_after)
        assert result.exit_code == KILLED
        assert result.half_rotated == ()
        assert result.rotated_before == before  # the batches committed before the death
        assert result.finished.converted == 20 - before
        assert (result.finished.progress.done, result.finished.progress.remaining) == (20, 0)
        assert result.read_back
        figures(f"S-17: key rotation killed after {kill_after} of 20 rows (batches of 4): "
                f"{result.rotated_before} rotated, 0 half-rotated; the rerun rotated "
                f"{result.finished.converted}")

    @pytest.mark.parametrize("scenario", sorted(SCENARIOS))
    def test_cross_row_rules_hold_under_a_race(self, url: str, scenario: str,
                                               figures: Callable[[str], None]) -> None:
        """Two approvals of one physician that pass alone and not together, at once from two
        processes: one wins, the other is refused by the rule (or gets a typed conflict), and
        no registry invariant breaks."""
        case = SCENARIOS[scenario]
        result = rule_race(url, scenario, rounds=RULE_ROUNDS)
        assert result.violations == ()
        losers = Counter[str]()
        for outcome in result.rounds:
            assert sum(outcome.values()) == 2, outcome
            assert outcome["ok"] in ((1, 2) if case.both_may_win else (1,)), outcome
            for lost, n in outcome.items():
                if lost != "ok":
                    assert set(case.rules) & set(lost.split(",")) or lost in (
                        "ConcurrencyConflict", "UniquenessConflict"), outcome
                    losers[lost] += n
        assert losers, "the race never produced a loser"
        figures(f"X-01 {case.ref} {'/'.join(case.rules)} race: 2 processes x {RULE_ROUNDS} rounds -> "
                f"{dict(losers)} for the loser; 0 invariant violations")

    def test_r04_concurrent_duplicates_get_one_result(self, url: str,
                                                      figures: Callable[[str], None]) -> None:
        """R-04: 8 processes send each command with the same key at once (round 0 an apply,
        then alternately 机构退回 and 重新提交)."""
        n = self.idempotent_processes
        result = idempotent_race(url, processes=n, rounds=IDEMPOTENT_ROUNDS)
        assert [len(c) for c in result.rounds] == [1] * (IDEMPOTENT_ROUNDS + 1), result.rounds
        assert all(not response.startswith("!") and count == n
                   for c in result.rounds for response, count in c.items())
        assert result.applications == 1
        assert result.final_version == 2 + IDEMPOTENT_ROUNDS
        events = ["create", "submit"] + ["send_back", "resubmit"] * IDEMPOTENT_ROUNDS
        assert result.audit_events == tuple(enumerate(events[:2 + IDEMPOTENT_ROUNDS], start=1))
        assert result.keys == 1 + IDEMPOTENT_ROUNDS
        sends = n * (1 + IDEMPOTENT_ROUNDS)
        figures(f"R-04 concurrent: {n} processes x {1 + IDEMPOTENT_ROUNDS} commands "
                f"({sends} sends) -> 1 transition and 1 identical response per command, "
                f"{len(result.audit_events)} audit events")

    def test_r07_the_audit_tail_loses_nothing(self, url: str,
                                               figures: Callable[[str], None]) -> None:
        """R-07: writers append while readers page through the tail by the last position."""
        writers, readers = 4, 2
        result = tail_race(url, writers=writers, events=TAIL_EVENTS, readers=readers)
        assert result.writer_outcomes == Counter({"ok": writers * TAIL_EVENTS})
        assert len(result.committed) == writers * TAIL_EVENTS
        for seen in result.readers:
            assert len(seen) == len(set(seen))  # nothing twice
            assert list(seen) == list(result.committed)  # in the tail's order
            assert set(seen) == set(result.committed)  # nothing missed
        assert len(result.readers) == readers
        figures(f"R-07: {writers} writers x {TAIL_EVENTS} events, {readers} readers paging by "
                f"position -> each reader collected {len(result.committed)} of "
                f"{len(result.committed)}: 0 missed, 0 duplicated")

    def test_s02_a_code_is_used_once_under_a_race(self, url: str,
                                                   figures: Callable[[str], None]) -> None:
        """S-02: 8 processes redeem the same correct code at once."""
        n = 8
        result = code_race(url, processes=n, guesses=1, wrong=False)
        assert result.outcomes == Counter({"ok": 1, "CodeAlreadyUsed": n - 1}), result.outcomes
        assert (result.status, result.attempts) == ("used", 0)
        assert result.correct_at_the_end == "CodeAlreadyUsed"
        figures(f"S-02: {n} processes redeem one code -> {result.outcomes['ok']} success, "
                f"{result.outcomes['CodeAlreadyUsed']} CodeAlreadyUsed")

    def test_s03_wrong_guesses_are_counted_exactly_under_a_race(
            self, url: str, figures: Callable[[str], None]) -> None:
        """S-03: 8 processes fire 50 wrong guesses each at one code."""
        n, guesses, limit = 8, 50, QUOTA.max_attempts
        result = code_race(url, processes=n, guesses=guesses, wrong=True)
        assert result.outcomes == Counter({"CodeMismatch": limit,
                                           "CodeExhausted": n * guesses - limit}), result.outcomes
        assert (result.status, result.attempts) == ("exhausted", limit)
        assert result.correct_at_the_end == "CodeExhausted"
        figures(f"S-03: {n} processes x {guesses} wrong guesses -> {result.attempts} attempts "
                f"counted, then exhausted; the correct code afterwards: "
                f"{result.correct_at_the_end}")

    def test_s05_failed_logins_are_counted_exactly_under_a_race(
            self, url: str, figures: Callable[[str], None]) -> None:
        """S-15: 8 processes guess the password of one login name 5 times each at once."""
        n, guesses, limit = 8, 5, LoginThrottle().attempts
        result = login_race(url, processes=n, guesses=guesses)
        assert result.outcomes == Counter({"AuthenticationFailed": limit,
                                           "LoginThrottled": n * guesses - limit}), result.outcomes
        assert result.lockouts == 1
        assert result.right_password == ("LoginThrottled", "ok")
        figures(f"S-15: {n} processes x {guesses} wrong passwords -> {limit} failures counted, "
                f"{result.outcomes['LoginThrottled']} refused as throttled; the right password "
                f"while locked: {result.right_password[0]}, after the lockout: "
                f"{result.right_password[1]}")

    def test_s13_a_failing_commit_changes_nothing(self, url: str, clock: FakeClock,
                                                  figures: Callable[[str], None]) -> None:
        """S-13: the database fails the COMMIT of an approval (its announcement included)."""
        registry, store = sql_registry(url, clock)
        app, _me, staff = self._submitted(registry)
        authority = Actor.authority(app.department_id)
        registry.fire(app.id, "confirm", staff)
        app = registry.fire(app.id, "accept", authority)
        accounts = Accounts(registry, settings=SecuritySettings.for_tests())
        before = (registry.application(app.id), registry.history(app.id),
                  registry.registrations(app.physician_id), accounts.pending_messages(limit=100))
        failure = store.engine.dialect.loaded_dbapi.OperationalError

        def fail(stage: str) -> None:
            if stage == "commit":
                raise failure("injected: the database failed the COMMIT")

        store.hook = fail
        with pytest.raises(PersistenceError) as raised:
            registry.fire(app.id, "approve", authority)
        store.hook = None
        after = (registry.application(app.id), registry.history(app.id),
                 registry.registrations(app.physician_id), accounts.pending_messages(limit=100))
        assert after == before
        assert isinstance(raised.value, mdreg.MdregError)
        approved = registry.fire(app.id, "approve", authority)  # the next attempt works
        assert approved.state == "approved"
        released = len(accounts.pending_messages(limit=100)) - len(before[3])
        store.close()
        figures(f"S-13: COMMIT failed -> {type(raised.value).__name__}, application, trail, "
                f"registrations and outbox unchanged; retried: approved, {released} message(s)")

    def test_s04_the_send_quota_holds_under_a_race(self, url: str,
                                                    figures: Callable[[str], None]) -> None:
        """S-04: 8 processes x 10 sends to one phone within an hour, quota 5 per hour."""
        n, sends = 8, 10
        result = quota_race(url, processes=n, sends=sends)
        assert result.outcomes == Counter({"ok": QUOTA.sends_per_hour,
                                           "QuotaExceeded": n * sends - QUOTA.sends_per_hour})
        assert result.codes == result.messages == QUOTA.sends_per_hour
        assert result.after_the_hour == "ok"
        figures(f"S-04: {n} processes x {sends} sends, quota {QUOTA.sends_per_hour}/h -> "
                f"{result.outcomes['ok']} sent, {result.outcomes['QuotaExceeded']} refused, "
                f"{result.codes} codes stored; after the hour: {result.after_the_hour}")

    def test_r05_a_killed_worker_leaves_a_consistent_database(
            self, url: str, figures: Callable[[str], None]) -> None:
        """R-05: SIGKILL inside a unit of work, at each stage in turn; restart and compare."""
        result = crash_loop(url, kills=CRASH_KILLS, seed=5)
        assert result.exit_codes == Counter({-9: CRASH_KILLS})
        assert sum(result.kills.values()) == CRASH_KILLS
        assert set(result.kills) == set(CRASH_STAGES[:CRASH_KILLS])
        for check in result.checks:
            assert check.applications == 3
            assert check.mismatched == ()
            assert (check.orphan_audit, check.orphan_outbox, check.unmatched_keys) == (0, 0, 0)
        last = result.checks[-1]
        stages = ", ".join(f"{stage} {n}" for stage, n in sorted(result.kills.items()))
        figures(f"R-05: {CRASH_KILLS} SIGKILLs ({stages}) -> after each restart 100% of "
                f"{last.applications} applications and {last.accounts} accounts fold from their "
                f"{last.audit_events} audit events; 0 orphan audit/outbox rows, 0 unmatched keys")

    def test_the_consistency_check_sees_a_broken_database(self, url: str) -> None:
        """R-05's check is not vacuous: each kind of damage a crash could leave is reported."""
        crash_loop(url, kills=0)
        assert consistency(url).mismatched == ()
        damage = {
            "UPDATE applications SET version = version + 1 WHERE id = (SELECT min(id) FROM "
            "applications)": "mismatched",
            "INSERT INTO audit_events (aggregate_id, seq, event, from_state, to_state, at, policy, "
            "doc) SELECT 'A-gone', 1, 'x', '', 'y', at, policy, doc FROM audit_events WHERE "
            "seq = 1 AND aggregate_id = (SELECT min(id) FROM applications)": "orphan_audit",
            "INSERT INTO idempotency_keys VALUES ('k-gone', 'f', 'r')": "unmatched_keys",
            "INSERT INTO outbox_messages (id, template, aggregate_id, created_at, doc) SELECT "
            "'M-gone', 'x', id, created_at, '{}' FROM accounts WHERE id = 'U-crash-0'":
            "orphan_outbox",
        }
        store = SqlStore.connect(url)
        try:
            for statement, field in damage.items():
                with store.engine.begin() as conn:
                    conn.execute(text(statement))
                assert getattr(consistency(url), field), field
        finally:
            store.close()


def describe_retries(retry: Any) -> str:
    codes = ", ".join(f"{code} x{n}" for code, n in sorted(retry.transient.items())) or "none"
    tries = ", ".join(f"{k} attempt(s): {n}" for k, n in sorted(retry.attempts.items()))
    return (f"{retry.retries} retries (transient failures: {codes}); units of work by attempts: "
            f"{tries}; most attempts {retry.most_attempts} <= {MAX_ATTEMPTS}")
