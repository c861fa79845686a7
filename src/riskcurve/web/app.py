"""The FastAPI app: a read-only JSON API over the store and a dashboard page built on it.

No endpoint writes: every store connection is read-only and lives for one computation (see
``riskcurve.web.cache``). Query parameters are typed so FastAPI answers bad input with 422 and a
message naming the parameter; an unknown series is a 404; a store that cannot be read (missing, or
locked while `riskcurve update` writes it) is a 503 that says why.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Collection
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
import pandas as pd
import swagger_ui_bundle
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riskcurve._json import dumps
from riskcurve.errors import AsOfError, CatalogError, RiskcurveError, StoreError
from riskcurve.report.charts import CHARTS
from riskcurve.report.html import package_version, plotly_js, template_env
from riskcurve.service import Riskcurve
from riskcurve.web.cache import NoSuchField, StoreView
from riskcurve.web.models import StatusOut, StudyOut

STATIC = Path(__file__).parent / "static"
TOKEN_COOKIE = "riskcurve_token"
# The dashboard runs only its own scripts (plotly and dashboard.js, served here); plotly sets inline
# styles. Nobody may frame it (clickjacking), and it talks to nothing but this server.
DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# /docs (Swagger UI): its assets come from the swagger-ui-bundle package, served here, so the page
# works offline; only FastAPI's short inline start-up script needs 'unsafe-inline'.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Point in time: 'latest' (when the newest Russell 2000 close was published), "
        "YYYY-MM-DD (end of that UTC day) or an ISO timestamp. Default: now.",
        examples=["latest", "2026-08-21", "2026-08-21T20:00:00Z"],
    ),
]
Kind = Literal["ath", "round_level", "rolling_high"]
Field_ = Literal["open", "high", "low", "close", "volume", "market_cap", "value"]


class Problem(BaseModel):
    detail: str


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str
    store: str = Field(description="file name of the DuckDB store")
    series: int = Field(description="series with observations")
    last_update: str | None
    latest: str | None = Field(description="when the newest Russell 2000 close was published")
    cached_snapshots: int


class SeriesInfo(BaseModel):
    id: str
    name: str
    asset_class: str
    kind: str
    units: str = Field(description="standard units the API reports (USD bn for balance-sheet money)")
    frequency: str
    calendar: str
    value_field: str
    fields: list[str]
    observations: int = Field(description="dates with a value, as a reader of the file counts them")
    stored_values: int = Field(description="values stored (one per field and date)")
    first_date: str | None
    last_date: str | None
    last_update: str | None
    stablecoin: bool
    wrapped: bool


class StoreVersion(BaseModel):
    version: str = Field(description="changes whenever the store file changes (an update landed)")


class SeriesData(BaseModel):
    id: str
    name: str
    units: str
    field: str
    member: str
    data_as_of: str | None = Field(description="the newest publication time the values include")
    start: str | None
    end: str | None
    count: int
    dates: list[str]
    values: list[float]


class BreakoutOut(BaseModel):
    series: str
    date: str
    kind: Kind
    level: float
    close: float
    confirmations: dict[str, Any]


class Breakouts(BaseModel):
    as_of: str
    series: str
    count: int
    breakouts: list[BreakoutOut]


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def _bad(param: str, message: str) -> HTTPException:
    """A 422 in FastAPI's own validation-error shape, for checks typing cannot express."""
    return HTTPException(422, detail=[{"type": "value_error", "loc": ["query", param], "msg": message}])


def _token_of(request: Request) -> tuple[str | None, bool]:
    """The one token a request presents, and whether it came in the query string.

    ``Authorization: Bearer`` for API clients; ``?token=`` only on a GET of the dashboard page, the
    link a person opens once (the page then drops it from the address bar and the cookie it sets
    carries it from then on); else that cookie. A token in any other query string is not read: it
    would sit in logs, history and referrers.
    """
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    if request.method == "GET" and request.url.path == "/" and "token" in request.query_params:
        return request.query_params["token"], True
    return request.cookies.get(TOKEN_COOKIE), False


