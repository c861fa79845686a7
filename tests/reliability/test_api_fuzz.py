"""Property-based fuzzing of every GET endpoint in the app's OpenAPI schema (hypothesis; bounded for CI):
parameter values drawn from each parameter's schema type mixed with hostile strings, against the real
store. No input may give a 5xx: bad input is a 422 (or 404), a busy store a 503 (not reached here)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import riskcurve
from riskcurve.web import create_app

HOSTILE = [
    "",
    " ",
    "nan",
    "NaN",
    "NaT",
    "inf",
    "-1",
    "0",
    "0000-01-01",
    "0001-01-01",
    "1677-09-21",
    "2262-04-11",
    "2262-04-12",
    "2263-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-01-01T25:00:00Z",
    "latest ",
    "[/x]",
    "[bold]x[/bold]",
    "%00",
    "\x00",
    "../../etc/passwd",
    "'; DROP TABLE observations; --",
    "ÿ\u202e𝔘ñí©ødé",
    "x" * 10_000,
    "9" * 400,
]
# Real values the schema cannot know, so fuzzing also reaches the code behind the 404s.
KNOWN = {"series_id": ["RUT", "BTC", "ETH", "WALCL", "SPX"], "as_of": ["latest", "2024-03-01", "2026-01-02T20:00:00Z"]}


def _operations() -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, parameters) of every GET in the schema; the service is never asked a question here,
    so the store path is a placeholder (the tests below check it matches the real app's schema)."""
    placeholder = Path(tempfile.gettempdir()) / "riskcurve-schema-only.duckdb"
    schema = create_app(riskcurve.open(placeholder, lock_wait=1.0)).openapi()
    return [(path, ops["get"].get("parameters", [])) for path, ops in schema["paths"].items() if "get" in ops]


OPERATIONS = _operations()


def _from_schema(schema: dict[str, Any]) -> st.SearchStrategy[str | None]:
    """Text values a client could send for a parameter of this JSON schema (None: leave it out)."""
    if "anyOf" in schema:
        return st.one_of(*(_from_schema(branch) for branch in schema["anyOf"]))
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    if kind == "integer":
        return st.integers(-(2**70), 2**70).map(str)
    if kind == "number":
        return st.floats().map(str)
    if kind == "boolean":
        return st.sampled_from(["true", "false", "1", "yes"])
    if schema.get("format") == "date":
        return st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
    longest = int(schema.get("maxLength", 80))
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: len(s) <= longest)
    return st.text(max_size=longest + 8)


def _value(param: dict[str, Any]) -> st.SearchStrategy[str | None]:
    """Schema-typed, hostile, known or arbitrary text; an optional parameter is often left out, so
    one bad value at a time reaches the code behind the others (not only the first 422)."""
    values = st.one_of(
        _from_schema(param.get("schema", {})),
        st.sampled_from(HOSTILE + KNOWN.get(param["name"], [])),
        st.text(max_size=64),
    )
    return values if param.get("required") else st.one_of(st.none(), st.none(), values)


@pytest.fixture(scope="module")
def client(real_store_path: Path) -> Iterator[TestClient]:
    app = create_app(riskcurve.open(real_store_path, lock_wait=1.0))
    assert [path for path, _ in OPERATIONS] == [p for p, ops in app.openapi()["paths"].items() if "get" in ops]
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as test_client:
        yield test_client


def _request(path: str, params: list[dict[str, Any]], values: dict[str, str | None]) -> tuple[str, dict[str, str]]:
    url = path
    for p in params:
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", quote(values[p["name"]] or "", safe=""))
    query = {p["name"]: v for p in params if p["in"] == "query" and (v := values[p["name"]]) is not None}
    return url, query


# Known 5xx are listed here, each with the request that gives it, as strict xfails: a fix turns them green.
KNOWN_5XX: dict[str, str] = {}


def _marks(path: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=KNOWN_5XX[path])] if path in KNOWN_5XX else []


@pytest.mark.parametrize(("path", "params"), [pytest.param(p, ps, id=p, marks=_marks(p)) for p, ps in OPERATIONS])
@settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis directory in the worktree; failures print their example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_gives_a_5xx(client: TestClient, path: str, params: list[dict[str, Any]], data: st.DataObject) -> None:
    values = {p["name"]: data.draw(_value(p), label=p["name"]) for p in params}
    url, query = _request(path, params, values)
    response = client.get(url, params=query)
    event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics: what the fuzzing reached
    assert response.status_code < 500, f"GET {url} {query!r} -> {response.status_code}: {response.text[:300]}"


def test_every_get_endpoint_is_fuzzed() -> None:
    """The schema really lists the API (a broken schema would silently fuzz nothing)."""
    paths = {path for path, _ in OPERATIONS}
    assert {"/api/status", "/api/series/{series_id}", "/api/charts", "/ui/card"} <= paths
