"""序列化 — the cattrs converter for every mdreg value.

Decisions (build one converter per process; building one costs milliseconds):

* dates and datetimes are ISO 8601 strings; datetimes must be aware and come back in UTC;
* :class:`~mdreg.domain.identifiers.ResidentId`, :class:`~mdreg.domain.identifiers.DivisionCode`
  and :class:`~mdreg.domain.identifiers.Phone` are their plain strings (validated when structured);
* enums are their values;
* application payloads carry their class name under ``kind`` (a tagged union);
* structuring errors become :class:`~mdreg.errors.SerializationError` listing every problem.

>>> from mdreg.domain.identifiers import DivisionCode
>>> converter = make_converter()
>>> converter.unstructure(DivisionCode("110105"))
'110105'
>>> structure({"code": "11"}, DivisionCode)
Traceback (most recent call last):
...
mdreg.errors.SerializationError: division_code: must be 6 digits
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

import cattrs
from cattrs.v import format_exception

from mdreg.domain.application import PAYLOAD_CLASSES, BusinessType, Payload
from mdreg.domain.clock import ensure_aware
from mdreg.domain.identifiers import DivisionCode, Phone, ResidentId
from mdreg.errors import MdregError, SerializationError

T = TypeVar("T")


def configure_converter(converter: cattrs.Converter) -> None:
    """Register mdreg's hooks on ``converter``."""
    converter.register_unstructure_hook(date, lambda d: d.isoformat())
    converter.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    converter.register_unstructure_hook(datetime, lambda d: ensure_aware(d).isoformat())
    converter.register_structure_hook(
        datetime, lambda v, _: ensure_aware(datetime.fromisoformat(v))
    )
    converter.register_unstructure_hook(ResidentId, lambda r: r.value)
    converter.register_structure_hook(ResidentId, lambda v, _: ResidentId.parse(v))
    converter.register_unstructure_hook(DivisionCode, lambda d: d.code)
    converter.register_structure_hook(DivisionCode, _division)
    converter.register_unstructure_hook(Phone, lambda p: p.national)
    converter.register_structure_hook(Phone, lambda v, _: Phone.parse(v))
    converter.register_unstructure_hook(BusinessType, str)
    converter.register_structure_hook(BusinessType, lambda v, _: BusinessType(v))
    _configure_payloads(converter)


def _configure_payloads(converter: cattrs.Converter) -> None:
    """Payloads are a tagged union over :data:`~mdreg.domain.application.PAYLOAD_CLASSES`,
    read when a value is converted (so a business type declared later is known)."""

    def unstructure(value: Any) -> Any:
        data = converter.unstructure(value, unstructure_as=type(value))
        data["kind"] = type(value).__name__
        return data

    hooks: dict[str, tuple[Hook, type]] = {}  # each kind's hook, looked up once

    def structure(data: Any, _: object) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a payload is a mapping, not {type(data).__name__}")
        kind = data.get("kind", "")
        cls = PAYLOAD_CLASSES.get(kind)  # read each time: a kind may be declared again
        if cls is None:
            raise ValueError(f"unknown payload kind {kind!r}")
        found = hooks.get(kind)
        if found is None or found[1] is not cls:
            found = hooks[kind] = (converter.get_structure_hook(cls), cls)
        return found[0]({k: v for k, v in data.items() if k != "kind"}, cls)

    converter.register_unstructure_hook(Payload, unstructure)
    converter.register_structure_hook(Payload, structure)


def _division(value: Any, _: object) -> DivisionCode:
    return DivisionCode(value["code"] if isinstance(value, dict) else value)


@cache
def make_converter() -> cattrs.Converter:
    """The process-wide configured converter."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    configure_converter(converter)
    return converter


@cache
def make_loader() -> cattrs.Converter:
    """The converter for values mdreg itself stored: the same hooks, without cattrs' detailed
    validation, and identifiers rebuilt as they were written (an ID number or a phone was
    checked when it was parsed, before it was ever stored). About half the cost per row; see
    :func:`load_stored`."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=False)
    configure_converter(converter)
    converter.register_structure_hook(ResidentId, lambda v, _: ResidentId(_text(v)))
    converter.register_structure_hook(Phone, lambda v, _: Phone(_text(v)))
    # date and timestamp columns arrive as Python values (their column types convert them)
    converter.register_structure_hook(date, _stored_date)
    converter.register_structure_hook(datetime, _stored_datetime)
    # a stored division code was checked when it was written; equal codes share one value
    converter.register_structure_hook(DivisionCode, _stored_division)
    # ``X | None`` and ``tuple[X, ...]`` look their element's hook up once, not per value
    converter.register_structure_hook_factory(_is_optional, lambda t: _optional(converter, t))
    converter.register_structure_hook_factory(_is_homogeneous_tuple,
                                              lambda t: _homogeneous_tuple(converter, t))
    # an enum's member by its value; registered on the enum bases, so that a string enum's
    # hook comes before the one cattrs has for ``str`` (the more specific class wins)
    converter.register_structure_hook(enum.StrEnum, _stored_member)
    converter.register_structure_hook(enum.Enum, _stored_member)
    return converter