def _host_name(header: str) -> str:
    """The name in a Host header without its port (an IPv6 literal without brackets), lower case."""
    host = header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _security_headers(path: str) -> dict[str, str]:
    """The headers every response carries (the API docs page runs Swagger UI's start-up script)."""
    return {
        "Content-Security-Policy": DOCS_CSP if path == "/docs" else DASHBOARD_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


class Guard:
    """Host allow-list, then the token (compared once), then the security headers on every answer.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware adds a task
    and a body stream to every request, which at 20 concurrent clients doubled the cached status's p95.
    """

    def __init__(self, app: ASGIApp, *, allowed: frozenset[str] | None, expected: bytes | None) -> None:
        self.app = app
        self.allowed = allowed
        self.expected = expected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        presented, from_query = _token_of(request) if self.expected else (None, False)
        refusal = self._refusal(request, presented)
        if refusal is not None:
            refusal.headers.update(_security_headers(path))
            await refusal(scope, receive, send)
            return
        extra = _security_headers(path)
        cookie = _cookie(presented) if from_query and presented else None

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
                if cookie is not None:
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, secured)

    def _refusal(self, request: Request, presented: str | None) -> Response | None:
        if self.allowed is not None and _host_name(request.headers.get("host", "")) not in self.allowed:
            return JSONResponse({"detail": "unknown Host header"}, status_code=400)
        if self.expected is None:
            return None
        if hmac.compare_digest((presented or "").encode("utf-8", "replace"), self.expected):
            return None
        return JSONResponse(
            {"detail": "missing or wrong token: send 'Authorization: Bearer <RISKCURVE_TOKEN>', or open /?token="},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )


def _cookie(token: str) -> str:
    """The Set-Cookie value a ``?token=`` visit of the page sets (HttpOnly, SameSite=strict)."""
    carrier = Response()
    carrier.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return carrier.headers["set-cookie"]


