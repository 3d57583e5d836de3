"""流程引擎 — workflow definitions as data, and the engine that runs them on ``transitions``.

This is the only module that imports ``transitions``. A :class:`WorkflowDefinition` is a table of
labelled states and events; it is validated when built (one initial state, every state reachable,
no exits from final states, labels unique). :class:`Workflow` builds **one** machine per
definition with ``auto_transitions=False`` and fires events through a tiny driver object, so no
application is ever attached to a machine.

>>> from mdreg.workflows.base import EventSpec, Role, StateSpec, Workflow, WorkflowDefinition
>>> definition = WorkflowDefinition(
...     "demo", "示例", initial="open",
...     states=(StateSpec("open", "打开"), StateSpec("closed", "关闭", final=True)),
...     events=(EventSpec("close", "关闭申请", ("open",), "closed", Role.APPLICANT),),
... )
>>> flow = Workflow(definition)
>>> flow.fire("open", "close")
'closed'
>>> flow.fire("closed", "close")
Traceback (most recent call last):
...
mdreg.errors.TransitionNotAllowed: event 'close' is not allowed in state 'closed' of workflow 'demo'
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from transitions import Machine, MachineError
from transitions.core import Condition

from mdreg.errors import TransitionNotAllowed, WorkflowDefinitionError

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: Where ``transitions`` runs callbacks during one transition, in its order (see :meth:`Workflow.attach`).
STAGES = ("prepare", "conditions", "before", "on_exit", "on_enter", "after", "finalize_event")
_RESERVED = re.compile(r"^(trigger|state|(may|is|to)_.*)$")


class Role(enum.StrEnum):
    """Which party may fire an event."""

    APPLICANT = "applicant"
    INSTITUTION = "institution"
    AUTHORITY = "authority"
    SYSTEM = "system"


@attrs.frozen
class StateSpec:
    """A state: persisted ``id``, Chinese ``label``, and whether it is final."""

    id: str
    label: str
    final: bool = False


@attrs.frozen
class EventSpec:
    """An event: who fires it, from which states, to which state, and what it requires.

    Attributes:
        needs_reason: a written reason is mandatory (退回, 不予受理, 不予批准 …).
        needs_corrections: a non-empty list of corrections is mandatory (补正, 行政许可法 Art 32).
        stamp: the application timestamp the event sets (``submitted_at``, ``accepted_at``,
            ``decided_at``), if any.
    """

    id: str
    label: str
    sources: tuple[str, ...]
    dest: str
    by: Role
    needs_reason: bool = False
    needs_corrections: bool = False
    stamp: str | None = None


@attrs.frozen
class WorkflowDefinition:
    """A complete workflow; validated on construction."""

    id: str
    label: str
    initial: str
    states: tuple[StateSpec, ...]
    events: tuple[EventSpec, ...]

    def __attrs_post_init__(self) -> None:
        validate(self)

    @property
    def state_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.states)

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.events)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.id for s in self.states if s.final)

    def state(self, state_id: str) -> StateSpec:
        return next(s for s in self.states if s.id == state_id)

    def event(self, event_id: str) -> EventSpec | None:
        return next((e for e in self.events if e.id == event_id), None)

    def allowed(self, state_id: str) -> tuple[EventSpec, ...]:
        """Events that may fire from ``state_id``."""
        return tuple(e for e in self.events if state_id in e.sources)

    def edges(self) -> frozenset[tuple[str, str, str]]:
        """Every (source, event, dest) triple of the table."""
        return frozenset((s, e.id, e.dest) for e in self.events for s in e.sources)


def _fail(definition_id: str, problem: str) -> WorkflowDefinitionError:
    return WorkflowDefinitionError(f"workflow {definition_id!r}: {problem}")


def _check_names(definition: WorkflowDefinition) -> None:
    for kind, items in (("state", definition.states), ("event", definition.events)):
        ids = [i.id for i in items]
        labels = [i.label for i in items]
        for item in items:
            if not _ID.fullmatch(item.id) or _RESERVED.fullmatch(item.id):
                raise _fail(definition.id, f"bad {kind} id {item.id!r}")
            if not item.label.strip():
                raise _fail(definition.id, f"{kind} {item.id!r} has no label")
        if len(set(ids)) != len(ids):
            raise _fail(definition.id, f"duplicate {kind} ids")
        if len(set(labels)) != len(labels):
            raise _fail(definition.id, f"duplicate {kind} labels")


def _reachable(definition: WorkflowDefinition) -> set[str]:
    seen = {definition.initial}
    frontier = [definition.initial]
    while frontier:
        here = frontier.pop()
        for event in definition.allowed(here):
            if event.dest not in seen:
                seen.add(event.dest)
                frontier.append(event.dest)
    return seen


def validate(definition: WorkflowDefinition) -> None:
    """Raise :class:`WorkflowDefinitionError` unless ``definition`` is well formed."""
    _check_names(definition)
    states = set(definition.state_ids)
    if definition.initial not in states:
        raise _fail(definition.id, f"initial state {definition.initial!r} is not declared")
    for event in definition.events:
        unknown = (set(event.sources) | {event.dest}) - states
        if unknown:
            raise _fail(definition.id, f"event {event.id!r} names unknown states {unknown}")
        if not event.sources:
            raise _fail(definition.id, f"event {event.id!r} has no source")
        leaving = set(event.sources) & definition.final_states
        if leaving:
            raise _fail(definition.id, f"event {event.id!r} leaves final states {leaving}")
    unreachable = states - _reachable(definition)
    if unreachable:
        raise _fail(definition.id, f"unreachable states {sorted(unreachable)}")
    stuck = [s.id for s in definition.states if not s.final and not definition.allowed(s.id)]
    if stuck:
        raise _fail(definition.id, f"non-final states without a way out: {stuck}")


class _Driver:
    """The only object ever handed to transitions: it holds a state id for one trigger, and the
    error a ``finalize_event`` callback raised (transitions only logs those)."""

    __slots__ = ("failure", "state")

    def __init__(self, state: str) -> None:
        self.state = state
        self.failure: BaseException | None = None


def _machine_spec(definition: WorkflowDefinition) -> dict[str, Any]:
    return {
        "states": list(definition.state_ids),
        "transitions": [
            {"trigger": e.id, "source": list(e.sources), "dest": e.dest}
            for e in definition.events
        ],
        "initial": definition.initial,
        "auto_transitions": False,
        "ignore_invalid_triggers": False,
        "send_event": True,
    }


class _Machine(Machine):
    def callbacks(self, funcs: Any, event_data: Any) -> None:
        if funcs is not self.finalize_event:
            super().callbacks(funcs, event_data)
            return
        try:  # transitions logs and swallows these; Workflow.fire raises them instead
            super().callbacks(funcs, event_data)
        except Exception as error:
            event_data.model.failure = error


class Workflow:
    """A definition plus its single ``transitions`` machine."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._states = frozenset(definition.state_ids)
        self._machine = _Machine(model=None, **_machine_spec(definition))

    @property
    def id(self) -> str:
        return self.definition.id

    def fire(self, state: str, event: str) -> str:
        """Fire ``event`` from ``state`` and return the new state id.

        Raises:
            TransitionNotAllowed: the event does not exist or is not allowed from ``state``.
        """
        trigger = self._machine.events.get(event)
        if trigger is None or state not in self._states:
            raise TransitionNotAllowed(self.id, state, event)
        driver = _Driver(state)
        try:
            trigger.trigger(driver)
        except MachineError:
            raise TransitionNotAllowed(self.id, state, event) from None
        if driver.failure is not None:  # fail securely: no transition despite an error
            raise driver.failure
        return driver.state

    def attach(self, event: str, stage: str, callback: Callable[[], object]) -> Callable[[], None]:
        """Call ``callback`` at ``stage`` (one of :data:`STAGES`) whenever ``event`` fires, until
        the returned function is called. The engine registers no callbacks of its own: this is
        the hook fault-injection tests use (:func:`mdreg.testing.faults.failing_at`).

        Raises:
            ValueError: an unknown event or stage.
        """
        spec = self.definition.event(event)
        if spec is None or stage not in STAGES:
            raise ValueError(f"no event {event!r} or stage {stage!r} in workflow {self.id!r}")

        def run(data: Any) -> bool:
            if data.event.name == event:
                callback()
            return True

        machine = self._machine
        item: Any = Condition(run) if stage == "conditions" else run
        if stage == "finalize_event":
            lists = [machine.finalize_event]
        elif stage in ("on_exit", "on_enter"):
            names = spec.sources if stage == "on_exit" else (spec.dest,)
            lists = [getattr(machine.get_state(name), stage) for name in names]
        else:
            lists = [getattr(t, stage) for ts in machine.events[event].transitions.values()
                     for t in ts]
        for callbacks in lists:
            callbacks.append(item)

        def detach() -> None:
            for callbacks in lists:
                callbacks.remove(item)

        return detach

    def mermaid(self, *, title: bool = True) -> str:
        """A mermaid ``stateDiagram-v2`` of the definition (see :func:`mermaid`)."""
        return mermaid(self.definition, title=title)


