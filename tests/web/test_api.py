"""The API and dashboard through FastAPI's TestClient, on the real store."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from typer.testing import CliRunner

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.cli import app as cli
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.errors import RiskcurveError
from riskcurve.report.charts import CHARTS
from riskcurve.service import STUDY_STATE_KEY, StudyRun
from riskcurve.web import create_app
from riskcurve.web.models import (
    Altseason,
    Credit,
    LedgerEntryOut,
    NetLiquidity,
    RuleOut,
    StageOut,
    StatusOut,
    StudyOut,
)
from riskcurve.web.server import RedactQueryToken, is_loopback, token_for
from tests.conftest import cell_count, last_date, latest_close, read_data
from tests.show_helpers import Page, assert_figure_has_data, cli_status, copy_store

TOKEN = "s3cret-token-0123456789abcdef"


def app_for(db: Path, token: str | None = None) -> FastAPI:
    """The app `riskcurve serve` runs: a request waits at most a second for a writer."""
    return create_app(riskcurve.open(db, lock_wait=1.0), token=token)


@pytest.fixture(scope="module")
def client(real_store_path: Path) -> Iterator[TestClient]:
    with TestClient(app_for(real_store_path)) as test_client:
        yield test_client


def test_health(client: TestClient, data_dir: Path, catalog: Catalog) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    doc = response.json()
    offline = [spec for spec in catalog.values() if spec.csv is not None]  # live-only series hold nothing yet
    assert doc["status"] == "ok" and doc["series"] == len(offline)
    assert doc["latest"] == latest_close(data_dir, catalog).isoformat()  # the newest RUT close's publication


def test_status_is_the_cli_document(client: TestClient, real_store_path: Path) -> None:
    for as_of in ("latest", "2026-06-15"):
        response = client.get("/api/status", params={"as_of": as_of})
        assert response.status_code == 200
        assert response.json() == cli_status(str(real_store_path), as_of)
    now = client.get("/api/status")  # weeks after the newest close: no stage on stale inputs
    assert now.status_code == 200 and now.json()["stage"] is None and now.json()["unknown_reason"]


@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday", "2026-13-01", "x" * 41])
def test_bad_as_of_is_422_naming_the_parameter(client: TestClient, as_of: str) -> None:
    for path in ("/api/status", "/api/breakouts", "/api/charts", "/ui/card"):
        response = client.get(path, params={"as_of": as_of})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", "as_of"]


def test_series_catalog(client: TestClient, catalog: Catalog, data_dir: Path) -> None:
    rows = {r["id"]: r for r in client.get("/api/series").json()}
    assert list(rows) == list(catalog)
    assert rows["RUT"]["stored_values"] == cell_count(data_dir / "equities" / "RUT.csv")
    assert rows["RUT"]["last_date"].startswith(last_date(data_dir, "equities/RUT.csv").date().isoformat())
    assert rows["WALCL"]["units"] == "usd_billions" and rows["WALCL"]["fields"] == ["value"]


def test_series_values_in_standard_units_as_known_now(
    client: TestClient, real_store_path: Path, catalog: Catalog, data_dir: Path
) -> None:
    start = (last_date(data_dir, "equities/RUT.csv") - pd.DateOffset(years=10)).date()
    doc = client.get("/api/series/RUT", params={"start": start.isoformat()}).json()
    assert doc["field"] == "close" and doc["units"] == "index_points"
    closes = read_data(data_dir / "equities" / "RUT.csv").set_index("date")["close"].dropna()[start.isoformat():]
    assert doc["count"] == len(doc["dates"]) == len(doc["values"]) == len(closes)  # ten years of sessions
    assert 2400 < doc["count"] < 2600 and doc["values"][-1] == pytest.approx(closes.iloc[-1])
    assert doc["dates"][0] >= start.isoformat() and doc["dates"] == sorted(doc["dates"])
    walcl = client.get("/api/series/WALCL", params={"start": "2026-01-01", "end": "2026-06-30"}).json()
    with Store(real_store_path, read_only=True) as store:
        expected = AlignedPanel(store, catalog).series("WALCL")["2026-01-01":"2026-06-30"]
    assert walcl["units"] == "usd_billions" and walcl["values"] == expected.tolist()
    assert 6000 < walcl["values"][-1] < 8000  # billions, not the CSV's millions
    volume = client.get("/api/series/IWM", params={"field": "volume", "start": "2026-08-01"}).json()
    iwm = read_data(data_dir / "equities" / "IWM.csv")
    expected = int(iwm.loc[iwm["date"] >= "2026-08-01", "volume"].notna().sum())
    assert volume["field"] == "volume" and volume["count"] == expected > 0 and volume["dates"][0] >= "2026-08-01"


def test_series_errors(client: TestClient) -> None:
    unknown = client.get("/api/series/NOPE")
    assert unknown.status_code == 404 and "unknown series 'NOPE'" in unknown.json()["detail"]
    no_field = client.get("/api/series/RUT", params={"field": "value"})
    assert no_field.status_code == 404 and "has no field 'value'" in no_field.json()["detail"]
    for params, where in (
        ({"start": "2026-13-01"}, "start"),
        ({"end": "20260101x"}, "end"),
        ({"field": "price"}, "field"),
        ({"member": "a b"}, "member"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "start"),
    ):
        response = client.get("/api/series/RUT", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"] == ["query", where]
    assert client.get("/api/series/RUT;DROP").status_code == 422


def test_breakouts(client: TestClient) -> None:
    everything = client.get("/api/breakouts", params={"as_of": "latest"}).json()
    assert everything["series"] == "RUT" and everything["count"] == len(everything["breakouts"]) > 300
    ath = client.get("/api/breakouts", params={"as_of": "latest", "kind": "ath", "since": "2020-01-01"}).json()
    assert ath["count"] >= 1 and {b["kind"] for b in ath["breakouts"]} == {"ath"}
    assert all(b["date"] >= "2020-01-01" for b in ath["breakouts"])
    assert ath["breakouts"][-1]["held"] in (True, False, None)
    assert {b["held"] for b in ath["breakouts"][:-1]} <= {True, False}  # old ones are decided
    older = client.get("/api/breakouts", params={"as_of": "2021-01-01"}).json()
    assert older["breakouts"][-1]["date"] <= "2021-01-01"
    assert client.get("/api/breakouts", params={"kind": "moon"}).status_code == 422
    assert client.get("/api/breakouts", params={"since": "soon"}).status_code == 422


def test_study_absent_then_cached(client: TestClient, real_store_path: Path, tmp_path: Path) -> None:
    missing = client.get("/api/study")
    assert missing.status_code == 404 and "riskcurve study" in missing.json()["detail"]
    path = copy_store(real_store_path, tmp_path)
    run = StudyRun(
        as_of=pd.Timestamp("2026-01-09 00:00", tz="UTC"),
        fingerprint="beef",
        computed_at=pd.Timestamp("2026-12-01", tz="UTC"),
        document={"verdict": {"ETH": "inconclusive"}, "events": [{"date": "2025-09-18", "eth_30d": 0.12}]},
    )
    with Store(path) as store:
        store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))
    with TestClient(app_for(path)) as other:
        assert other.get("/api/study").json() == run.to_dict()  # now: later than the study
        early = other.get("/api/study", params={"as_of": "2025-12-31"})
        assert early.status_code == 404 and "later than this view" in early.json()["detail"]


def test_charts_and_card_for_the_dashboard(client: TestClient, data_dir: Path, catalog: Catalog) -> None:
    doc = client.get("/api/charts", params={"as_of": "latest"}).json()
    assert doc["as_of"] == latest_close(data_dir, catalog).isoformat()
    assert list(doc["figures"]) == [c.name for c in CHARTS]
    for name, figure in doc["figures"].items():
        assert_figure_has_data(name, figure)
    card = client.get("/ui/card", params={"as_of": "2026-06-15"})
    assert card.status_code == 200 and card.headers["content-type"].startswith("text/html")
    assert Page(card.text).by_id("stage-name").text.strip() == "Large caps rally"


def test_dashboard_page_serves_plotly_itself(client: TestClient) -> None:
    page = Page(client.get("/").text)
    sources = [s.attrs["src"] for s in page.find("script") if "src" in s.attrs]
    assert sources == ["static/plotly.min.js", "static/dashboard.js"]
    for name in [c.name for c in CHARTS] + ["series-chart"]:
        page.by_id(name if name == "series-chart" else f"chart-{name}")
    page.by_id("as-of")
    bundle = client.get("/static/plotly.min.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    assert b"plotly.js v" in bundle.content[:200]
    assert client.get("/static/dashboard.js").status_code == 200


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/health",
        "/api/status",
        "/api/series",
        "/api/series/{series_id}",
        "/api/breakouts",
        "/api/study",
        "/api/version",
    ):
        assert "get" in paths[path], path
    params = {p["name"] for p in paths["/api/series/{series_id}"]["get"]["parameters"]}
    assert params == {"series_id", "start", "end", "field", "member", "as_of"}


def test_no_endpoint_writes(real_store_path: Path, tmp_path: Path) -> None:
    path = copy_store(real_store_path, tmp_path)
    before = (path.stat().st_mtime_ns, path.stat().st_size)
    with TestClient(app_for(path)) as test_client:
        for url in ("/api/health", "/api/status?as_of=latest", "/api/series", "/api/series/BTC", "/api/study"):
            test_client.get(url)
        for method in ("post", "put", "delete", "patch"):
            assert getattr(test_client, method)("/api/status").status_code == 405
    assert (path.stat().st_mtime_ns, path.stat().st_size) == before
    assert not path.with_name(path.name + ".wal").exists()


def test_locked_store_is_503_then_recovers(real_store_path: Path, tmp_path: Path) -> None:
    path = copy_store(real_store_path, tmp_path)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
        with TestClient(app_for(path)) as test_client:
            busy = test_client.get("/api/status", params={"as_of": "latest"})
            assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
            assert "being written" in busy.json()["detail"]
            assert test_client.get("/api/health").status_code == 503
            writer.communicate("", timeout=30)  # the writer closes its connection and exits
            assert test_client.get("/api/status", params={"as_of": "latest"}).status_code == 200
    finally:
        writer.kill()
        writer.wait()


def test_a_store_without_leader_closes_says_so(data_copy: Path, tmp_path: Path) -> None:
    """'latest' needs a Russell 2000 close: without one the API says what to do, never a 500."""
    db = tmp_path / "btc.duckdb"
    assert riskcurve.open(db, data_dir=data_copy).update(["BTC"]).ok
    with TestClient(app_for(db)) as test_client:
        for url in ("/api/status?as_of=latest", "/api/study?as_of=latest", "/api/breakouts?as_of=latest"):
            response = test_client.get(url)
            assert response.status_code == 503 and "no RUT closes yet" in response.json()["detail"], url


def test_missing_store_is_503(tmp_path: Path) -> None:
    with TestClient(app_for(tmp_path / "none.duckdb")) as test_client:
        response = test_client.get("/api/status")
        assert response.status_code == 503 and "run `riskcurve update` first" in response.json()["detail"]


def test_token_is_required_on_every_request(real_store_path: Path) -> None:
    with TestClient(app_for(real_store_path, token=TOKEN)) as test_client:
        for url in ("/", "/api/health", "/static/plotly.min.js", "/openapi.json", "/docs"):
            response = test_client.get(url)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer", url
        assert test_client.get("/api/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert test_client.get("/api/health", params={"token": "wrong"}).status_code == 401
        assert test_client.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        page = test_client.get("/", params={"token": TOKEN})
        assert page.status_code == 200 and TOKEN not in page.text  # the secret never lands in the page
        assert "riskcurve_token" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
        assert test_client.get("/api/series").status_code == 200  # the cookie the visit set


def test_serving_beyond_loopback_needs_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.3.4.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")
    assert token_for("127.0.0.1", {}) is None
    with pytest.raises(RiskcurveError, match=r"refusing to listen on 0\.0\.0\.0 without a token"):
        token_for("0.0.0.0", {})
    with pytest.raises(RiskcurveError, match="too short"):
        token_for("0.0.0.0", {"RISKCURVE_TOKEN": "short"})
    assert token_for("0.0.0.0", {"RISKCURVE_TOKEN": TOKEN}) == TOKEN
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--db", "x.duckdb"], env={"RISKCURVE_TOKEN": ""})
    assert result.exit_code == 2 and "RISKCURVE_TOKEN" in result.output


def test_access_log_never_shows_the_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/status?as_of=latest&token={TOKEN}", "1.1", 200),
        None,
    )
    RedactQueryToken().filter(record)
    line = record.getMessage()
    assert TOKEN not in line and "token=***" in line and "as_of=latest" in line


def test_date_params_are_typed(client: TestClient) -> None:
    good = client.get("/api/series/SPX", params={"start": date(2026, 8, 1).isoformat(), "end": "2026-08-21"})
    assert good.status_code == 200 and good.json()["dates"][-1] == "2026-08-21"


def test_channels_and_claims_endpoints_serve_the_status_parts(client: TestClient, real_store_path: Path) -> None:
    rc = riskcurve.open(real_store_path)
    channels = client.get("/api/channels", params={"as_of": "2026-01-09"})
    assert channels.status_code == 200
    assert channels.json()["readings"] == rc.channels("2026-01-09").to_dict()["readings"]
    claims = client.get("/api/claims", params={"as_of": "latest"})
    assert claims.status_code == 200
    words = {c["id"]: c["word"] for c in claims.json()["claims"]}
    assert words["tga-drawdown"] == "holds" and set(words.values()) <= {"holds", "does not hold", "no data", "pending"}
    assert client.get("/api/claims", params={"as_of": "someday"}).status_code == 422


def test_docs_work_offline_from_packaged_assets(client: TestClient) -> None:
    """/docs loads Swagger UI from this server only (the swagger-ui-bundle package), and its CSP allows
    no other origin, so the page renders on a machine without internet."""
    response = client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "http" not in policy and "frame-ancestors 'none'" in policy
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", response.text)
    assert len(assets) == 3, assets  # the bundle, the stylesheet, the icon
    for url in assets:
        assert url.startswith("/static/docs/"), url
        served = client.get(url)
        assert served.status_code == 200 and len(served.content) > 500, url
    assert "swagger-ui-bundle.js" in " ".join(assets) and "/openapi.json" in response.text
    assert client.get("/static/docs/index.html").status_code == 404  # only the listed assets are served
    assert client.get("/redoc").status_code == 404  # ReDoc needs a CDN: not offered


def test_series_as_of_a_past_day_shows_only_what_was_published(client: TestClient, data_dir: Path) -> None:
    rut = read_data(data_dir / "equities" / "RUT.csv")
    known = rut.loc[(rut["date"] >= "2026-05-01") & (rut["date"] <= "2026-06-15"), "date"]
    past = client.get("/api/series/RUT", params={"start": "2026-05-01", "as_of": "2026-06-15"}).json()
    assert past["count"] == len(known) > 0 and past["dates"][-1] == str(known.max())[:10] == "2026-06-15"
    assert past["data_as_of"] is not None and past["data_as_of"] <= "2026-06-15T23:59:59+00:00"
    now = client.get("/api/series/RUT", params={"start": "2026-05-01"}).json()
    assert now["count"] > past["count"]  # the latest view has the closes after 2026-06-15
    bad = client.get("/api/series/RUT", params={"as_of": "someday"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "as_of"]


def test_version_changes_when_the_store_does(real_store_path: Path, tmp_path: Path) -> None:
    path = copy_store(real_store_path, tmp_path)
    with TestClient(app_for(path)) as test_client:
        first = test_client.get("/api/version").json()["version"]
        assert test_client.get("/api/version").json()["version"] == first  # stable while nothing changes
        with Store(path) as store:
            store.set_state("test:touch", "1")
        assert test_client.get("/api/version").json()["version"] != first


def test_ledger_scores_the_2600_break(client: TestClient) -> None:
    doc = client.get("/api/ledger", params={"as_of": "2026-10-09"}).json()
    assert doc["claim_date"] == "2026-01-08" and doc["signals"][0]["date"] == "2026-01-08"
    eth = [e for e in doc["entries"] if e["follower"] == "ETH" and e["signal_date"] == "2026-01-08"]
    assert [e["outcome"] for e in eth] == ["realised"] * 3 and -0.35 < eth[0]["realised"] < -0.31
    assert client.get("/api/ledger", params={"as_of": "not a date"}).status_code == 422


def _fields_named(model: type[BaseModel], doc: dict[str, Any]) -> None:
    """Every key the document has is a field of the model, and every field of the model is in it."""
    assert set(doc) == set(model.model_fields), model.__name__


def test_status_matches_its_response_model(client: TestClient) -> None:
    for as_of in ("latest", "2026-01-09", None):
        doc = client.get("/api/status", params={"as_of": as_of} if as_of else {}).json()
        StatusOut.model_validate(doc)  # raises on a field of the wrong type
        _fields_named(StatusOut, doc)
        for stage in doc["stages"]:
            _fields_named(StageOut, stage)
            for rule in stage["rules"]:
                _fields_named(RuleOut, rule)
        for part, model in (("net_liquidity", NetLiquidity), ("credit", Credit), ("altseason", Altseason)):
            _fields_named(model, doc[part])
    schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/api/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/StatusOut"}
    named = schema["components"]["schemas"]["StatusOut"]["properties"]
    assert {"stage", "stages", "altseason", "channels", "claims", "freshness"} <= set(named)
    assert set(schema["components"]["schemas"]["RuleOut"]["properties"]) == set(RuleOut.model_fields)


def test_study_matches_its_response_model(client: TestClient, real_store_path: Path, tmp_path: Path) -> None:
    path = copy_store(real_store_path, tmp_path)
    rc = riskcurve.open(path)
    run = StudyRun(
        as_of=pd.Timestamp("2026-06-15", tz="UTC"),
        fingerprint="beef",
        computed_at=pd.Timestamp("2026-12-01", tz="UTC"),
        document={"ledger": rc.ledger(rc.resolve("2026-06-15")).to_dict(), "verdict": {"ETH": "no evidence"}},
    )
    with Store(path) as store:
        store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))
    with TestClient(app_for(path)) as other:
        doc = other.get("/api/study").json()
    parsed = StudyOut.model_validate(doc)
    assert parsed.ledger is not None and parsed.ledger.entries  # the ledger's rows, typed
    _fields_named(LedgerEntryOut, doc["ledger"]["entries"][0])
    schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/api/study"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/StudyOut"}
    assert {"as_of", "fingerprint", "ledger", "event_study", "adjusted_p", "verdict"} <= set(
        schema["components"]["schemas"]["StudyOut"]["properties"]
    )
