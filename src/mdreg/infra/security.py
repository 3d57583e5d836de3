"""安全 — password hashing, one-time codes and the limits that keep them safe.

Passwords are hashed with Argon2id (argon2-cffi). The production profile is RFC 9106's
low-memory recommendation (m = 64 MiB, t = 3, p = 4), above OWASP's floor (m ≥ 19,456 KiB,
t ≥ 2, p ≥ 1); a weaker profile is refused unless explicitly allowed (tests). A stored hash made
with other parameters is upgraded at the next successful login.

One-time codes are 6 digits from :mod:`secrets`, stored only as HMAC-SHA256 over a 128-bit
per-code salt, the purpose and the account (so a code of one purpose never serves another), and
compared with :func:`hmac.compare_digest`. :class:`CodePolicy` refuses a lifetime above 10
minutes, more than 5 attempts per code, and any configuration whose daily brute-force bound
exceeds 10⁻⁴.

>>> policy = CodePolicy()
>>> policy.ttl.total_seconds(), policy.max_attempts, policy.max_daily_success_probability()
(600.0, 5, 5e-05)
>>> CodePolicy(ttl=timedelta(minutes=11))
Traceback (most recent call last):
...
mdreg.errors.InsecureConfiguration: a one-time code may live at most 10 minutes
>>> hasher = CodeHasher(b"k" * 32)
>>> stored = hasher.hash("123456", purpose="verify_phone", subject="U1")
>>> hasher.verify(stored, "123456", purpose="verify_phone", subject="U1")
True
>>> hasher.verify(stored, "123456", purpose="change_phone", subject="U1")
False
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cached_property

import argon2
import attrs
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mdreg.domain.account import CodeHash
from mdreg.domain.inputs import text
from mdreg.domain.throttle import LoginThrottle
from mdreg.errors import InsecureConfiguration, WeakPassword

CODE_DIGITS = 6
MAX_CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
#: The highest accepted chance that guessing breaks one phone's codes in a day (B.8).
DAILY_SUCCESS_CEILING = 1e-4
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
_SCHEME = "hmac-sha256"
_CODE_SPACE: int = 10**CODE_DIGITS


@attrs.frozen
class HashProfile:
    """Argon2id cost parameters; ``memory_cost`` in KiB."""

    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16

    def meets_owasp_floor(self) -> bool:
        """OWASP Password Storage Cheat Sheet minimum for Argon2id: m ≥ 19,456 KiB, t ≥ 2, p ≥ 1."""
        return self.memory_cost >= 19_456 and self.time_cost >= 2 and self.parallelism >= 1


#: RFC 9106 §4 second recommended option ("low memory"); about 0.2 s per hash on two cores.
PRODUCTION_HASHING = HashProfile(time_cost=3, memory_cost=65_536, parallelism=4)
#: Cheap and insecure: for tests only (needs ``allow_weak_hashing=True``).
TEST_HASHING = HashProfile(time_cost=1, memory_cost=8, parallelism=1)

#: Among the most used passwords (international lists and Chinese leak statistics), lower case.
_COMMON = """
12345678 123456789 1234567890 0123456789 password password1 password123 passw0rd p@ssw0rd
p@ssword 11111111 00000000 88888888 66666666 99999999 12344321 87654321 11223344 12341234
123123123 147258369 159357456 741852963 987654321 1122334455 aaaaaaaa qwertyui qwerty123
qwertyuiop 1qaz2wsx 1qazxsw2 12qwaszx 1q2w3e4r 1q2w3e4r5t q1w2e3r4 q1w2e3r4t5 qwer1234
abcd1234 abc12345 abc123456 a1234567 a12345678 a123456789 a123123123 123456aa 123456abc
123456qq aa123456 as123456 qq123456 qq5201314 woaini1314 woaini520 woaini521 woaini123
5201314520 1314520520 1314521521 520131400 a5201314 5845201314 asd123456 zxc123456
qazwsx123 123qweasd qweasdzxc asdfghjk asdfghjkl zxcvbnm1 zxcvbnm123 iloveyou iloveyou1
sunshine princess football baseball welcome1 admin123 administrator letmein1 trustno1
computer internet superman michael1 dragon12 monkey12 shadow12 master12 aptx4869 31415926
3.1415926 woaiwojia wodemima mima1234 wangyang zhang123456 wang123456 li123456 liu123456
chen123456 yisheng123 doctor123 hospital hospital123 yiyuan123 changeme
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())


class Passwords:
    """Argon2id hashing with one :class:`HashProfile`."""

    def __init__(self, profile: HashProfile) -> None:
        self.profile = profile
        self._hasher = argon2.PasswordHasher(
            time_cost=profile.time_cost, memory_cost=profile.memory_cost,
            parallelism=profile.parallelism, hash_len=profile.hash_len,
            salt_len=profile.salt_len, type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """An encoded ``$argon2id$…`` hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """Whether ``password`` matches ``stored``; an empty or malformed hash never matches.

        An empty hash is still checked against a dummy one, so an unknown login takes as long as
        a wrong password.
        """
        try:
            return self._hasher.verify(stored or self._dummy, password) and bool(stored)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than this profile's."""
        return self._hasher.check_needs_rehash(stored)

    @cached_property
    def _dummy(self) -> str:
        return self._hasher.hash(secrets.token_hex(16))


def given_password(value: object, field: str = "password", label: str = "密码") -> str:
    """``value`` as a password entered in a form: a string of at most
    :data:`MAX_PASSWORD_LENGTH` characters without control characters or lone surrogates (not
    stripped: spaces count).

    Raises:
        ValidationError: naming ``field`` (never quoting the value).
    """
    return text(value, field, label, MAX_PASSWORD_LENGTH, one_line=True)


def check_password_strength(password: str, *, login_name: str = "") -> None:
    """Refuse a password that is not text, too short, too long, common, or equal to the login
    name.

    Raises:
        ValidationError: not a string, or holding control characters or lone surrogates.
        WeakPassword: with the reason (never the password).
    """
    if not isinstance(password, str) or len(password) <= MAX_PASSWORD_LENGTH:
        given_password(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"at least {MIN_PASSWORD_LENGTH} characters are required")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"at most {MAX_PASSWORD_LENGTH} characters are allowed")
    folded = password.casefold()
    if folded in COMMON_PASSWORDS:
        raise WeakPassword("this password is among the most common ones")
    if login_name and folded == login_name.casefold():
        raise WeakPassword("the password must differ from the login name")


