"""Security of the dashboard: where a token may come from, that it never reaches a log in any
encoding, the headers every response carries, and the Host allow-list against DNS rebinding."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import riskcurve
from riskcurve.web import create_app
from riskcurve.web.server import RedactQueryToken, allowed_hosts, redact_target

TOKEN = "s3cret-token-0123456789abcdef"
ENCODED = "%73%33cret-token-0123456789abcdef"  # the same token, partly percent-encoded


@pytest.fixture(scope="module")
def guarded(real_store_path: Path) -> Iterator[TestClient]:
    app = create_app(riskcurve.open(real_store_path, lock_wait=1.0), token=TOKEN, hosts=allowed_hosts("127.0.0.1"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture(scope="module")
def open_loopback(real_store_path: Path) -> Iterator[TestClient]:
    """A token-less loopback server, as `riskcurve serve` runs by default."""
    app = create_app(riskcurve.open(real_store_path, lock_wait=1.0), hosts=allowed_hosts("127.0.0.1"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.mark.parametrize("query", [f"token={TOKEN}", f"%74oken={TOKEN}", f"%2574oken={TOKEN}", f"TOKEN={TOKEN}"])
def test_a_token_in_an_api_query_string_is_not_accepted(guarded: TestClient, query: str) -> None:
    """Only the dashboard page reads ?token= (to set the cookie): in an API URL it would be logged,
    bookmarked and sent on as a referrer. ``?%74oken=`` used to be accepted, then logged in clear."""
    guarded.cookies.clear()
    response = guarded.get(f"/api/health?{query}")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_token_sources_bearer_cookie_and_first_visit(guarded: TestClient) -> None:
    guarded.cookies.clear()
    assert guarded.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert guarded.get("/api/health", headers={"Authorization": f"bearer {TOKEN}x"}).status_code == 401
    guarded.cookies.set("riskcurve_token", "wrong")
    assert guarded.get("/api/health").status_code == 401
    guarded.cookies.clear()
    page = guarded.get(f"/?%74oken={ENCODED}")  # the page link, however it is encoded
    assert page.status_code == 200 and TOKEN not in page.text
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in page.headers["set-cookie"]
    assert guarded.get("/api/series").status_code == 200  # the cookie carries it from then on
    guarded.cookies.clear()


@pytest.mark.parametrize(
    "target",
    [
        f"/?token={TOKEN}",
        f"/?%74oken={TOKEN}",
        f"/?%2574oken={TOKEN}",
        f"/api/status?as_of=latest&%2574OKEN={ENCODED}",
        f"/api/series/{TOKEN}",  # anywhere in the target
        f"/api/status?x={ENCODED.replace('%', '%25')}",  # the value encoded twice under another name
    ],
)
def test_the_access_log_never_shows_the_token(target: str) -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", target, "1.1", 200),
        None,
    )
    RedactQueryToken(TOKEN).filter(record)
    line = record.getMessage()
    assert TOKEN not in line and ENCODED not in line and "s3cret" not in line and "127.0.0.1:5000" in line


def test_redaction_keeps_what_is_not_the_token() -> None:
    assert redact_target("/api/status?as_of=latest&%74oken=abc", TOKEN) == "/api/status?as_of=latest&%74oken=***"
    assert redact_target("/api/series/RUT?start=2020-01-01", TOKEN) == "/api/series/RUT?start=2020-01-01"


@pytest.mark.parametrize("url", ["/", "/api/health", "/static/dashboard.js", "/api/status?as_of=nan", "/nowhere"])
def test_every_response_carries_the_security_headers(open_loopback: TestClient, guarded: TestClient, url: str) -> None:
    guarded.cookies.clear()
    for response in (open_loopback.get(url), guarded.get(url)):  # answered, refused, 404, 401 alike
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp, url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil"])
def test_a_rebound_name_is_refused(open_loopback: TestClient, host: str) -> None:
    """DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and reads the token-less
    loopback dashboard as same-origin; its requests still carry its own Host name."""
    response = open_loopback.get("/api/status", headers={"Host": host})
    assert response.status_code == 400 and response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.1"])
def test_loopback_names_are_served(open_loopback: TestClient, host: str) -> None:
    assert open_loopback.get("/api/health", headers={"Host": host}).status_code == 200


def test_the_allow_list_follows_the_served_host() -> None:
    assert allowed_hosts("192.168.1.10") == ("localhost", "127.0.0.1", "::1", "192.168.1.10")
    assert allowed_hosts("0.0.0.0") is None  # every interface: a token is required there anyway
