"""FredSource against recorded fredgraph CSV downloads and fred/series/observations (ALFRED) answers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
import pytest
import requests

from riskcurve.catalog import SeriesSpec, load_catalog
from riskcurve.data.sources.fred import FredSource
from riskcurve.data.sources.http import HttpStatusError
from riskcurve.errors import RateLimitError, SourceError
from tests.data.http_fakes import Answer, Recorded, Reply, fake_client, fixture

KEY = "abcdef0123456789abcdef0123456789"
LATER = pd.Timestamp("2023-10-02 12:00", tz="UTC")
CATALOG = load_catalog()
WALCL: SeriesSpec = CATALOG["WALCL"]
DGS10: SeriesSpec = CATALOG["DGS10"]


def source(
    *answers: Answer, api_key: str | None = None, now: pd.Timestamp = LATER, **kwargs: Any
) -> tuple[FredSource, Recorded, list[float]]:
    http, adapter, clock = fake_client("FRED", *answers)
    fred = FredSource(api_key, http=http, now=lambda: now, env={}, **kwargs)
    return fred, adapter, clock.sleeps


def ok(body: str) -> tuple[int, str, dict[str, str]]:
    return (200, body, {})


def series(frame: pd.DataFrame) -> dict[str, float]:
    return {f"{d:%Y-%m-%d}": v for d, v in zip(frame["date"], frame["value"], strict=True)}


def stamps(frame: pd.DataFrame) -> dict[str, str]:
    return {
        f"{d:%Y-%m-%d}": f"{t:%Y-%m-%d %H:%M %Z}"
        for d, t in zip(frame["date"], frame["realtime_start"], strict=True)
    }


# ---------------------------------------------------------------- keyless: fredgraph.csv


def test_csv_parses_into_the_standard_frame() -> None:
    fred, adapter, _ = source(ok(fixture("fred/WALCL_fredgraph.csv")))
    frame = fred.fetch(WALCL)
    assert adapter.requests[0].url == "https://fred.stlouisfed.org/graph/fredgraph.csv?id=WALCL"
    assert list(frame.columns) == ["date", "member", "field", "value", "realtime_start"]
    assert series(frame) == {
        "2023-08-09": 8208241.0,
        "2023-08-16": 8145727.0,
        "2023-08-23": 8139066.0,
        "2023-08-30": 8121316.0,
        "2023-09-06": 8101318.0,
        "2023-09-13": 8098779.0,
        "2023-09-20": 8024090.0,
        "2023-09-27": 8002064.0,
    }
    assert set(frame["field"]) == {"value"} and set(frame["member"]) == {""}
    assert frame["date"].dtype == "datetime64[ns]" and frame["value"].dtype == "float64"
    assert (
        str(frame["realtime_start"].dtype) == "datetime64[ns, UTC]" and frame["realtime_start"].isna().all()
    )


def test_csv_legacy_date_header_and_dot_missing_values() -> None:
    fred, _, _ = source(ok(fixture("fred/DGS10_fredgraph_legacy.csv")))
    frame = fred.fetch(DGS10)
    assert "2023-09-04" not in series(frame)  # Labor Day: "." is a missing value, never a zero
    assert series(frame)["2023-09-05"] == 4.27
    assert len(frame) == 7


def test_csv_incremental_since_asks_cosd_and_filters() -> None:
    fred, adapter, _ = source(ok(fixture("fred/WALCL_fredgraph.csv")))
    frame = fred.fetch(WALCL, since=date(2023, 9, 6))
    assert adapter.params() == {"id": "WALCL", "cosd": "2023-09-06"}
    assert list(series(frame)) == ["2023-09-06", "2023-09-13", "2023-09-20", "2023-09-27"]


def test_csv_unreleased_week_is_dropped() -> None:
    # Thursday 2023-09-21 14:00 New York: the Wednesday 2023-09-20 level is published at 16:30.
    fred, _, _ = source(
        ok(fixture("fred/WALCL_fredgraph.csv")), now=pd.Timestamp("2023-09-21 18:00", tz="UTC")
    )
    assert max(series(fred.fetch(WALCL))) == "2023-09-13"


def test_csv_html_error_page_is_a_clear_error() -> None:
    fred, _, _ = source(ok(fixture("fred/fredgraph_error.html")))
    with pytest.raises(SourceError, match=r"FRED WALCL: expected the fredgraph CSV but got an HTML page"):
        fred.fetch(WALCL)


def test_csv_missing_series_column() -> None:
    fred, _, _ = source(ok("observation_date,WTREGEN\n2023-09-06,123\n"))
    with pytest.raises(SourceError, match=r"FRED WALCL: unexpected CSV header 'observation_date,WTREGEN'"):
        fred.fetch(WALCL)


def test_csv_garbage_value_names_its_line() -> None:
    fred, _, _ = source(ok(fixture("fred/WALCL_fredgraph_bad_value.csv")))
    with pytest.raises(SourceError, match=r"FRED WALCL: line 3: value 'n/a' is not a number"):
        fred.fetch(WALCL)


def test_csv_empty_body_and_header_only() -> None:
    fred, _, _ = source(ok(""))
    with pytest.raises(SourceError, match="empty response"):
        fred.fetch(WALCL)
    fred, _, _ = source(ok("observation_date,WALCL\n"))
    with pytest.raises(SourceError, match="no observations"):
        fred.fetch(WALCL)
    # asked for recent dates only, an answer without rows just means nothing new
    fred, _, _ = source(ok("observation_date,WALCL\n"))
    assert fred.fetch(WALCL, since=date(2023, 10, 1)).empty


def test_csv_server_errors_exhausted_name_provider_and_series() -> None:
    fred, adapter, sleeps = source(*[(503, "Service Unavailable", {})] * 4)
    with pytest.raises(SourceError, match=r"FRED WALCL: HTTP 503 .*gave up after 4 attempts") as caught:
        fred.fetch(WALCL)
    assert caught.value.retryable and len(adapter.requests) == 4 and len(sleeps) == 3


# ---------------------------------------------------------------- with a key: the ALFRED-aware API


def test_api_latest_values_with_first_publication_stamps() -> None:
    fred, adapter, _ = source(ok(fixture("fred/WALCL_observations_alfred.json")), api_key=KEY)
    frame = fred.fetch(WALCL)
    params = adapter.params()
    assert str(adapter.requests[0].url).startswith("https://api.stlouisfed.org/fred/series/observations?")
    assert params["series_id"] == "WALCL" and params["api_key"] == KEY and params["file_type"] == "json"
    assert params["realtime_start"] == "1776-07-04" and params["realtime_end"] == "9999-12-31"
    assert params["output_type"] == "1" and "observation_start" not in params
    assert series(frame) == {
        "2023-08-16": 8145727.0,
        "2023-08-23": 8139066.0,
        "2023-08-30": 8121316.0,  # revised on 2023-09-07
        "2023-09-06": 8101318.0,
        "2023-09-13": 8098779.0,
        "2023-09-20": 8024090.0,
        # 2023-09-27 is "." in its only vintage: absent
    }
    assert stamps(frame) == {
        "2023-08-16": "2023-08-17 00:00 UTC",
        "2023-08-23": "2023-08-24 00:00 UTC",  # the value came back: first published on 08-24
        "2023-08-30": "2023-09-07 00:00 UTC",  # the revision is only known from its own vintage
        "2023-09-06": "2023-09-07 00:00 UTC",
        "2023-09-13": "2023-09-14 00:00 UTC",
        "2023-09-20": "2023-09-21 00:00 UTC",
    }


def test_api_first_release_values() -> None:
    fred, _, _ = source(
        ok(fixture("fred/WALCL_observations_alfred.json")), api_key=KEY, vintage="first_release"
    )
    frame = fred.fetch(WALCL)
    assert series(frame)["2023-08-30"] == 8121260.0
    assert stamps(frame)["2023-08-30"] == "2023-08-31 00:00 UTC"
    assert series(frame)["2023-08-23"] == 8139066.0


def test_api_key_from_environment_and_incremental_since() -> None:
    http, adapter, _ = fake_client("FRED", ok(fixture("fred/WALCL_observations_alfred.json")))
    fred = FredSource(http=http, now=lambda: LATER, env={"FRED_API_KEY": KEY})
    frame = fred.fetch(WALCL, since=date(2023, 9, 6))
    params = adapter.params()
    assert params["observation_start"] == "2023-09-06" and params["realtime_start"] == "2023-09-06"
    assert list(series(frame)) == ["2023-09-06", "2023-09-13", "2023-09-20"]


def test_api_pages_follow_offset_until_count() -> None:
    doc = json.loads(fixture("fred/WALCL_observations_alfred.json"))

    def page(request: requests.PreparedRequest) -> tuple[int, str, dict[str, str]]:
        query = dict(p.split("=", 1) for p in str(request.url).split("?", 1)[1].split("&"))
        offset, limit = int(query["offset"]), int(query["limit"])
        chunk = {
            **doc,
            "offset": offset,
            "limit": limit,
            "observations": doc["observations"][offset : offset + limit],
        }
        return (200, json.dumps(chunk), {})

    class SmallPages(FredSource):
        api_page = 4

    http, adapter, _ = fake_client("FRED", page, page, page)
    fred = SmallPages(KEY, http=http, now=lambda: LATER, env={})
    assert len(fred.fetch(WALCL)) == 6
    assert [adapter.params(i)["offset"] for i in range(3)] == ["0", "4", "8"]


def test_api_429_then_success_honours_retry_after() -> None:
    busy: Reply = (
        429,
        '{"error_code":429,"error_message":"Too Many Requests.  Exceeded Rate Limit"}',
        {"Retry-After": "20"},
    )
    fred, adapter, sleeps = source(busy, ok(fixture("fred/WALCL_observations_alfred.json")), api_key=KEY)
    assert len(fred.fetch(WALCL)) == 6
    assert sleeps == [20.0] and len(adapter.requests) == 2


def test_api_429_exhausted_is_a_rate_limit_error() -> None:
    busy: Reply = (429, '{"error_code":429,"error_message":"Too Many Requests.  Exceeded Rate Limit"}', {})
    fred, _, _ = source(busy, busy, busy, busy, api_key=KEY)
    with pytest.raises(RateLimitError, match="FRED WALCL: HTTP 429") as caught:
        fred.fetch(WALCL)
    assert KEY not in str(caught.value) and "api_key=REDACTED" in str(caught.value)


def test_api_unknown_series_is_final_with_fred_message_and_no_key() -> None:
    fred, adapter, _ = source((400, fixture("fred/api_error_series.json"), {}), api_key=KEY)
    with pytest.raises(HttpStatusError) as caught:
        fred.fetch(WALCL)
    message = str(caught.value)
    assert "FRED WALCL: HTTP 400" in message and "The series does not exist." in message
    assert KEY not in message and "api_key=REDACTED" in message
    assert not caught.value.retryable and len(adapter.requests) == 1


def test_api_series_without_alfred_history_falls_back_to_current_values() -> None:
    fred, adapter, _ = source(
        (400, fixture("fred/api_error_not_in_alfred.json"), {}),
        ok(fixture("fred/WALCL_observations_current.json")),
        api_key=KEY,
    )
    frame = fred.fetch(WALCL, since=date(2023, 9, 6))
    assert "realtime_start" not in adapter.params(1)  # plain FRED: today's values
    assert series(frame) == {"2023-09-06": 8101318.0, "2023-09-13": 8098779.0, "2023-09-20": 8024090.0}
    assert frame["realtime_start"].isna().all()  # no vintage: the release rule dates them


def test_api_too_many_vintages_splits_the_real_time_window() -> None:
    doc = json.loads(fixture("fred/WALCL_observations_alfred.json"))

    def window(request: requests.PreparedRequest) -> tuple[int, str, dict[str, str]]:
        query = dict(p.split("=", 1) for p in str(request.url).split("?", 1)[1].split("&"))
        start, end = query["realtime_start"], query["realtime_end"]
        rows = []
        for row in doc["observations"]:  # FRED clips each period to the asked window
            if row["realtime_start"] <= end and row["realtime_end"] >= start:
                rows.append({**row, "realtime_start": max(row["realtime_start"], start)})
        return (200, json.dumps({**doc, "count": len(rows), "observations": rows}), {})

    too_many: Reply = (400, fixture("fred/api_error_too_many_vintages.json"), {})
    fred, adapter, _ = source(too_many, window, window, api_key=KEY, vintage="latest")
    frame = fred.fetch(WALCL, since=date(2023, 8, 16))
    windows = [(adapter.params(i)["realtime_start"], adapter.params(i)["realtime_end"]) for i in range(3)]
    assert windows == [
        ("2023-08-16", "9999-12-31"),
        ("2023-08-16", "2023-09-08"),  # halfway to "today", 2023-10-02
        ("2023-09-09", "9999-12-31"),
    ]
    assert series(frame)["2023-08-30"] == 8121316.0
    assert stamps(frame)["2023-08-30"] == "2023-09-07 00:00 UTC"
    assert stamps(frame)["2023-08-23"] == "2023-08-24 00:00 UTC"  # not the clipped 2023-09-09


def test_api_html_and_bad_json_are_clear_errors() -> None:
    fred, _, _ = source(ok(fixture("fred/fredgraph_error.html")), api_key=KEY)
    with pytest.raises(SourceError, match="FRED WALCL: expected JSON but got an HTML page"):
        fred.fetch(WALCL)
    fred, _, _ = source(ok('{"observations": [{"date": "2023-09-06"'), api_key=KEY)
    with pytest.raises(SourceError, match="FRED WALCL: response is not valid JSON"):
        fred.fetch(WALCL)
    fred, _, _ = source(ok('{"count": 0}'), api_key=KEY)
    with pytest.raises(SourceError, match="lacks the 'observations' list"):
        fred.fetch(WALCL)
    fred, _, _ = source(
        ok('{"count": 1, "observations": [{"date": "2023-09-06", "value": "1"}]}'), api_key=KEY
    )
    with pytest.raises(SourceError, match=r"malformed observation .*realtime_start"):
        fred.fetch(WALCL)


def test_supports_needs_a_fred_symbol() -> None:
    fred = FredSource(env={})
    assert fred.supports(WALCL)
    assert not fred.supports(CATALOG["BTC"])
