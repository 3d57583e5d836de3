"""B-01: every public command, called with arbitrary values — of the wrong types too — on memory, SQLite
and PostgreSQL: it succeeds or raises an :class:`~mdreg.errors.MdregError`, and a refused call
leaves nothing behind (no audit event, no notice, no loaded row).

``MDREG_FUZZ_EXAMPLES`` sets the examples per command and backend (30 by default, each a run of
calls against one populated registry). Every run prints its tally under "mdreg reliability
figures".
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mdreg
from backends import BACKENDS, populated, scratch_backend
from mdreg import Actor, ResidentId
from mdreg.domain.application import (
    PAYLOAD_CLASSES,
    CancellationGround,
    DepartureKind,
    Evidence,
    FilingRequest,
    ScopeEvidence,
)
from mdreg.domain.model import Category, Level, Physician, Qualification
from mdreg.testing.builders import World, make_id_number

EXAMPLES = int(os.environ.get("MDREG_FUZZ_EXAMPLES", "30"))
T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)

#: Values of every kind a caller might pass by mistake.
ODD_TEXT = ["", " ", "\x00", "A\x00B", "\ud800", "\udfff照", "\u200b", "\x1b[31m", "A" * 300,
            "照" * 5_000, "١٢٣", "１２３", "None", "-1", "'; DROP TABLE applications; --"]
WILD = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True), st.binary(max_size=8), st.sampled_from(ODD_TEXT),
    st.text(max_size=12), st.dates(), st.datetimes(),
    st.datetimes(timezones=st.just(UTC)), st.lists(st.text(max_size=4), max_size=3),
    st.tuples(st.none()), st.builds(object), st.sampled_from(list(Category)),
    st.sampled_from(list(CancellationGround)),
)


@attrs.define
class Scene:
    registry: mdreg.Registry
    world: World
    ids: dict[str, list[Any]]
    backend: str = ""

    def snapshot(self) -> tuple[int, tuple[tuple[str, int], ...]]:
        return self.registry.audit_count(), tuple(sorted(self.registry.notice_counts().items()))


def _scene(url: str) -> Scene:
    p = populated(url, T0)
    registry, home, other, doctor, registration, second, pending = (
        p.registry, p.home, p.other, p.doctor, p.registration, p.second, p.pending)
    world = World(registry)
    me = Actor.physician(doctor.id)
    filing = registry.apply(me, FilingRequest(
        registration.id, other.id, registration.scopes[:1], valid_from=T0.date(),
        valid_to=date(2026, 12, 1)))
    newcomer = world.physician(account=False)
    actors = [me, Actor.physician(second.id), Actor.institution(home.id),
              Actor.authority(registration.approved_by), Actor.authority(pending.department_id),
              Actor.system()]
    return Scene(registry, world, {
        "application": [filing.id, pending.id],
        "registration": [registration.id],
        "institution": [home.id, other.id],
        "physician": [doctor.id, second.id],
        "qualification": [q.certificate_no for q in (*doctor.qualifications,
                                                     *second.qualifications)],
        "event": ["submit", "confirm", "accept", "approve", "reject", "send_back",
                  "request_correction", "withdraw"],
        "actor": actors,
        "scopes": [("内科专业",), registration.scopes],
        "name": [newcomer.name, doctor.name],
        "id_number": [newcomer.id_number, newcomer.id_number.value, doctor.id_number],
        "login_name": ["doctor01", "newcomer2026"],
        "password": ["Zz9!mdreg-2026", "wrong-password-1"],
        "phone": ["13912345678", "+86 139 1234 5679"],
        "code": ["123456", "000000"],
        "text": ["本科", "主治医师", "内科"],
    })


@pytest.fixture(scope="module", params=BACKENDS)
def scene(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Scene]:
    """One populated registry per backend, shared by every command's run."""
    with scratch_backend(request, tmp_path_factory, "mdreg_fuzz") as url:
        found = _scene(url)
        found.backend = request.param
        yield found
        found.registry.release()


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A good value seven times in eight, anything at all otherwise (so that calls get past
    their arguments often enough to reach the rules and the database)."""
    return st.integers(0, 7).flatmap(lambda n: WILD if n == 0 else good)


def value(scene: Scene, kind: str) -> st.SearchStrategy[Any]:
    """A known good value of ``kind`` most of the time, anything at all otherwise."""
    return mostly(st.sampled_from(scene.ids[kind]))


DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1,
               max_size=20)


def payloads(scene: Scene) -> st.SearchStrategy[Callable[[], Any]]:
    """A payload class and its fields, each a good value or a wild one (built at call time,
    so a constructor's own refusal is part of the call)."""
    good: dict[str, st.SearchStrategy[Any]] = {
        "institution_id": value(scene, "institution"),
        "registration_id": value(scene, "registration"),
        "qualification_no": value(scene, "qualification"),
        "scopes": value(scene, "scopes"),
        "legacy_id": WILD, "filing_id": WILD,
        "valid_from": mostly(DAYS), "valid_to": mostly(DAYS), "ground_known_on": mostly(DAYS),
        "military_registered_on": mostly(DAYS), "military_practice_ended_on": mostly(DAYS),
        "ground": mostly(st.sampled_from(list(CancellationGround))),
        "category": mostly(st.sampled_from(list(Category))),
        "evidence": mostly(st.builds(Evidence)), "scope_evidence": mostly(st.builds(ScopeEvidence)),
        "military_unit": mostly(TEXT), "proof_document": mostly(TEXT), "details": mostly(TEXT),
    }

    @st.composite
    def build(draw: st.DrawFn) -> Callable[[], Any]:
        cls = draw(st.sampled_from(sorted(PAYLOAD_CLASSES.values(), key=lambda c: c.__name__)))
        kwargs = {f.name: draw(good.get(f.name, mostly(st.booleans()))) for f in attrs.fields(cls)
                  if f.default is attrs.NOTHING or draw(st.booleans())}
        return lambda: cls(**kwargs)

    return build()


def commands(scene: Scene) -> dict[str, st.SearchStrategy[Callable[[], Any]]]:
    r, v = scene.registry, (lambda kind: value(scene, kind))

    def call(function: Callable[..., Any], *args: st.SearchStrategy[Any],
             **kwargs: st.SearchStrategy[Any]) -> st.SearchStrategy[Callable[[], Any]]:
        return st.tuples(st.tuples(*args), st.fixed_dictionaries(kwargs)).map(
            lambda drawn: lambda: function(*drawn[0], **drawn[1]))

    def apply(actor: Any, payload: Callable[[], Any], submit: Any) -> Any:
        return r.apply(actor, payload(), submit=submit)

    return {
        "apply": call(apply, v("actor"), payloads(scene), mostly(st.booleans())),
        "fire": call(r.fire, v("application"), v("event"), v("actor"),
                     reason=mostly(TEXT), corrections=mostly(st.lists(TEXT, max_size=3))),
        "check": call(r.check, v("application"), v("event")),
        "revoke": call(r.revoke, v("actor"), v("registration"), mostly(TEXT)),
        "cancel_ex_officio": call(r.cancel_ex_officio, v("actor"), v("registration"),
                                  mostly(st.sampled_from(list(CancellationGround))),
                                  mostly(TEXT)),
        "report_departure": call(r.report_departure, v("actor"), v("registration"),
                                 mostly(st.sampled_from(list(DepartureKind))), mostly(DAYS)),
        "receive_materials": call(r.receive_materials, v("application"), v("actor"),
                                  mostly(st.none() | st.lists(TEXT, max_size=3))),
        "reads": call(_reads, st.just(r), v("application"), v("physician"), mostly(DAYS)),
        "view": call(_view, st.just(r), v("actor"), v("application"),
                     mostly(st.integers(1, 100))),
        "tick": call(r.tick, mostly(st.datetimes(
            min_value=datetime(2026, 3, 2), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)))),
        "load": call(_load, st.just(r), mostly(st.just("王医生")), mostly(st.sampled_from(
            [ResidentId.parse("11010519491231002X"), make_id_number("110105", date(1990, 1, 1), 123)])),
            mostly(DAYS)),
        "import_registry": call(_import, st.just(r), mostly(st.just("李医生")), mostly(DAYS)),
        "sign_up": call(_sign_up, st.just(r.accounts), v("name"), v("id_number"),
                        v("login_name"), v("password"), v("phone")),
        "login": call(r.accounts.login, v("login_name"), v("password"),
                      source=mostly(st.none() | TEXT)),
        "send_phone_code": call(r.accounts.send_phone_code, v("actor")),
        "verify_phone": call(r.accounts.verify_phone, v("actor"), v("code")),
        "request_info_change": call(r.accounts.request_info_change, v("actor"),
                                    education=v("text")),
        "choose_department": call(r.accounts.choose_department, v("actor"), v("text")),
        "approve_change": call(r.accounts.approve_change, v("actor"), v("application")),
        "start_recovery": call(r.accounts.start_recovery, v("login_name")),
        "finish_recovery": call(r.accounts.finish_recovery, v("login_name"), v("code"),
                                v("password")),
        "replace_contact": call(r.accounts.replace_contact, v("actor"), v("physician"),
                                phone=mostly(st.none() | st.sampled_from(scene.ids["phone"])),
                                checked=mostly(TEXT)),
    }


