"""The one retry rule (mdreg.infra.retry.Retry) and the policy the service names (RETRY)."""

from __future__ import annotations

import pytest

from mdreg.errors import ConcurrencyConflict
from mdreg.infra.retry import Retry
from mdreg.service.services import RETRY


def conflict(n: int) -> ConcurrencyConflict:
    return ConcurrencyConflict("application", f"A{n}", 1, 2)


class Flaky:
    """Raises the given errors in turn, then returns how many runs it took."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.runs = 0

    def __call__(self) -> int:
        self.runs += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.runs


def test_a_success_runs_once() -> None:
    flaky = Flaky()
    assert Retry(attempts=3, on=(ConcurrencyConflict,)).call(flaky) == 1
    assert flaky.runs == 1


def test_the_named_error_runs_it_again() -> None:
    flaky = Flaky(conflict(1), conflict(2))
    assert Retry(attempts=3, on=(ConcurrencyConflict,)).call(flaky) == 3


def test_it_gives_up_after_the_attempts_with_the_last_error() -> None:
    errors = [conflict(n) for n in range(1, 6)]
    flaky = Flaky(*errors)
    with pytest.raises(ConcurrencyConflict) as raised:
        Retry(attempts=4, on=(ConcurrencyConflict,)).call(flaky)
    assert flaky.runs == 4
    assert raised.value is errors[3]


def test_other_errors_are_not_retried() -> None:
    flaky = Flaky(ValueError("bad"), conflict(1))
    with pytest.raises(ValueError, match="bad"):
        Retry(attempts=5, on=(ConcurrencyConflict,)).call(flaky)
    assert flaky.runs == 1


def test_a_subclass_of_a_named_error_is_retried() -> None:
    class Lost(ConcurrencyConflict):
        pass

    flaky = Flaky(Lost("application", "A1", 1, 2))
    assert Retry(attempts=2, on=(ConcurrencyConflict,)).call(flaky) == 2


def test_one_attempt_means_no_retry() -> None:
    flaky = Flaky(conflict(1))
    with pytest.raises(ConcurrencyConflict):
        Retry(attempts=1, on=(ConcurrencyConflict,)).call(flaky)
    assert flaky.runs == 1


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts"):
        Retry(attempts=0, on=(ConcurrencyConflict,))


def test_the_service_policy_re_runs_lost_races_ten_times() -> None:
    assert Retry(attempts=10, on=(ConcurrencyConflict,)) == RETRY
    flaky = Flaky(*(conflict(n) for n in range(9)))
    assert RETRY.call(flaky) == 10
    with pytest.raises(ConcurrencyConflict):
        RETRY.call(Flaky(*(conflict(n) for n in range(10))))


def test_a_delay_is_capped_exponential_with_full_jitter() -> None:
    rule = Retry(attempts=6, on=(TimeoutError,), base_delay=0.01, max_delay=0.05)
    slept: list[float] = []
    retried: list[str] = []
    done: list[int] = []
    calls = iter([TimeoutError("a"), TimeoutError("b"), TimeoutError("c"), "ok"])

    def flaky() -> str:
        got = next(calls)
        if isinstance(got, Exception):
            raise got
        return got

    assert rule.call(flaky, sleep=slept.append, on_retry=lambda e: retried.append(str(e)),
                     on_done=done.append) == "ok"
    assert retried == ["a", "b", "c"] and done == [4]
    assert [0 <= s <= min(0.05, 0.01 * 2**n) for n, s in enumerate(slept, 1)] == [True] * 3
    assert Retry(attempts=2, on=(TimeoutError,)).delay(5) == 0.0


def test_on_done_counts_the_runs_of_a_failure_too() -> None:
    done: list[int] = []

    def always() -> None:
        raise TimeoutError

    with pytest.raises(TimeoutError):
        Retry(attempts=3, on=(TimeoutError,)).call(always, on_done=done.append)
    assert done == [3]