def create_app(rc: Riskcurve, token: str | None = None, *, hosts: Collection[str] | None = None) -> FastAPI:
    """The API and dashboard over the service ``rc`` (open it with ``lock_wait`` of a second or so:
    a request waits that long for a writer before answering 503).

    ``token``: when given, every request must present it (see ``_token_of``). ``hosts``: the names
    the Host header may carry (``serve`` passes loopback plus ``--host``): a page on another site
    whose name is re-pointed at 127.0.0.1 (DNS rebinding) sends its own name and gets a 400.
    """
    view = StoreView(rc)
    app = FastAPI(
        title="riskcurve",
        version=package_version(),
        description="Read-only API over the riskcurve store: the four-stage status, the series, the "
        "Russell 2000 breakouts and the last study. Values are in standard units as known at the time asked.",
        docs_url=None,  # served below from packaged assets instead of a CDN
        redoc_url=None,
    )
    app.state.view = view

    async def run(fn: Callable[..., bytes], *args: Any) -> bytes:
        """Store reads and board computations block: keep them off the event loop."""
        return await anyio.to_thread.run_sync(partial(fn, *args))

    def moment(as_of: str | None) -> pd.Timestamp:
        try:
            return view.resolve(as_of)
        except AsOfError as exc:
            raise _bad("as_of", str(exc)) from None

    @app.exception_handler(RiskcurveError)
    async def refused(request: Request, exc: RiskcurveError) -> JSONResponse:
        """Anything riskcurve refuses on purpose is the request's problem, said in words: never a 500."""
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(StoreError)
    async def store_unavailable(request: Request, exc: StoreError) -> JSONResponse:
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry else None
        return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)

    app.add_middleware(
        Guard,
        allowed=None if hosts is None else frozenset(_host_name(h) for h in hosts),
        expected=token.encode() if token else None,
    )

    unavailable: dict[int | str, dict[str, Any]] = {503: {"model": Problem, "description": "store unreadable now"}}
    bad_input: dict[int | str, dict[str, Any]] = {422: {"description": "invalid parameter"}}

    @app.get("/api/health", response_model=Health, responses=unavailable, tags=["api"])
    async def health() -> dict[str, Any]:
        """Liveness plus what the store holds; 503 when the store cannot be read."""
        doc = await anyio.to_thread.run_sync(view.health)
        return {**doc, "version": package_version()}

    @app.get("/api/version", response_model=StoreVersion, tags=["api"])
    async def store_version() -> dict[str, str]:
        """A fingerprint of the store's version, cheap to poll: it changes when an update lands."""
        return {"version": view.version()}

    @app.get(
        "/api/status",
        response_model=StatusOut,
        responses={200: {"description": "the document of `riskcurve status --json`"}, **unavailable, **bad_input},
        tags=["api"],
    )
    async def status(as_of: AsOfQuery = None) -> Response:
        """The stage of the rotation, every rule with its value and threshold, breakouts, context.

        The schema is ``StatusOut``; the body is the service's cached JSON, returned as is (not
        re-validated per request: a status is tens of kB and is served from the cache)."""
        return _json(await run(view.status_json, moment(as_of)))

    @app.get(
        "/api/channels",
        response_model=None,
        responses={
            200: {"description": "the liquidity channels, each with its date and convention"},
            **unavailable,
            **bad_input,
        },
        tags=["api"],
    )
    async def channels(as_of: AsOfQuery = None) -> Response:
        """Bill purchases, reserves, the daily TGA, the mortgage spread, stablecoins, ETF flows, the
        net-liquidity decomposition and Fear & Greed, as known at ``as_of``."""
        return _json(await run(view.part_json, moment(as_of), "channels"))

    @app.get(
        "/api/claims",
        response_model=None,
        responses={
            200: {"description": "the thesis's dated claims, each checked on its own date"},
            **unavailable,
            **bad_input,
        },
        tags=["api"],
    )
    async def claims(as_of: AsOfQuery = None) -> Response:
        """Each claim of the thesis with the figure the data give on its date and a plain word."""
        return _json(await run(view.part_json, moment(as_of), "claims"))

    @app.get("/api/series", response_model=list[SeriesInfo], responses=unavailable, tags=["api"])
    async def series_list() -> Response:
        """The catalog with what the store holds of each series."""
        return _json(await run(view.series_list))

    @app.get(
        "/api/series/{series_id}",
        response_model=None,
        responses={200: {"model": SeriesData}, 404: {"model": Problem}, **unavailable, **bad_input},
        tags=["api"],
    )
    async def series(
        series_id: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_.^-]+$")],
        start: Annotated[date | None, Query(description="first date (YYYY-MM-DD)")] = None,
        end: Annotated[date | None, Query(description="last date (YYYY-MM-DD)")] = None,
        field: Annotated[Field_ | None, Query(description="default: the series' main field")] = None,
        member: Annotated[
            str, Query(max_length=40, pattern=r"^[A-Za-z0-9_.-]*$", description="member of a multi-member dataset")
        ] = "",
        as_of: AsOfQuery = None,
    ) -> Response:
        """One series on its own dates, in standard units, as known at ``as_of`` (default: now)."""
        if start is not None and end is not None and start > end:
            raise _bad("start", f"start {start} is after end {end}")
        try:
            return _json(await run(view.series_json, series_id, field, member, start, end, moment(as_of)))
        except CatalogError:
            raise HTTPException(404, f"unknown series {series_id!r}; GET /api/series lists the catalog") from None
        except NoSuchField as exc:
            raise HTTPException(404, str(exc)) from None

    @app.get(
        "/api/breakouts",
        response_model=None,
        responses={200: {"model": Breakouts}, **unavailable, **bad_input},
        tags=["api"],
    )
    async def breakouts(
        as_of: AsOfQuery = None,
        since: Annotated[date | None, Query(description="only breakouts on or after this date")] = None,
        kind: Annotated[Kind | None, Query(description="only this breakout rule")] = None,
    ) -> Response:
        """Every Russell 2000 breakout known at ``as_of`` with its confirmations."""
        return _json(await run(view.breakouts_json, moment(as_of), since, kind))

    @app.get(
        "/api/study",
        response_model=StudyOut,
        responses={
            200: {"description": "the last `riskcurve study` result, with its as-of, data fingerprint and run time"},
            404: {"model": Problem},
            **unavailable,
            **bad_input,
        },
        tags=["api"],
    )
    async def study(as_of: AsOfQuery = None) -> Response:
        """The stored study, shown only for an ``as_of`` at or after its own (a later study has seen
        events an earlier view has not); 404 says why there is none."""
        choice = await anyio.to_thread.run_sync(view.study, moment(as_of))
        if choice["study"] is None:
            raise HTTPException(404, choice["reason"])
        return _json(json.dumps(choice["study"]).encode())

    @app.get(
        "/api/ledger",
        response_model=None,
        responses={
            200: {"description": "the forward-test ledger: every leader signal since the claim date, scored"},
            **unavailable,
            **bad_input,
        },
        tags=["api"],
    )
    async def ledger(as_of: AsOfQuery = None) -> Response:
        """Every Russell 2000 signal since 2026-01-08 and each follower's realised 30/60/90-day return
        (or pending) as known at ``as_of``."""
        when = moment(as_of)
        return _json(await run(lambda: json.dumps(view.rc.ledger(when).to_dict()).encode()))

    @app.get(
        "/api/stage-model",
        response_model=None,
        responses={
            200: {"description": "the four-stage model tested: returns by stage, stage 3 -> 4 lags, ladder order"},
            **unavailable,
            **bad_input,
        },
        tags=["api"],
    )
    async def stage_model(as_of: AsOfQuery = None) -> Response:
        """Each follower's forward returns by confirmed stage, the lags from stage 3 to stage 4, the order
        the ladder's rungs turned in per cycle, and the 2017/2021 precedents, as known at ``as_of``."""
        when = moment(as_of)
        return _json(await run(lambda: dumps(view.rc.stage_model(when).to_dict(), indent=None).encode()))

    @app.get(
        "/api/alt-leaders",
        response_model=None,
        responses={
            200: {"description": "alternative leaders against the Russell 2000 breakout, Holm-adjusted"},
            **unavailable,
            **bad_input,
        },
        tags=["api"],
    )
    async def alt_leaders(as_of: AsOfQuery = None) -> Response:
        """Do net-liquidity or stablecoin growth crossings lead BTC and ETH better than the Russell 2000
        breakout (each a placebo test, one Holm family), as known at ``as_of``."""
        when = moment(as_of)
        return _json(await run(lambda: dumps(view.rc.alt_leaders(when).to_dict(), indent=None).encode()))

    @app.get("/api/charts", response_model=None, responses={**unavailable, **bad_input}, tags=["dashboard"])
    async def charts(as_of: AsOfQuery = None) -> Response:
        """Every dashboard chart as plotly figure JSON: ``{"as_of": ..., "figures": {name: figure}}``."""
        return _json(await run(view.charts_json, moment(as_of)))

    @app.get("/ui/card", response_class=HTMLResponse, responses={**unavailable, **bad_input}, tags=["dashboard"])
    async def card(as_of: AsOfQuery = None) -> Response:
        """The status card as an HTML fragment (the same template as the report's)."""
        return HTMLResponse(await run(view.card_html, moment(as_of)))

    page = (
        template_env()
        .get_template("dashboard.html.j2")
        .render(charts=CHARTS, version=package_version(), store=view.db_path.name)
    )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        return HTMLResponse(page)

    docs_page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="riskcurve API",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/docs/favicon-32x32.png",
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return docs_page

    @app.get("/static/docs/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> Response:
        kind = DOCS_ASSETS.get(name)
        if kind is None:
            raise HTTPException(404, f"no API docs asset {name!r}")
        body = (Path(swagger_ui_bundle.swagger_ui_path) / name).read_bytes()
        return Response(body, media_type=kind, headers={"Cache-Control": "max-age=86400"})

    script = plotly_js().encode()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly_bundle() -> Response:
        return Response(script, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    dashboard_js = (STATIC / "dashboard.js").read_bytes()

    @app.get("/static/dashboard.js", include_in_schema=False)
    async def dashboard_script() -> Response:
        return Response(dashboard_js, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    return app