def _reads(registry: mdreg.Registry, application_id: Any, physician_id: Any, other: Any) -> None:
    registry.application(application_id)
    registry.history(application_id)
    registry.registrations(physician_id)
    registry.overdue(other)
    registry.deadlines(application_id)


def _view(registry: mdreg.Registry, actor: Any, application_id: Any, other: Any) -> None:
    view = registry.view(actor)
    view.application(application_id)
    view.work_list(limit=other)


#: The number of the next physician the fuzz loads (``FZ<n>``).
_next = [0]


def _physician(name: Any, number: Any, obtained: Any) -> Physician:
    n = _next[0]
    _next[0] += 1
    return Physician(f"FZ{n}", name, number, (Qualification(f"FQ{n}", Level.PHYSICIAN,
                                                              Category.CLINICAL, obtained),))


def _load(registry: mdreg.Registry, name: Any, number: Any, obtained: Any) -> None:
    registry.load(physicians=[_physician(name, number, obtained)])


def _import(registry: mdreg.Registry, name: Any, obtained: Any) -> None:
    registry.import_registry(physicians=[_physician(name, ResidentId.parse("11010519491231002X"),
                                                    obtained)])


def _sign_up(accounts: mdreg.Accounts, name: Any, id_number: Any, login_name: Any,
             password: Any, phone: Any) -> None:
    accounts.sign_up(name=name, id_number=id_number, login_name=login_name, password=password,
                     phone=phone)