@attrs.frozen
class CodePolicy:
    """Lifetime, attempt limit and send quotas of one-time codes.

    Raises:
        InsecureConfiguration: lifetime above 10 minutes, more than 5 attempts, a quota below 1,
            or a daily brute-force bound above :data:`DAILY_SUCCESS_CEILING`.
    """

    ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = MAX_ATTEMPTS
    sends_per_hour: int = 5
    sends_per_day: int = 10

    def __attrs_post_init__(self) -> None:
        if not timedelta(0) < self.ttl <= MAX_CODE_TTL:
            raise InsecureConfiguration("a one-time code may live at most 10 minutes")
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS:
            raise InsecureConfiguration(f"a code allows 1 to {MAX_ATTEMPTS} attempts")
        if self.sends_per_hour < 1 or self.sends_per_day < 1:
            raise InsecureConfiguration("send quotas must allow at least one code")
        if self.max_daily_success_probability() > DAILY_SUCCESS_CEILING:
            raise InsecureConfiguration(
                f"brute-force bound {self.max_daily_success_probability():.1e}/day exceeds "
                f"{DAILY_SUCCESS_CEILING:.0e}; lower the attempts or the daily send quota"
            )

    def max_daily_success_probability(self) -> float:
        """Attempts per code × codes per destination per day ÷ 10⁶."""
        per_day = min(self.sends_per_day, 24 * self.sends_per_hour)
        return self.max_attempts * per_day / _CODE_SPACE


def generate_code() -> str:
    """A uniformly random 6-digit code from the operating system's CSPRNG (:mod:`secrets`)."""
    return f"{secrets.randbelow(_CODE_SPACE):0{CODE_DIGITS}d}"


class CodeHasher:
    """HMAC-SHA256 of a code with a secret key, a per-code salt, the purpose and the subject.

    The key is a server secret kept out of the database; every process sharing one database
    must use the same key (:attr:`SecuritySettings.code_key`).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise InsecureConfiguration("the code key needs at least 16 bytes")
        self._key = key

    def _digest(self, salt: bytes, code: str, purpose: str, subject: str) -> bytes:
        message = b"\x00".join((salt, purpose.encode(), subject.encode(), code.encode()))
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def hash(self, code: str, *, purpose: str, subject: str) -> CodeHash:
        """The stored form of ``code``, bound to ``purpose`` and ``subject`` (the account)."""
        salt = secrets.token_bytes(16)
        return CodeHash(_SCHEME, salt.hex(), self._digest(salt, code, purpose, subject).hex())

    def verify(self, stored: CodeHash, code: str, *, purpose: str, subject: str) -> bool:
        """Whether ``code`` is the one hashed for ``purpose`` and ``subject`` (constant time)."""
        if stored.scheme != _SCHEME:
            return False
        candidate = self._digest(bytes.fromhex(stored.salt), code, purpose, subject)
        return hmac.compare_digest(candidate, bytes.fromhex(stored.digest))


def _key_length(_: object, __: object, value: bytes) -> None:
    if len(value) < 16:
        raise InsecureConfiguration("the code key needs at least 16 bytes")


@attrs.frozen
class SecuritySettings:
    """Everything security-related the account service needs.

    Attributes:
        passwords: the Argon2id profile; below OWASP's floor only with ``allow_weak_hashing``.
        codes: lifetime, attempts and quotas of one-time codes.
        throttle: how failed logins are counted and locked out (OWASP ASVS V2.2.1).
        code_key: the HMAC key for code hashes and for the keys failed logins are counted by
            (random per process unless given: share one across processes that use the same
            database).
        allow_weak_hashing: accept a profile below the floor (tests only).
    """

    passwords: HashProfile = PRODUCTION_HASHING
    codes: CodePolicy = attrs.field(factory=CodePolicy)
    throttle: LoginThrottle = attrs.field(factory=LoginThrottle)
    code_key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False,
                                  validator=_key_length)
    allow_weak_hashing: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.passwords.meets_owasp_floor() and not self.allow_weak_hashing:
            raise InsecureConfiguration(
                "the password hashing profile is below OWASP's Argon2id floor "
                "(m >= 19456 KiB, t >= 2, p >= 1)"
            )

    @classmethod
    def for_tests(cls, codes: CodePolicy | None = None,
                  throttle: LoginThrottle | None = None) -> SecuritySettings:
        """Cheap hashing for test suites; never use it in production."""
        return cls(TEST_HASHING, codes or CodePolicy(), throttle or LoginThrottle(),
                   allow_weak_hashing=True)

    def throttle_key(self, scope: str, value: str) -> str:
        """The key failed logins of ``value`` are counted by: ``scope:`` and 32 hex digits of
        an HMAC-SHA256 under :attr:`code_key`, so neither a login name (which may be a phone
        number typed in the wrong field) nor an address is stored."""
        digest = hmac.new(self.code_key, f"{scope}\x00{value}".encode(), hashlib.sha256)
        return f"{scope}:{digest.hexdigest()[:32]}"