#: Words mermaid's state-diagram grammar reads as keywords (case-insensitively): a state id
#: spelled like one is drawn under another name.
MERMAID_KEYWORDS = frozenset({
    "accdescr", "acctitle", "as", "class", "classdef", "click", "default", "direction", "end",
    "hide", "left", "note", "of", "right", "scale", "state", "style",
})


def mermaid(definition: WorkflowDefinition, *, title: bool = True) -> str:
    """A mermaid ``stateDiagram-v2`` of ``definition`` with Chinese labels: the initial state
    entered from ``[*]``, each final state leading to ``[*]``, one arrow per source and
    destination (events sharing one are joined with ``|``). No state is styled or marked as
    current. With ``title``, the definition's label is the diagram's title, in a front-matter
    block (``title: "…"``, quoted).

    >>> from mdreg.workflows.base import EventSpec, Role, StateSpec, WorkflowDefinition
    >>> print(mermaid(WorkflowDefinition(
    ...     "demo", "示例: demo", initial="open",
    ...     states=(StateSpec("open", "打开"), StateSpec("end", "结束", final=True)),
    ...     events=(EventSpec("close", "关闭", ("open",), "end", Role.APPLICANT),))))
    ---
    title: "示例: demo"
    ---
    stateDiagram-v2
      direction LR
      state "打开" as open
      state "结束" as s_end
      [*] --> open
      open --> s_end: 关闭
      s_end --> [*]
    """
    names = _diagram_ids(definition.state_ids)
    arrows: dict[tuple[str, str], list[str]] = {}
    for event in definition.events:
        for source in event.sources:
            arrows.setdefault((source, event.dest), []).append(_text(event.label))
    lines = [f'---\ntitle: {json.dumps(definition.label, ensure_ascii=False)}\n---'] if title else []
    lines += ["stateDiagram-v2", "  direction LR"]
    lines += [f'  state "{_text(s.label).replace(chr(34), "#quot;")}" as {names[s.id]}'
              for s in definition.states]
    lines.append(f"  [*] --> {names[definition.initial]}")
    lines += [f"  {names[a]} --> {names[b]}: {' | '.join(labels)}"
              for (a, b), labels in arrows.items()]
    lines += [f"  {names[s.id]} --> [*]" for s in definition.states if s.final]
    return "\n".join(lines)