#: Refusals that are themselves recorded: a refused login is audited and counted, a wrong code
#: counts as an attempt (S-03, S-15).
RECORDS_REFUSALS: dict[str, type[mdreg.MdregError]] = {
    "login": mdreg.AuthenticationFailed, "verify_phone": mdreg.CodeRejected,
    "finish_recovery": mdreg.CodeRejected}

COMMANDS = ("apply", "fire", "check", "revoke", "cancel_ex_officio", "report_departure",
            "receive_materials", "reads", "view", "tick", "load", "import_registry", "sign_up",
            "login", "send_phone_code", "verify_phone", "request_info_change",
            "choose_department", "approve_change", "start_recovery", "finish_recovery",
            "replace_contact")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_with_arbitrary_arguments_succeeds_or_refuses_with_nothing_persisted(
        scene: Scene, command: str, record_property: Callable[[str, object], None]) -> None:
    strategy = commands(scene)[command]
    tally: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(call=strategy)
    def run(call: Callable[[], Any]) -> None:
        before, first_loaded = scene.snapshot(), f"FZ{_next[0]}"
        try:
            call()
        except mdreg.MdregError as refused:
            tally[type(refused).__name__] += 1
            if not isinstance(refused, RECORDS_REFUSALS.get(command, ())):
                assert scene.snapshot() == before, f"{command}: a refused call left a trace"
            with pytest.raises(mdreg.NotFoundError):
                scene.registry.physician(first_loaded)
            return
        tally["done"] += 1

    run()
    outcome = ", ".join(f"{n} {k}" for k, n in tally.most_common())
    record_property("figures", f"B-01 {command}: {sum(tally.values())} calls -> {outcome}; "
                               f"0 other exceptions [{scene.backend}]")
