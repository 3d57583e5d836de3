"""Crash consistency: kill a worker inside a unit of work, then check.

:func:`crash_loop`: one worker at a time runs commands until a
:class:`~mdreg.testing.faults.KillSwitch` kills it with ``SIGKILL`` inside a unit of work;
:func:`consistency` then checks the database against the audit trail.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import tempfile
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import attrs
from sqlalchemy import text

import mdreg
from mdreg.adapters.sql import SqlStore
from mdreg.domain.account import Account
from mdreg.domain.application import Actor, RegistrationRequest
from mdreg.domain.clock import FakeClock
from mdreg.domain.identifiers import Phone
from mdreg.errors import MdregError
from mdreg.testing.builders import World
from mdreg.testing.faults import KillSwitch
from mdreg.testing.race import (
    SCOPES,
    T0,
    sql_registry,
)

# -- crash consistency -----------------------------------------------------------------------

#: Where :func:`crash_loop` kills its workers, in turn: after the state UPDATE, the audit INSERT,
#: the idempotency INSERT, a code UPDATE or INSERT, the outbox INSERT; right before and right after
#: COMMIT.
CRASH_STAGES = ("wrote:application", "wrote:audit", "wrote:idempotency_key",
                "wrote:one_time_code", "wrote:outbox", "commit", "committed")
_COMMANDS_PER_WORKER = 20
_HOURS_PER_COMMAND = 3


@attrs.frozen
class Consistency:
    """What a restarted registry finds (:func:`consistency`).

    Attributes:
        applications: applications checked.
        accounts: accounts checked.
        audit_events: audit rows in the database.
        mismatched: aggregates whose stored state (and, for applications, version) is not the
            fold of their audit events: the last ``to_state``; as many events as the version;
            seq 1 … n; each event leaving the state the previous one entered. (Accounts imported
            as reference data have no events and are not folded.)
        orphan_audit: audit rows of no application, registration or account.
        orphan_outbox: per account, how far the outbox messages, the codes and the ``send_code``
            audit events differ in number (they are written together), summed.
        unmatched_keys: how far the idempotency keys and the audited transitions sent with a key
            differ in number.
    """

    applications: int
    accounts: int
    audit_events: int
    mismatched: tuple[str, ...]
    orphan_audit: int
    orphan_outbox: int
    unmatched_keys: int


@attrs.frozen
class CrashResult:
    """Kills by stage, workers that were not killed, and the consistency after each restart."""

    kills: Counter[str]
    exit_codes: Counter[int]
    checks: tuple[Consistency, ...]


def crash_loop(url: str, *, kills: int, seed: int = 0, timeout: float = 60.0) -> CrashResult:
    """Kill ``kills`` workers, one after another, each at a stage of :data:`CRASH_STAGES` (in
    turn) inside one of its units of work; check :func:`consistency` after each restart.

    The workers alternate 机构退回 and 重新提交 on three applications (each sent with a fresh
    idempotency key) and send SMS codes to two 已注册 accounts (a code, an outbox message and an
    audit event per send), chosen at random from ``seed``.
    """
    registry = mdreg.open(url, clock=FakeClock(T0))
    world = World(registry)
    hospital = world.institution("110105")
    apps: list[tuple[str, Actor, Actor]] = []
    for _ in range(3):
        doctor = world.physician()
        request = RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, SCOPES)
        app = registry.apply(Actor.physician(doctor.id), request)
        apps.append((app.id, Actor.physician(doctor.id), Actor.institution(hospital.id)))
    coders = []
    for n in range(2):
        doctor = world.physician(account=False)
        registry.load(accounts=[Account(f"U-crash-{n}", doctor.id, f"crash{n}", "",
                                        Phone.parse(f"1380013800{n}"), None, "registered", 1,
                                        T0, T0)])
        coders.append(doctor.id)
    rng = random.Random(seed)  # noqa: S311 - reproducible choices
    context = multiprocessing.get_context("spawn")
    kills_at, exit_codes, checks = Counter[str](), Counter[int](), []
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "kills.log"
        for n in range(kills):
            stage = CRASH_STAGES[n % len(CRASH_STAGES)]
            start = T0 + timedelta(days=3 * (n + 1))  # send quotas: one window per worker
            args = (url, stage, rng.randint(1, 2), str(log), rng.randrange(2**32), start, apps,
                    coders)
            worker = context.Process(target=_crash_worker, args=args, daemon=True)
            worker.start()
            worker.join(timeout)
            if worker.exitcode is None:  # pragma: no cover - a hung worker
                worker.kill()
                worker.join()
            exit_codes[worker.exitcode if worker.exitcode is not None else 0] += 1
            checks.append(consistency(url))
        if log.exists():
            kills_at.update(log.read_text().split())
    return CrashResult(kills_at, exit_codes, tuple(checks))


def _crash_worker(url: str, stage: str, occurrence: int, log: str, seed: int, start: datetime,
                  apps: list[tuple[str, Actor, Actor]], coders: list[str]) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible choices
    clock = FakeClock(start)
    registry, store = sql_registry(url, clock)
    store.hook = KillSwitch(stage, occurrence, log)
    for _ in range(_COMMANDS_PER_WORKER):
        clock.advance(hours=_HOURS_PER_COMMAND)
        try:
            if rng.random() < 0.4:
                registry.accounts.send_phone_code(Actor.physician(rng.choice(coders)))
                continue
            app_id, applicant, institution = rng.choice(apps)
            key = uuid.uuid4().hex
            if registry.application(app_id).state == "returned":
                registry.fire(app_id, "resubmit", applicant, idempotency_key=key)
            else:
                registry.fire(app_id, "send_back", institution, reason="材料不全",
                              idempotency_key=key)
        except MdregError:
            pass
    store.close()
    os._exit(3)  # not killed: the parent counts exit code 3


def consistency(url: str) -> Consistency:
    """Open the database afresh and compare every application and account with its audit trail,
    and the outbox, codes and idempotency keys with the audit events written with them."""
    store = SqlStore.connect(url)
    try:
        with store.engine.connect() as conn:
            apps = conn.execute(text("SELECT id, state, version FROM applications")).all()
            accounts = conn.execute(text("SELECT id, state, version FROM accounts")).all()
            trails: dict[str, list[tuple[int, str, str, str]]] = {}
            for row in conn.execute(text("SELECT aggregate_id, seq, event, from_state, to_state "
                                         "FROM audit_events ORDER BY aggregate_id, seq")):
                trails.setdefault(row[0], []).append((row[1], row[2], row[3], row[4]))
            orphans = conn.execute(text(
                "SELECT count(*) FROM audit_events a WHERE NOT EXISTS "
                "(SELECT 1 FROM applications x WHERE x.id = a.aggregate_id) AND NOT EXISTS "
                "(SELECT 1 FROM accounts x WHERE x.id = a.aggregate_id) AND NOT EXISTS "
                "(SELECT 1 FROM registrations x WHERE x.id = a.aggregate_id)")).scalar_one()
            outbox = Counter(r[0] for r in conn.execute(
                text("SELECT aggregate_id FROM outbox_messages")))
            codes = Counter(r[0] for r in conn.execute(text("SELECT account_id FROM one_time_codes")))
            keys = conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one()
    finally:
        store.close()
    mismatched = [key for key, state, version in apps
                  if not _folds(trails.get(key, []), state, version)]
    mismatched += [key for key, state, _ in accounts  # imported accounts have no trail
                   if key in trails and not _folds(trails[key], state, None)]
    sends = {key: sum(e[1] == "send_code" for e in trails.get(key, [])) for key, _, _ in accounts}
    orphan_outbox = sum(abs(outbox[k] - codes[k]) + abs(codes[k] - n) for k, n in sends.items())
    keyed = sum(e[1] in ("send_back", "resubmit") for key, _, _ in apps for e in trails.get(key, []))
    return Consistency(len(apps), len(accounts), sum(map(len, trails.values())),
                       tuple(mismatched), int(orphans), orphan_outbox, abs(int(keys) - keyed))


def _folds(trail: list[tuple[int, str, str, str]], state: str, version: int | None) -> bool:
    """Whether ``state`` (and ``version``, if given) is the fold of the aggregate's events."""
    folded = ""
    for n, (seq, _, from_state, to_state) in enumerate(trail, start=1):
        if seq != n or (n > 1 and from_state != folded):
            return False
        folded = to_state
    return bool(trail) and folded == state and version in (None, len(trail))
