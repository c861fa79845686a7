"""The one waiting policy for held resources (store lock, writer marker): retries while held, gives up
at the deadline with the last reason, lets other errors through at once."""

from __future__ import annotations

import pytest

from riskcurve._retry import StillHeld, wait_while_held


def test_retries_while_held_then_returns() -> None:
    answers = iter([StillHeld("busy"), StillHeld("busy"), "open"])
    pauses: list[float] = []

    def attempt() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_while_held(attempt, 60, first=0.1, most=1.0, sleep=pauses.append) == "open"
    assert pauses == [0.1, 0.2]  # doubling from ``first``


def test_zero_seconds_is_one_try_and_the_last_reason_is_raised() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise StillHeld("pid 42")

    with pytest.raises(StillHeld, match="pid 42"):
        wait_while_held(attempt, 0, sleep=lambda _: None)
    assert len(calls) == 1


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise ValueError("damaged")

    with pytest.raises(ValueError, match="damaged"):
        wait_while_held(attempt, 60, sleep=lambda _: None)
    assert len(calls) == 1