Hook = Callable[[Any, Any], Any]


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return (get_origin(type_) in (typing.Union, types.UnionType) and len(args) == 2
            and type(None) in args)


def _optional(converter: cattrs.Converter, type_: Any) -> Hook:
    inner_type = next(a for a in get_args(type_) if a is not type(None))
    inner = converter.get_structure_hook(inner_type)
    return lambda value, _: None if value is None else inner(value, inner_type)


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _homogeneous_tuple(converter: cattrs.Converter, type_: Any) -> Hook:
    element_type = get_args(type_)[0]
    if element_type is str:
        return lambda value, _: tuple(map(_text, value))
    element = converter.get_structure_hook(element_type)
    return lambda value, _: tuple([element(v, element_type) for v in value])


#: Division codes loaded so far (GB/T 2260 has a few thousand; each is built and checked once),
#: up to :data:`_DIVISIONS_KEPT` of them.
_DIVISIONS: dict[Any, DivisionCode] = {}
_DIVISIONS_KEPT = 100_000


def _stored_division(value: Any, _: object) -> DivisionCode:
    found = _DIVISIONS.get(value) if isinstance(value, str) else None
    if found is None:
        found = _division(value, _)
        if len(_DIVISIONS) < _DIVISIONS_KEPT:
            _DIVISIONS[found.code] = found
    return found


#: each enum's members by value, built on the first value of that enum loaded
_MEMBERS: dict[type[enum.Enum], dict[Any, enum.Enum]] = {}


def _stored_member(value: Any, type_: type[enum.Enum]) -> Any:
    """An enum's member by its value: a dictionary lookup (the enum itself for anything else,
    so an unknown value fails as it would)."""
    members = _MEMBERS.get(type_)
    if members is None:
        members = _MEMBERS[type_] = {member.value: member for member in type_}
    try:
        return members[value]
    except (KeyError, TypeError):
        return type_(value)


def _stored_date(value: Any, _: object) -> date:
    return value if type(value) is date else date.fromisoformat(value)


def _stored_datetime(value: Any, _: object) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC:  # as the column types return it
        return value
    if isinstance(value, datetime):
        return ensure_aware(value)
    return ensure_aware(datetime.fromisoformat(value))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


def load_stored(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from data mdreg stored; when that fails, :func:`structure` reports every
    problem (it also re-checks identifiers).

    Raises:
        SerializationError: the data no longer makes a ``cls``.
    """
    try:
        return make_loader().structure(data, cls)
    except Exception:
        if isinstance(data, dict):  # columns hold dates as Python values
            data = {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}
        return structure(data, cls)


def unstructure(value: object) -> Any:
    """Plain data (dicts, lists, strings) for ``value``."""
    return make_converter().unstructure(value)


def _messages(exc: BaseException) -> list[str]:
    """One message per problem, each with the path of the value it is about (``@ $.field``)."""
    if isinstance(exc, MdregError):
        return [exc.message]
    if isinstance(exc, Exception):
        return cattrs.transform_error(exc, format_exception=_problem)
    return [str(exc)]


def _problem(exc: BaseException, type_: type | None) -> str:
    """mdreg's own message for its errors (an identifier's check), cattrs' for the others."""
    return exc.message if isinstance(exc, MdregError) else format_exception(exc, type_)


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from plain data; every problem is reported at once."""
    try:
        return make_converter().structure(data, cls)
    except (cattrs.BaseValidationError, MdregError, ValueError, TypeError, KeyError) as exc:
        raise SerializationError(_messages(exc)) from exc


def dumps(value: object) -> str:
    """Compact JSON for ``value`` (keys sorted)."""
    return json.dumps(unstructure(value), ensure_ascii=False, sort_keys=True)


def loads(text: str, cls: type[T]) -> T:
    """The inverse of :func:`dumps`."""
    return structure(json.loads(text), cls)
