"""transition_overhead: one in-memory event through mdreg's engine vs a bare ``transitions``
trigger on an equivalent machine.

Both sides fire the same four-event cycle of the 注册 lifecycle (accept → return_to_applicant →
resubmit → confirm → back to 待受理), so every event is legal and no machine ends in a final
state. mdreg: ``Workflow.fire(state, event)`` (builds its driver, checks the event and state,
triggers, maps errors). Baseline: the same states and transitions in one ``transitions.Machine``
(``auto_transitions=False``, ``send_event=True``, no models attached), fired as
``machine.events[event].trigger(model)`` on a new slotted model holding the state — the way the
design says to use transitions, with nothing of mdreg around it.

Reference rows: python-statemachine (the ``bench`` extra) sending the same events to a live
instance bound to a model, and the same with a new instance per event (what restoring an
application's state from the database costs), plus a plain dict lookup of (state, event).
"""

from __future__ import annotations

from typing import Any

from transitions import Machine

from benchmarks.harness import Context, Reference, Result, alternate, median, per_call
from mdreg.workflows.base import Workflow
from mdreg.workflows.registration import REGISTRATION as DECLARATION

CYCLE = (("pending_acceptance", "accept"), ("under_review", "return_to_applicant"),
         ("returned", "resubmit"), ("pending_institution", "confirm"))

REGISTRATION = DECLARATION.definition


class _Model:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def bare_machine() -> Machine:
    definition = REGISTRATION
    return Machine(
        model=None,
        states=[s.id for s in definition.states],
        transitions=[{"trigger": e.id, "source": list(e.sources), "dest": e.dest}
                     for e in definition.events],
        initial=definition.initial, auto_transitions=False, send_event=True,
        ignore_invalid_triggers=False,
    )


def _cycle_runner(fire: Any) -> Any:
    """A no-argument callable that fires the whole cycle once (4 events)."""
    (s1, e1), (s2, e2), (s3, e3), (s4, e4) = CYCLE

    def run() -> None:
        fire(s1, e1)
        fire(s2, e2)
        fire(s3, e3)
        fire(s4, e4)

    return run


def statemachine_class() -> Any:
    """The 注册 lifecycle as a python-statemachine class, or None if it is not installed."""
    try:
        from statemachine import State, StateMachine
    except ImportError:
        return None
    namespace: dict[str, Any] = {
        s.id: State(s.label, value=s.id, initial=s.id == REGISTRATION.initial, final=s.final)
        for s in REGISTRATION.states
    }
    for event in REGISTRATION.events:
        transition = None
        for source in event.sources:
            step = namespace[source].to(namespace[event.dest])
            transition = step if transition is None else transition | step
        namespace[event.id] = transition
    return type("RegistrationChart", (StateMachine,), namespace)


class _Holder:
    def __init__(self, state: str) -> None:
        self.state = state


def run(ctx: Context) -> list[Result]:
    flow = Workflow(REGISTRATION)
    machine = bare_machine()
    events = machine.events

    for state, event in CYCLE:  # both sides agree on every step
        model = _Model(state)
        events[event].trigger(model)
        assert flow.fire(state, event) == model.state

    mdreg_cycle = _cycle_runner(flow.fire)

    def bare(state: str, event: str) -> None:
        events[event].trigger(_Model(state))

    bare_cycle = _cycle_runner(bare)
    calls = 10_000  # cheap, and the ratio sits near its target: as many samples in --quick
    mine, theirs = alternate(max(ctx.reps, 9),
                             lambda _: per_call(mdreg_cycle, calls) / len(CYCLE),
                             lambda _: per_call(bare_cycle, calls) / len(CYCLE))
    result = Result("transition_overhead", median(mine), median(theirs), "s", 1.5,
                    note="per event; 4-event cycle of the 注册 lifecycle; median of "
                         f"{len(mine)} repetitions × {calls * len(CYCLE)} events",
                    details={"mdreg_samples": mine, "baseline_samples": theirs})
    _references(ctx, calls)
    return [result]


def _references(ctx: Context, calls: int) -> None:
    table = {(s, e.id): e.dest for e in REGISTRATION.events for s in e.sources}
    dict_cycle = _cycle_runner(lambda s, e: table[(s, e)])
    ctx.reference("transition_overhead", Reference(
        "dict lookup (state, event)", median([per_call(dict_cycle, calls) / 4 for _ in range(5)]),
        "s"))
    chart = statemachine_class()
    if chart is None:
        ctx.reference("transition_overhead", Reference(
            "python-statemachine", float("nan"), "s", "not installed: pip install -e .[bench]"))
        return
    holder = _Holder("pending_acceptance")
    live = chart(holder)

    def live_cycle() -> None:
        for _, event in CYCLE:
            live.send(event)

    def fresh(state: str, event: str) -> None:
        chart(_Holder(state)).send(event)

    fresh_cycle = _cycle_runner(fresh)
    few = max(50, calls // 25)
    ctx.reference("transition_overhead", Reference(
        "python-statemachine, send on a live instance",
        median([per_call(live_cycle, few) / 4 for _ in range(5)]), "s"))
    ctx.reference("transition_overhead", Reference(
        "python-statemachine, new instance per event",
        median([per_call(fresh_cycle, few) / 4 for _ in range(5)]), "s",
        "state restored from the model, as per command"))
