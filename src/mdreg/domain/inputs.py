"""输入检查 — every value a caller hands to mdreg is checked against its declared type.

A portal passes what its users typed, and a host program may pass anything Python allows. The
public commands check each argument against its annotation before any work starts, so a wrong
type, an unprintable character or an absurd size is a :class:`~mdreg.errors.ValidationError`
naming the field (Chinese label and English name) instead of an ``AttributeError`` deep inside,
and nothing is written:

>>> from datetime import date
>>> check(None, str, "application_id")
Traceback (most recent call last):
...
mdreg.errors.ValidationError: application_id: must be text, not NoneType
>>> check(date(9999, 12, 31), date, "as_of")
Traceback (most recent call last):
...
mdreg.errors.ValidationError: as_of: a date between 1900-01-01 and 2199-12-31
>>> check("A1\\x00", str, "application_id")
Traceback (most recent call last):
...
mdreg.errors.ValidationError: application_id: holds control characters or unpaired surrogates

What is checked, by annotation: ``str`` (text without control characters — line breaks and
tabs allowed in written text — or lone surrogates; identifiers one line of at most
:data:`IDENTIFIER_CHARACTERS`, other text at most :data:`TEXT_CHARACTERS`), ``bool``
(``True``/``False`` only), ``int`` (not a bool; between 0 and :data:`INT_MAX`), ``date``
(not a datetime; years :data:`YEARS`), ``datetime`` (aware; years :data:`YEARS`), enums,
attrs classes (every field, recursively), ``X | None``, ``tuple[X, ...]`` and sequences (at
most :data:`ITEMS` items). Written reasons are limited further by
:class:`~mdreg.infra.limits.Limits`.
"""

from __future__ import annotations

import types
import typing
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

import attrs

from mdreg.errors import ValidationError

T = TypeVar("T")

#: Years a date or time may fall in: wider than any registration business needs, narrow enough
#: that adding years or working days to it cannot leave Python's calendar.
YEARS = (1900, 2199)
#: Longest identifier (ids, events, keys, codes): one line.
IDENTIFIER_CHARACTERS = 200
#: Longest other text in a payload or argument (reasons have their own, smaller limit).
TEXT_CHARACTERS = 100_000
#: Most items in one list argument or payload field.
ITEMS = 1_000
#: Largest integer argument (months, years, versions, counts).
INT_MAX = 2**31 - 1

#: Chinese labels of the fields and arguments callers pass (a name without one shows itself).
LABELS: dict[str, str] = {
    # payload fields
    "institution_id": "拟执业机构", "new_institution_id": "拟变更执业机构",
    "qualification_no": "医师资格证书编码", "scopes": "执业范围", "category": "执业类别",
    "re_registration": "重新注册", "evidence": "培训考核情况", "county_approved": "县级部门已批准",
    "registration_id": "注册记录", "filing_id": "备案记录", "legacy_id": "多地点执业记录",
    "ground": "注销情形", "ground_on": "情形发生日期", "valid_from": "备案起始日期",
    "valid_to": "备案截止日期", "proof_document": "证明文件", "military_unit": "军队单位",
    "military_registered_on": "军队注册日期", "military_practice_ended_on": "军队执业终止日期",
    "ground_known_on": "知道情形之日", "details": "情况说明", "training_months": "培训月数",
    "assessment_passed": "考核合格", "scope_evidence": "执业范围变更依据",
    "higher_degree": "更高学历", "training_years": "培训年数",
    # command arguments
    "actor": "操作人", "kind": "类别", "party_id": "操作方", "user": "经办人",
    "payload": "申请内容", "business": "业务类型", "physician_id": "医师", "submit": "提交",
    "idempotency_key": "幂等键", "batch_id": "批次", "requests": "申请列表",
    "application_id": "申请编号", "event": "操作", "reason": "理由", "corrections": "补正事项",
    "expected_version": "版本号", "materials": "纸质材料", "on": "日期", "as_of": "截至日期",
    "now": "时间", "batch": "每批条数", "batch_size": "每批条数", "start": "起始日期",
    "end": "截止日期", "subject_id": "对象编号", "aggregate_id": "对象编号",
    "notice_id": "通知编号", "position": "位置", "limit": "条数", "since": "起始日期",
    "until": "截止日期", "physician_ids": "医师列表", "assessment": "考核结果",
    "departments": "卫生健康委", "institutions": "医疗机构", "physicians": "医师",
    "registrations": "注册记录", "filings": "备案记录", "legacy_sites": "多地点执业记录",
    "assessments": "考核结果", "candidate": "候选政策", "to": "目标定义", "plan": "迁移计划",
    "revision": "版本", "mapping": "状态对应", "progress": "进度回调", "legacy": "多地点执业记录",
    "schedule": "节假日安排", "suspension_months": "暂停执业月数", "where": "筛选条件",
    "assignee": "经办人", "officer": "经办人", "after": "上一页末位", "accounts": "账号",
    # account commands
    "auto_activation": "自动激活", "certificate_no": "资格证书编码", "change_id": "变更申请编号",
    "channel": "验证方式", "checked": "身份核验方式", "code": "验证码", "current": "当前密码",
    "data": "照片", "department": "科室", "education": "学历", "email": "邮箱",
    "id_number": "身份证号", "login_name": "用户名", "message_id": "消息编号",
    "message_ids": "消息编号", "name": "姓名",
    "new": "新密码", "new_email": "新邮箱", "new_password": "新密码", "new_phone": "新手机号",
    "password": "密码", "phone": "手机号", "school": "毕业院校", "source": "来源", "title": "职称",
}

