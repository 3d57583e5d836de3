"""Work lists in one statement: the applications routed to an institution or a department in
some states, each with its earliest open deadline, ordered and paged by ``(due, id)``.

The earliest open deadline is the application row's ``work_due``, which the database keeps
(migration 0015's triggers on ``deadlines``); the holder's ``(work_due, id, state)`` index yields
a page in order, so a page reads about as many index entries as it lists. The index holds open
applications only: a work list never lists a state that closes an application (no party acts
on it), so a holder's years of decided applications are never stepped over.

The states and types are one parameter each (an array on PostgreSQL, a JSON array on SQLite),
so each holder has two page statements whatever the filter — one for a single state, one for
several (:meth:`WorkListStatements.page_for`) — and their plans are compiled once per process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Select,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql

from mdreg.adapters.sql import mapping, tables
from mdreg.ports import NO_DUE_DATE, WorkQuery

HOLDERS = ("institution", "department")


@attrs.frozen
class WorkListStatements:
    """A page and the counts per state, for each holder. A page of one state compares the state
    with ``=``: PostgreSQL (before 17) keeps an ``= ANY`` on a later column of an index out of
    an ordered index scan's conditions and checks it on every row fetched, so a page of one
    state would read the holder's rows in the other states too."""

    page: dict[str, Select[Any]]
    page_one_state: dict[str, Select[Any]]
    counts: dict[str, Select[Any]]

    @classmethod
    def build(cls, dialect: str) -> WorkListStatements:
        return cls({holder: _page(holder, dialect) for holder in HOLDERS},
                   {holder: _page(holder, dialect, one_state=True) for holder in HOLDERS},
                   {holder: _counts(holder, dialect) for holder in HOLDERS})

    def page_for(self, query: WorkQuery) -> Select[Any]:
        """The page statement for ``query``'s holder and number of states."""
        pages = self.page_one_state if len(query.states) == 1 else self.page
        return pages[query.holder]


def _among(column: Any, name: str, dialect: str) -> Any:
    """``column`` is one of the values of list parameter ``name``."""
    if dialect == "sqlite":
        return column.in_(select(literal_column("value")).select_from(
            func.json_each(bindparam(name, type_=Text()))))
    return column == any_(bindparam(name, type_=postgresql.ARRAY(Text())))


def _page(holder: str, dialect: str, *, one_state: bool = False) -> Select[Any]:
    apps = tables.applications
    in_state = (apps.c.state == bindparam("state") if one_state
                else _among(apps.c.state, "states", dialect))
    return (select(apps.c.work_due, *mapping.APPLICATIONS.selected)
            .where(apps.c[f"{holder}_id"] == bindparam("party"),
                   text(tables.OPEN_APPLICATION),  # the index holds open applications only
                   tuple_(apps.c.work_due, apps.c.id)
                   > tuple_(bindparam("after_due", type_=Date()), bindparam("after_id")),
                   apps.c.work_due <= bindparam("due_by", type_=Date()),
                   in_state,
                   or_(bindparam("any_type", type_=Boolean()),
                       _among(apps.c.type, "types", dialect)))
            .order_by(apps.c.work_due, apps.c.id)
            .limit(bindparam("limit", type_=Integer())))


def _counts(holder: str, dialect: str) -> Select[Any]:
    apps = tables.applications
    return (select(apps.c.state, func.count())
            .where(apps.c[f"{holder}_id"] == bindparam("party"),
                   _among(apps.c.state, "states", dialect))
            .group_by(apps.c.state))


@functools.cache
def work_list_statements(dialect: str) -> WorkListStatements:
    """Built once per dialect and process."""
    return WorkListStatements.build(dialect)


def _list(values: Sequence[str], dialect: str) -> Any:
    return list(values) if dialect != "sqlite" else json.dumps(list(values))


def page_params(query: WorkQuery, dialect: str) -> dict[str, Any]:
    """The parameters of the page statement :meth:`WorkListStatements.page_for` gives for
    ``query``."""
    after_due, after_id = query.after or (date.min, "")
    return {"party": query.party, "states": _list(query.states, dialect),
            "state": query.states[0] if query.states else "",
            "types": _list(query.types, dialect), "any_type": not query.types,
            "after_due": after_due, "after_id": after_id,
            "due_by": query.due_by or NO_DUE_DATE, "limit": max(query.limit, 0)}


def count_params(party: str, states: Sequence[str], dialect: str) -> dict[str, Any]:
    """The parameters of :attr:`WorkListStatements.counts`."""
    return {"party": party, "states": _list(states, dialect)}
