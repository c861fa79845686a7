"""Test doubles for the live adapters: a transport adapter replaying recorded answers, an instant clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from riskcurve.data.sources.http import HttpClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

Reply = tuple[int, str, dict[str, str]]
Answer = Reply | BaseException | Callable[[requests.PreparedRequest], Reply]


def fixture(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


class Recorded(BaseAdapter):
    """Replays answers in order (a status/body/headers triple, an exception to raise, or a function of
    the request) and keeps every request it was sent, so tests see the real URL, params and headers."""

    def __init__(self, *answers: Answer) -> None:
        super().__init__()
        self.answers = list(answers)
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, body, headers = answer(request) if callable(answer) else answer
        response = requests.Response()
        response.status_code = status
        response._content = body.encode()
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = "utf-8"
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass

    def params(self, index: int = -1) -> dict[str, str]:
        """The query parameters of one recorded request."""
        query = urlsplit(str(self.requests[index].url)).query
        return dict(parse_qsl(query, keep_blank_values=True))


class FakeTime:
    """``sleep`` advances ``monotonic`` instantly and remembers each wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def fake_client(provider: str, *answers: Answer, **kwargs: Any) -> tuple[HttpClient, Recorded, FakeTime]:
    """An HttpClient whose network is ``answers`` and whose waiting takes no time."""
    adapter = Recorded(*answers)
    session = requests.Session()
    session.mount("https://", adapter)
    clock = FakeTime()
    http = HttpClient(
        provider,
        session=session,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        rng=random.Random(7),
        **kwargs,
    )
    return http, adapter, clock
