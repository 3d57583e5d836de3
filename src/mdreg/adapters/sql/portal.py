"""Repositories of the personal portal: accounts, one-time codes, personal changes, practice info
and assessments (the outbox is in :mod:`mdreg.adapters.sql.outbox`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mdreg.adapters.sql import mapping
from mdreg.adapters.sql.repositories import (
    Executor,
    LockingExecutor,
    SqlPerPhysician,
    SqlVersioned,
)
from mdreg.adapters.sql.statements import PortalStatements
from mdreg.domain.account import (
    Account,
    Assessment,
    ChangeKind,
    CodePurpose,
    OneTimeCode,
    PersonalChange,
    PracticeInfo,
)
from mdreg.infra.protection import IdProtection
from mdreg.ports import (
    AccountRepository,
    AssessmentRepository,
    OneTimeCodeRepository,
    PersonalChangeRepository,
    PracticeInfoRepository,
)


class SqlAccounts(SqlVersioned[Account], AccountRepository):
    """Accounts. A physician's account row read with the rule inputs (PostgreSQL's combined
    statement) is kept as the answer of :meth:`for_physician` until the unit writes an account
    of that physician."""

    def __init__(self, db: Executor, statements: PortalStatements,
                 mapper: mapping.RowMapper[Account] = mapping.ACCOUNTS) -> None:
        super().__init__(db, mapper, statements.accounts, "account")
        self._sql = statements
        self._held: dict[str, Mapping[str, Any] | None] = {}

    def by_login(self, login_name: str) -> Account | None:
        found = self._many(self._sql.account_by_login, {"key": login_name.casefold()})
        return found[0] if found else None

    def for_physician(self, physician_id: str) -> Account | None:
        if physician_id in self._held:
            row = self._held[physician_id]
            return None if row is None else self._mapper.from_json(row)
        found = self._many(self._sql.account_of_physician, {"physician_id": physician_id})
        return found[0] if found else None

    def hold_json(self, physician_id: str, row: Mapping[str, Any] | None) -> None:
        """Keep ``row`` (a JSON object of the selected columns; ``None``: no account) as the
        physician's account."""
        self._held[physician_id] = row

    def add(self, entity: Account) -> None:
        self._held.pop(entity.physician_id, None)
        super().add(entity)

    def save(self, entity: Account, expected_version: int) -> None:
        self._held.pop(entity.physician_id, None)
        super().save(entity, expected_version)


class SqlCodes(SqlVersioned[OneTimeCode], OneTimeCodeRepository):
    """Codes; with protection the ``destination`` column holds a blind index of the phone or
    address, so the quota counts by it."""

    def __init__(self, db: LockingExecutor, statements: PortalStatements,
                 mapper: mapping.RowMapper[OneTimeCode] = mapping.ONE_TIME_CODES,
                 protection: IdProtection | None = None) -> None:
        super().__init__(db, mapper, statements.codes, "one_time_code")
        self._sql = statements
        self._locking = db
        self._protection = protection

    def latest(self, account_id: str, purpose: CodePurpose) -> OneTimeCode | None:
        found = self._many(self._sql.latest_code,
                           {"account_id": account_id, "purpose": purpose.value})
        return found[0] if found else None

    def sent_since(self, destination: str, since: datetime) -> int:
        # protected, the column holds the index under any key of the ring (a rotation half
        # done) or, for a code sent before phones were protected, the destination in clear
        keys = ((destination,) if self._protection is None
                else (*self._protection.indexes(destination, "destination"), destination))
        return sum(int(self._db.read(self._sql.codes_sent_since,
                                     {"destination": key, "since": since})[0][0])
                   for key in keys)

    def lock_destination(self, destination: str) -> None:
        key = (destination if self._protection is None
               else self._protection.index(destination, "destination"))
        self._locking.read_locked(self._sql.lock_destination, {"destination": key})


class SqlPersonalChanges(SqlVersioned[PersonalChange], PersonalChangeRepository):
    def __init__(self, db: Executor, statements: PortalStatements) -> None:
        super().__init__(db, mapping.PERSONAL_CHANGES, statements.changes, "personal_change")
        self._sql = statements

    def pending_for(self, physician_id: str, kind: ChangeKind) -> PersonalChange | None:
        found = self._many(self._sql.pending_change,
                           {"physician_id": physician_id, "kind": kind.value})
        return found[0] if found else None

    def for_physician(self, physician_id: str) -> tuple[PersonalChange, ...]:
        return self._many(self._sql.changes_of, {"physician_id": physician_id})

    def inbox(self, institution_id: str, state: str) -> tuple[PersonalChange, ...]:
        return self._many(self._sql.change_inbox,
                          {"institution_id": institution_id, "state": state})


class SqlPracticeInfo(SqlVersioned[PracticeInfo], PracticeInfoRepository):
    def __init__(self, db: Executor, statements: PortalStatements) -> None:
        super().__init__(db, mapping.PRACTICE_INFO, statements.practice_info, "practice_info")


class SqlAssessments(SqlPerPhysician[Assessment], AssessmentRepository):
    def __init__(self, db: Executor, statements: PortalStatements) -> None:
        super().__init__(db, mapping.ASSESSMENTS, statements.assessments, "assessment")