def _diagram_ids(state_ids: Iterable[str]) -> dict[str, str]:
    """Each state id as the diagram names it: itself, unless mermaid reads it as a keyword."""
    taken = set(state_ids)
    names = {}
    for state in taken:
        name = state
        while name.lower() in MERMAID_KEYWORDS or (name != state and name in taken):
            name = f"s_{name}"
        names[state] = name
    return names


def _text(label: str) -> str:
    """A label on one line, without the characters that end a mermaid statement."""
    return " ".join(label.split()).replace(";", "#59;")


def markdown_table(definition: WorkflowDefinition, rules: Iterable[tuple[str, str]] = ()) -> str:
    """A Markdown table of the events (id, 中文, from → to, who)."""
    notes = dict(rules)
    rows = [
        "| 事件 event | 中文 | 从 from | 到 to | 办理方 by | 规则 rules |",
        "|---|---|---|---|---|---|",
    ]
    for event in definition.events:
        sources = ", ".join(f"`{s}`" for s in event.sources)
        rows.append(
            f"| `{event.id}` | {_cell(event.label)} | {sources} | `{event.dest}` | "
            f"{event.by.value} | {_cell(notes.get(event.id, ''))} |"
        )
    return "\n".join(rows)


def _cell(text: str) -> str:
    """Text in one table cell: on one line, a ``|`` escaped."""
    return " ".join(text.split()).replace("|", "\\|")