#: Argument and field names that are identifiers (one short line), or lists of them (``_ids``).
_IDENTIFIER_SUFFIXES = ("_id", "_ids", "_no", "_key")
_IDENTIFIERS = frozenset({"event", "party_id", "user", "business", "id"})


def label(field: str) -> str:
    """The Chinese label of ``field`` (the last part of a dotted path), or the name itself."""
    return LABELS.get(field.rsplit(".", 1)[-1].split("[", 1)[0], field)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError(field, message, field_label=label(field))


@cache
def _is_identifier(field: str) -> bool:
    name = field.rsplit(".", 1)[-1].split("[", 1)[0]
    return name in _IDENTIFIERS or name.endswith(_IDENTIFIER_SUFFIXES)


def _text(value: object, field: str) -> None:
    if type(value) is str and len(value) <= IDENTIFIER_CHARACTERS and value.isprintable():
        return  # the common case: a short line of printable text fits every string field
    identifier = _is_identifier(field)
    text(value, field, label(field), IDENTIFIER_CHARACTERS if identifier else TEXT_CHARACTERS,
         one_line=identifier)


def text(value: object, field: str, field_label: str, limit: int, *,
         one_line: bool = False) -> str:
    """``value`` if it is text mdreg may store: a string of at most ``limit`` characters
    without control characters or lone surrogates (line breaks and tabs allowed unless
    ``one_line``, which refuses line separators too); unchanged, not stripped.

    Raises:
        ValidationError: naming ``field`` (``field_label`` in Chinese), never quoting the value.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, not {type(value).__name__}",
                              field_label=field_label)
    if len(value) > limit:
        raise ValidationError(field, f"at most {limit} characters", field_label=field_label)
    if not value.isprintable() and any(unwritable(ch, one_line=one_line) for ch in value):
        raise ValidationError(field, "holds control characters or unpaired surrogates",
                              field_label=field_label)
    return value


def unwritable(ch: str, *, one_line: bool = False) -> bool:
    """Whether ``ch`` may not be stored in text: a control character (line breaks and tabs
    allowed unless ``one_line``; line and paragraph separators never on one line) or half of a
    surrogate pair."""
    if ch in "\n\r\t":
        return one_line
    return unicodedata.category(ch) in (("Cc", "Cs", "Zl", "Zp") if one_line else ("Cc", "Cs"))


def _in_years(value: date, field: str, what: str) -> None:
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise _refuse(field, f"a {what} between {YEARS[0]}-01-01 and {YEARS[1]}-12-31")


def _date(value: object, field: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _refuse(field, f"must be a date, not {type(value).__name__}")
    _in_years(value, field, "date")


def _datetime(value: object, field: str) -> None:
    if not isinstance(value, datetime):
        raise _refuse(field, f"must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _refuse(field, "must carry its time zone (an aware datetime)")
    _in_years(value, field, "time")


def _int(value: object, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _refuse(field, f"must be a whole number, not {type(value).__name__}")
    if not 0 <= value <= INT_MAX:
        raise _refuse(field, f"between 0 and {INT_MAX}")


def _bool(value: object, field: str) -> None:
    if not isinstance(value, bool):
        raise _refuse(field, f"must be True or False, not {type(value).__name__}")


#: the class each checker made by :func:`_instance` checks for, and the checker of ``X`` in
#: each checker of ``X | None`` (for :func:`_fast`)
_INSTANCE_OF: dict[Callable[[object, str], None], type] = {}
_OPTIONAL_OF: dict[Callable[[object, str], None], Callable[[object, str], None]] = {}

_SIMPLE: dict[object, Callable[[object, str], None]] = {
    str: _text, int: _int, bool: _bool, date: _date, datetime: _datetime,
}


def check(value: object, annotation: object, field: str) -> None:
    """Check ``value`` against ``annotation`` (see the module's docstring).

    Raises:
        ValidationError: the value does not fit; names ``field`` (dotted for nested values).
    """
    _checker(annotation)(value, field)


@cache
def _checker(annotation: Any) -> Callable[[object, str], None]:
    simple = _SIMPLE.get(annotation)
    if simple is not None:
        return simple
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return _union(args)
    if origin is tuple and args and args[-1] is not Ellipsis:
        return _fixed_tuple(args)
    if origin in (tuple, Sequence, list):
        item = args[0] if args else object
        return _sequence(item, tuple_only=origin is tuple)
    if origin is typing.Literal:
        return _literal(args)
    if isinstance(annotation, type) and annotation is not object and not getattr(
            annotation, "_is_protocol", False):
        if attrs.has(annotation):
            return _attrs_instance(annotation)
        return _instance(annotation)
    return _anything


def _anything(value: object, field: str) -> None:
    """Annotations mdreg does not check (callables, mappings, ``object``)."""


def _instance(cls: type) -> Callable[[object, str], None]:
    def check_instance(value: object, field: str) -> None:
        if not isinstance(value, cls):
            raise _refuse(field, f"must be a {cls.__name__}, not {type(value).__name__}")

    _INSTANCE_OF[check_instance] = cls
    return check_instance


def _attrs_instance(cls: type) -> Callable[[object, str], None]:
    def check_attrs(value: object, field: str) -> None:
        if not isinstance(value, cls):
            raise _refuse(field, f"must be a {cls.__name__}, not {type(value).__name__}")
        check_fields(value, field)

    return check_attrs


def _union(args: tuple[object, ...]) -> Callable[[object, str], None]:
    checkers = [(arg, _checker(arg)) for arg in args if arg is not type(None)]
    optional = type(None) in args

    def check_union(value: object, field: str) -> None:
        if value is None and optional:
            return
        closest: ValidationError | None = None
        for arg, checker in checkers:
            try:
                checker(value, field)
            except ValidationError as refused:
                if closest is None and isinstance(arg, type) and isinstance(value, arg):
                    closest = refused  # the right type, a wrong value: say what is wrong
                continue
            return
        if closest is not None:
            raise closest
        names = " or ".join(getattr(a, "__name__", str(a)) for a, _ in checkers)
        raise _refuse(field, f"must be {names}{' or None' if optional else ''}, "
                             f"not {type(value).__name__}")

    if optional and len(checkers) == 1:
        _OPTIONAL_OF[check_union] = checkers[0][1]
    return check_union


def _literal(args: tuple[object, ...]) -> Callable[[object, str], None]:
    def check_literal(value: object, field: str) -> None:
        if not any(type(value) is type(arg) and value == arg for arg in args):
            raise _refuse(field, f"must be one of {', '.join(map(repr, args))}")

    return check_literal


def _fixed_tuple(args: tuple[object, ...]) -> Callable[[object, str], None]:
    checkers = [_checker(arg) for arg in args]

    def check_fixed(value: object, field: str) -> None:
        if not isinstance(value, tuple) or len(value) != len(checkers):
            raise _refuse(field, f"must be a tuple of {len(checkers)}, not "
                                 f"{type(value).__name__}")
        for i, (element, checker) in enumerate(zip(value, checkers, strict=True)):
            checker(element, f"{field}[{i}]")

    return check_fixed


def _sequence(item: object, *, tuple_only: bool) -> Callable[[object, str], None]:
    checker = _checker(item)

    def check_sequence(value: object, field: str) -> None:
        kind = type(value)
        if kind is not tuple and (tuple_only or kind is not list) and (
                isinstance(value, str | bytes | bytearray) or not isinstance(
                    value, tuple if tuple_only else (tuple, list, Sequence))):
            raise _refuse(field, f"must be a list, not {type(value).__name__}")
        items: Sequence[object] = value  # type: ignore[assignment] # checked just above
        if len(items) > ITEMS:
            raise _refuse(field, f"at most {ITEMS} items")
        for i, element in enumerate(items):
            try:
                checker(element, field)
            except ValidationError as refused:
                raise _renamed(refused, refused.field.replace(field, f"{field}[{i}]", 1)) from None

    return check_sequence


@cache
def _field_checkers(cls: Any) -> tuple[tuple[str, Callable[[object, str], None]], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _checker(hints.get(f.name, object))) for f in attrs.fields(cls))


#: The common case of a simple value, as a Python expression on ``v``: a value it holds for
#: fits (its checker is not called); any other value goes to the checker, which accepts it or
#: says what is wrong.
_FAST: dict[Callable[[object, str], None], str] = {
    _text: f"type(v) is str and len(v) <= {IDENTIFIER_CHARACTERS} and v.isprintable()",
    _int: f"type(v) is int and 0 <= v <= {INT_MAX}",
    _bool: "v is True or v is False",
    _date: f"type(v) is date and {YEARS[0]} <= v.year <= {YEARS[1]}",
}


def _fast(checker: Callable[[object, str], None], n: int, namespace: dict[str, Any]
          ) -> str | None:
    """The common case :func:`_fields_checker` checks inline for ``checker`` (field ``n``), if
    there is one: a simple type, an instance of a class, either of them or ``None``."""
    inner = _OPTIONAL_OF.get(checker)
    if inner is not None:
        fast = _fast(inner, n, namespace)
        return None if fast is None else f"v is None or {fast}"
    cls = _INSTANCE_OF.get(checker)
    if cls is not None:
        namespace[f"class_{n}"] = cls
        return f"type(v) is class_{n}"
    return _FAST.get(checker)


@cache
def _fields_checker(cls: Any) -> Callable[[object], None]:
    """One function that checks every field of ``cls`` in order, generated once per class (as
    attrs generates ``__init__``): a field of a simple type is checked inline in the common
    case, every other field, and every other value, by its checker."""
    namespace: dict[str, Any] = {"date": date}
    lines = ["def check_fields_of(value):"]
    for n, (name, checker) in enumerate(_field_checkers(cls)):
        namespace[f"check_{n}"] = checker
        fast = _fast(checker, n, namespace)
        lines.append(f"    v = value.{name}")
        if fast is None:
            lines.append(f"    check_{n}(v, {name!r})")
        else:
            lines.append(f"    if not ({fast}):")
            lines.append(f"        check_{n}(v, {name!r})")
    lines.append("    return None")
    exec("\n".join(lines), namespace)  # noqa: S102 - code built from the class's field names
    check_fields_of: Callable[[object], None] = namespace["check_fields_of"]
    return check_fields_of


def check_fields(value: object, field: str = "") -> None:
    """Check every field of the attrs instance ``value`` against its annotation; ``field``
    prefixes the names in errors (``evidence.training_months``).

    Raises:
        ValidationError: the first field that does not fit.
    """
    cls: Any = type(value)
    try:
        _fields_checker(cls)(value)
    except ValidationError as refused:
        if not field:
            raise
        raise _renamed(refused, f"{field}.{refused.field}") from None


def _renamed(refused: ValidationError, field: str) -> ValidationError:
    return _refuse(field, refused.message.removeprefix(f"{refused.field}: "))


def checked_items(values: object, cls: type[T], field: str) -> Iterator[T]:
    """The items of the iterable ``values``, each checked to be a valid ``cls`` as it is
    drawn (a generator stays lazy).

    Raises:
        ValidationError: ``values`` is not iterable, or an item does not fit.
    """
    if isinstance(values, str | bytes | bytearray) or not isinstance(values, Iterable):
        raise _refuse(field, f"must be a collection, not {type(values).__name__}")
    checker = _checker(typing.cast(Any, cls))
    for i, item in enumerate(values):
        try:
            checker(item, field)
        except ValidationError as refused:  # the item's index, only when it is wrong
            raise _renamed(refused, refused.field.replace(field, f"{field}[{i}]", 1)) from None
        yield typing.cast(T, item)


def _resolve(func: Callable[..., Any]) -> dict[str, object]:
    try:
        return typing.get_type_hints(func)
    except NameError as missing:  # a name imported only for type checkers
        raise TypeError(f"{func.__qualname__}: cannot check its arguments ({missing})") from None


def _argument_checkers(func: Callable[..., Any]
                       ) -> tuple[tuple[str, ...], dict[str, Callable[[object, str], object]]]:
    code = func.__code__
    names = code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]
    checkers: dict[str, Callable[[object, str], object]] = {}
    for name, annotation in _resolve(func).items():
        if name == "return" or name not in names:
            continue
        if name == "payload":
            checkers[name] = _payload
        elif typing.get_origin(annotation) is Iterable:
            checkers[name] = _lazy(typing.get_args(annotation)[0])
        else:
            checkers[name] = _eager(_checker(annotation))
    return names[:code.co_argcount - 1], checkers


def _lazy(item: Any) -> Callable[[object, str], object]:
    def check_lazily(value: object, field: str) -> object:
        return checked_items(value, item, field)

    return check_lazily


def _eager(checker: Callable[[object, str], None]) -> Callable[[object, str], object]:
    def check_now(value: object, field: str) -> object:
        checker(value, field)
        return value

    return check_now


def _payload(value: object, field: str) -> object:
    from mdreg.domain.application import PAYLOAD_CLASSES

    if type(value) not in PAYLOAD_CLASSES.values():
        raise _refuse(field, f"must be an application payload (RegistrationRequest, …), "
                             f"not {type(value).__name__}")
    check_fields(value)  # a payload's fields are named as they are (``scopes``, ``valid_to``)
    return value


def guarded(func: Callable[..., T]) -> Callable[..., T]:
    """``func`` (a method) with every argument checked against its annotation first (an
    iterable argument is checked item by item as the method draws from it)."""
    plan: list[tuple[tuple[str, ...], dict[str, Callable[[object, str], object]]]] = []

    def wrapper(self: object, *args: Any, **kwargs: Any) -> T:
        if not plan:
            plan.append(_argument_checkers(func))
        positional, checkers = plan[0]
        if len(args) > len(positional):
            raise TypeError(f"{func.__qualname__}: too many positional arguments")
        checked_args = [_apply(checkers, name, value) for name, value in zip(
            positional, args, strict=False)]
        checked_kwargs = {name: _apply(checkers, name, value) for name, value in kwargs.items()}
        return func(self, *checked_args, **checked_kwargs)

    wrapper.__wrapped__ = func  # type: ignore[attr-defined]
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__", "__annotations__"):
        setattr(wrapper, attribute, getattr(func, attribute))
    return wrapper


def _apply(checkers: dict[str, Callable[[object, str], object]], name: str, value: object
           ) -> object:
    checker = checkers.get(name)
    return value if checker is None else checker(value, name)


def guard_public_methods(cls: type[T]) -> type[T]:
    """Class decorator: every public method of ``cls`` checks its arguments (:func:`guarded`)."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and callable(member) and not isinstance(
                member, staticmethod | classmethod | type):
            setattr(cls, name, guarded(member))
    return cls
