"""The `riskcurve` command line: update, series (and the monitor/study/report commands built on them)."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from riskcurve.catalog import Catalog, SeriesSpec, load_catalog
from riskcurve.config import Settings, load_settings
from riskcurve.data.store import Store, UpdateReport
from riskcurve.errors import RiskcurveError, RiskcurveWarning

app = typer.Typer(
    name="riskcurve",
    help="Monitor and test the thesis that liquidity rotates down the risk curve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

DbOption = Annotated[
    Path | None, typer.Option("--db", help="DuckDB store file [env: RISKCURVE_DB; default: user data dir]")
]


def _settings(db: Path | None = None, data_dir: Path | None = None) -> Settings:
    return load_settings().with_overrides(db_path=db, data_dir=data_dir)


def _catalog(settings: Settings) -> Catalog:
    return load_catalog(settings.catalog_paths)


def _split_ids(values: list[str] | None) -> list[str] | None:
    """Accept `--series RUT --series SPX` and `--series RUT,SPX` alike."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _fmt_date(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "-"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@app.command()
def update(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Read a CSV directory instead of live providers [env: RISKCURVE_DATA_DIR]"),
    ] = None,
    series: Annotated[
        list[str] | None, typer.Option("--series", help="Only these series ids (repeat or comma-separate)")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Only observations from this date"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Fetch new and revised observations into the store (idempotent; atomic per series)."""
    from riskcurve.data.update import apply_fetched, csv_sources, fetch_all, live_sources, plan_update

    try:
        settings = _settings(db, data_dir)
        catalog = _catalog(settings)
        specs = catalog.select(_split_ids(series))
        sources = csv_sources(settings.data_dir) if settings.data_dir else live_sources()
        incremental = settings.data_dir is None
        # The store is open only to plan and to apply: downloads run with it closed, so the
        # dashboard keeps reading (DuckDB allows one writer or many readers, never both).
        with Store(settings.db_path) as store:
            plan = plan_update(store, specs, since=since.date() if since else None, incremental=incremental)
        with _progress() as progress:
            task = progress.add_task("update", total=len(specs))

            def advance(spec: SeriesSpec, source: str) -> None:
                progress.update(task, advance=1, description=f"{spec.id} <- {source}")

            fetched = fetch_all(plan, specs, sources, incremental=incremental, on_series=advance)
        with Store(settings.db_path) as store:
            report = apply_fetched(store, fetched, specs)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    _print_update(report, settings.db_path)
    if not report.ok:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold blue]{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


def _print_update(report: UpdateReport, db_path: Path) -> None:
    table = Table(title=f"update {report.run_id} -> {db_path}")
    for column in ("series", "status", "new rows", "revised rows", "first date", "last date", "source"):
        table.add_column(column, justify="right" if "rows" in column else "left", no_wrap=True)
    for r in report.results:
        style = {"failed": "red", "ok": "green"}.get(r.status, "")
        table.add_row(
            r.series_id,
            f"[{style}]{r.status}[/]" if style else r.status,
            str(r.new_rows),
            str(r.revised_rows),
            _fmt_date(r.first_date),
            _fmt_date(r.last_date),
            r.source,
        )
    console.print(table)
    new = sum(r.new_rows for r in report.results)
    revised = sum(r.revised_rows for r in report.results)
    console.print(f"{len(report.results)} series: {new} new rows, {revised} revised rows, {len(report.failed)} failed")
    if report.failed:
        failed = Table(title="failed series (nothing stored for them)", style="red")
        failed.add_column("series")
        failed.add_column("why")
        for r in report.failed:
            failed.add_row(r.series_id, r.message)
        err_console.print(failed)


@app.command("series")
def series_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    db: DbOption = None,
) -> None:
    """The catalog with what the store holds of each series."""
    try:
        settings = _settings(db)
        catalog = _catalog(settings)
        coverage = _coverage(settings)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    rows = []
    for spec in catalog.values():
        cov = coverage.get(spec.id, {})
        rows.append(
            {
                "id": spec.id,
                "name": spec.name,
                "asset_class": spec.asset_class,
                "units": spec.standard_units()[0],
                "frequency": spec.frequency,
                "calendar": spec.calendar,
                "rows": int(cov.get("rows", 0)),
                "first_date": _fmt_date(cov.get("first_date")),
                "last_date": _fmt_date(cov.get("last_date")),
                "last_update": _fmt_date(cov.get("last_update")),
                "flags": ",".join(f for f, on in (("stablecoin", spec.stablecoin), ("wrapped", spec.wrapped)) if on),
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} series in the catalog; store {settings.db_path}")
    columns = (
        "id",
        "name",
        "asset_class",
        "units",
        "frequency",
        "rows",
        "first_date",
        "last_date",
        "last_update",
        "flags",
    )
    for column in columns:
        table.add_column(column, justify="right" if column == "rows" else "left", no_wrap=column != "name")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)


def _coverage(settings: Settings) -> dict[str, dict[str, Any]]:
    if not settings.db_path.exists():
        return {}
    with Store(settings.db_path, read_only=True) as store:
        frame = store.coverage()
    return {str(r["series_id"]): dict(r) for r in frame.to_dict("records")}


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Point in time: YYYY-MM-DD (end of that UTC day), an ISO timestamp, or 'latest' "
        "(when the newest Russell 2000 close was published). Default: now.",
    ),
]


def resolve_as_of(value: str | None, store: Store, leader: str = "RUT") -> pd.Timestamp:
    """Turn the --as-of text into a UTC moment (see AsOfOption)."""
    from riskcurve.data.panel import parse_as_of

    if value is None:
        return pd.Timestamp.now(tz="UTC")
    if value == "latest":
        published = store.scalar(
            "SELECT max(available_at) FROM observations WHERE series_id = ? AND field = 'close'", [leader]
        )
        if published is None:
            raise RiskcurveError(f"--as-of latest: the store holds no {leader} closes yet; run `riskcurve update`")
        return pd.Timestamp(str(published)).tz_convert("UTC")
    try:
        return parse_as_of(value)
    except ValueError as exc:
        raise RiskcurveError(f"--as-of {value!r} is not a date (YYYY-MM-DD), a timestamp or 'latest'") from exc


def _num(value: object, fmt: str = ",.2f") -> str:
    return "-" if value is None else format(value, fmt)


@app.command()
def status(
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    db: DbOption = None,
) -> None:
    """Which stage of the rotation the market is in, the evidence, and since when."""
    from riskcurve.data.panel import AlignedPanel
    from riskcurve.events import load_events
    from riskcurve.measures.board import BoardConfig
    from riskcurve.stages import StageConfig, status_at

    try:
        settings = _settings(db)
        catalog = _catalog(settings)
        with Store(settings.db_path, read_only=True) as store, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RiskcurveWarning)
            moment = resolve_as_of(as_of, store)
            result = status_at(
                AlignedPanel(store, catalog, moment),
                board_config=BoardConfig.from_mapping(settings.section("board")),
                stage_config=StageConfig.from_mapping(settings.section("stages")),
                calendar=load_events(settings.event_paths),
            )
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    doc = result.to_dict()
    doc["notes"] = sorted({str(w.message) for w in caught if issubclass(w.category, RiskcurveWarning)})
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    _print_status(doc)


def _print_status(doc: dict[str, Any]) -> None:
    from rich.panel import Panel

    head = f"[bold]Stage {doc['stage']}: {doc['stage_name']}[/]"
    if doc["since"]:
        head += f" since {doc['since']}"
    if doc["raw_stage"] != doc["stage"]:
        head += f"  (today's rules say stage {doc['raw_stage']}; not yet confirmed)"
    head += f"\nas of {doc['as_of']} (last session {doc['session'] or '-'})"
    window = doc["follow_window"]
    if window:
        head += (
            f"\ncrypto follow window after the {window['breakout_date']} breakout: "
            f"{window['opens']} .. {window['closes']} ({window['state']})"
        )
    console.print(Panel(head, title="riskcurve status"))

    rules = Table(title="Evidence: every rule, its value and threshold")
    for column in ("stage", "active", "since", "rule", "value", "threshold", "pass"):
        rules.add_column(column, justify="right" if column in ("value", "threshold") else "left")
    for stage in doc["stages"]:
        for i, rule in enumerate(stage["rules"]):
            passed = {True: "[green]yes[/]", False: "[red]no[/]", None: "[yellow]unknown[/]"}[rule["passed"]]
            rules.add_row(
                f"{stage['number']} {stage['name']}" if i == 0 else "",
                ("yes" if stage["active"] else "no") if i == 0 else "",
                (stage["since"] or "-") if i == 0 else "",
                rule["label"],
                _num(rule["value"], ",.3f"),
                f"{rule['op']} {rule['threshold']:g}",
                passed,
            )
    console.print(rules)

    nl, cr, rot = doc["net_liquidity"], doc["credit"], doc["rotation"]
    facts = Table(title="Liquidity, credit, rotation", show_header=False)
    facts.add_column("what")
    facts.add_column("value", justify="right")
    for label, value, fmt in (
        ("Fed net liquidity, USD bn", nl["usd_bn"], ",.0f"),
        (
            "  change 4w / 13w, USD bn",
            None if nl["change_4w"] is None else f"{nl['change_4w']:,.0f} / {_num(nl['change_13w'], ',.0f')}",
            "",
        ),
        ("  1-year z-score", nl["zscore_1y"], ".2f"),
        ("Fed Treasury purchases, USD bn/month", doc["purchases"]["treasury_monthly_usd_bn"], ",.1f"),
        ("Fed MBS change, USD bn/month", doc["purchases"]["mbs_monthly_usd_bn"], ",.1f"),
        ("TGA 13-week change, USD bn", doc["purchases"]["tga_change_13w_usd_bn"], ",.0f"),
        (
            "HY OAS, % (5y percentile)",
            None if cr["hy_oas_pct"] is None else f"{cr['hy_oas_pct']:.2f} ({_num(cr['hy_oas_percentile_5y'], '.0f')})",
            "",
        ),
        ("10y real yield, %", cr["real_yield_10y"], ".2f"),
        ("10y-3m curve, pp", cr["curve_10y3m"], ".2f"),
        ("RUT/SPX ratio", rot["rut_spx_ratio"], ".4f"),
        ("RUT minus SPX, 63 sessions", rot["rut_minus_spx_63"], "+.2%"),
        ("ETH/BTC", rot["eth_btc"], ".5f"),
        (
            "Altcoin season index (coins, date)",
            None
            if doc["altseason"]["index"] is None
            else "{index:.0f} ({universe_size:.0f}, {date})".format(**doc["altseason"]),
            "",
        ),
    ):
        facts.add_row(label, value if isinstance(value, str) else _num(value, fmt))
    console.print(facts)

    if doc["breakouts"]:
        table = Table(title="Russell 2000 breakouts in the last year")
        for column in ("date", "kind", "level", "close", "volume x avg", "held"):
            table.add_column(column)
        for event in doc["breakouts"][-10:]:
            conf = event["confirmations"]
            held = next((v for k, v in conf.items() if k.startswith("held_")), None)
            table.add_row(
                event["date"],
                event["kind"],
                _num(event["level"]),
                _num(event["close"]),
                _num(conf.get("volume_ratio"), ".2f"),
                {True: "yes", False: "no", None: "pending"}[held],
            )
        console.print(table)
    ctx = doc["context"]
    for coin in ("BTC", "ETH"):
        c = ctx.get(coin) or {}
        if c:
            console.print(
                f"{coin} reset context ({c['date']}): drawdown 90d {_num(c.get('dd_90d'), '.1%')}, "
                f"1y {_num(c.get('dd_365d'), '.1%')}, monthly declines {_num(c.get('monthly_declines'), '.0f')}, "
                f"30d vol {_num(c.get('vol_30d'), '.0%')}"
                + (f", OI 30d {_num(c.get('oi_chg_30d'), '+.1%')}" if c.get("oi_chg_30d") is not None else "")
            )
    if doc["events"]:
        console.print(
            "Calendar: " + "; ".join(f"{e['date']} {e['title']} ({e['days_from_as_of']:+d}d)" for e in doc["events"])
        )
    for note in doc["notes"]:
        err_console.print(f"[yellow]note:[/] {note}")
    if doc["stale"]:
        err_console.print(f"[yellow]stale as of this time (their rules read unknown):[/] {', '.join(doc['stale'])}")


STUDY_STATE_KEY = "study:last"


def _int_list(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise RiskcurveError(f"{what} must be comma-separated whole numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise RiskcurveError(f"{what} must be positive whole numbers, got {text!r}")
    return values


@app.command()
def study(
    leader: Annotated[str, typer.Option("--leader", help="Leader series id")] = "RUT",
    followers: Annotated[
        str, typer.Option("--followers", help="Follower ids; ALTS = top-10 alt basket")
    ] = "ETH,BTC,ALTS",
    horizons: Annotated[str, typer.Option("--horizons", help="Forward horizons in days")] = "7,30,60,90,180",
    grid: Annotated[
        str, typer.Option("--grid", help="Breakout-definition sweep: default (24) or full (500)")
    ] = "default",
    start: Annotated[str | None, typer.Option("--start", help="First leader date (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last leader date (YYYY-MM-DD)")] = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Also write JSON, CSV tables and the verdict here")] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Run the sweep on dask.distributed: 'local' or tcp://host:port")
    ] = None,
    db: DbOption = None,
) -> None:
    """Did small-cap breakouts lead crypto? Event study, lead-lag, sweep, backtest and a verdict."""
    from riskcurve.data.panel import AlignedPanel
    from riskcurve.study.inputs import build_inputs
    from riskcurve.study.lab import StudyConfig, run_study

    try:
        if grid not in ("default", "full"):
            raise RiskcurveError(f"--grid must be 'default' or 'full', got {grid!r}")
        for label, value in (("--start", start), ("--end", end)):
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise RiskcurveError(f"{label} {value!r} is not a date (YYYY-MM-DD)") from None
        config = StudyConfig(horizons=_int_list(horizons, "--horizons"), grid=grid)  # type: ignore[arg-type]
        settings = _settings(db)
        catalog = _catalog(settings)
        names = [part.strip() for part in followers.split(",") if part.strip()]
        with Store(settings.db_path, read_only=True) as store, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RiskcurveWarning)
            panel = AlignedPanel(store, catalog, resolve_as_of(as_of, store, leader))
            inputs = build_inputs(panel, leader, names, start=start, end=end)
            with _progress() as progress, _sweep_mapper(scheduler) as mapper:
                task = progress.add_task("study", total=100)
                result = run_study(
                    inputs,
                    config,
                    progress=lambda label, frac: progress.update(task, completed=100 * frac, description=label),
                    lead_lag=_lead_lag_runner(),
                    sweep_mapper=mapper,
                )
        doc = result.to_dict()
        doc["warnings"] = sorted({str(w.message) for w in caught if issubclass(w.category, RiskcurveWarning)})
        with Store(settings.db_path) as store:  # brief write: the cached result the dashboard serves
            store.set_state(STUDY_STATE_KEY, json.dumps(doc))
        if out is not None:
            _write_study(out, result, doc)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    console.print(result.summary(), highlight=False)
    if out is not None:
        console.print(f"written to {out}/")


@contextmanager
def _sweep_mapper(scheduler: str | None) -> Iterator[Any]:
    """None runs the sweep here; otherwise on a dask.distributed cluster (imported only then)."""
    if scheduler is None:
        yield None
        return
    from riskcurve.study.distributed import dask_mapper

    try:
        with dask_mapper(scheduler) as mapper:
            yield mapper
    except OSError as exc:
        raise RiskcurveError(f"--scheduler {scheduler}: cannot reach the dask scheduler ({exc})") from exc


def _lead_lag_runner() -> Any:
    """Lead-lag with a 6-hour grace: a UTC-day crypto close ~4 h after the US close is paired with that
    session (the same interval), so same-day co-movement is not mistaken for a one-week lead."""
    from riskcurve.study.leadlag import lead_lag

    return lambda inputs: lead_lag(inputs, inputs.equities, follower_grace=pd.Timedelta(hours=6))


def _write_study(out: Path, result: Any, doc: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "study.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (out / "verdict.txt").write_text(result.summary() + "\n", encoding="utf-8")
    result.to_frame().to_csv(out / "event_study.csv", index=False)
    pd.DataFrame(doc["events"]).to_csv(out / "events.csv", index=False)
    for name, study in result.event_studies.items():
        study.table.to_csv(out / f"events_{name}.csv", index=False)
    if result.sweep is not None:
        result.sweep.to_frame().to_csv(out / "sweep.csv", index=False)


# -- show it: report, serve, watch ------------------------------------------------------------------


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("report.html"),
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """One self-contained HTML report that works offline: status, evidence, charts, freshness, last study."""
    from riskcurve.report import build_report

    try:
        settings = _settings(db)
        catalog = _catalog(settings)
        with Store(settings.db_path, read_only=True) as store:
            moment = resolve_as_of(as_of, store)
            study = _cached_study(store.get_state(STUDY_STATE_KEY))
            info = build_report(store, catalog, settings, moment, out, study=study)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    console.print(
        f"wrote {info.path} ({info.size_bytes / 1e6:.1f} MB): stage {info.stage} {info.stage_name} "
        f"as of {info.as_of.isoformat()}, built in {info.seconds:.1f} s"
    )


def _cached_study(text: str | None) -> dict[str, Any] | None:
    """The last `riskcurve study` result stored in the store, if any and readable."""
    if not text:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        err_console.print("[yellow]note:[/] the stored study result is not valid JSON; run `riskcurve study` again")
        return None
    return doc if isinstance(doc, dict) else None


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; anything but loopback needs RISKCURVE_TOKEN")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
    db: DbOption = None,
) -> None:
    """The dashboard and the read-only JSON API (OpenAPI docs at /docs)."""
    from riskcurve.web import serve as run_server

    try:
        settings = _settings(db)
        run_server(settings.db_path, host=host, port=port, catalog_paths=settings.catalog_paths, settings=settings)
    except RiskcurveError as exc:
        _fail(str(exc))


@app.command()
def watch(
    interval: Annotated[str, typer.Option("--interval", help="Time between cycles: 30m, 1h, 1d")] = "1h",
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            help="Slack/Discord webhook URL [env: RISKCURVE_WEBHOOK_URL, preferred: a URL here shows in `ps`]",
        ),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Mail alerts to this address (SMTP from RISKCURVE_SMTP_*)")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One cycle, then exit (cron); exit 1 if a delivery failed")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Update from a CSV directory, not live providers [env: RISKCURVE_DATA_DIR]"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Update and classify on a schedule; alert once on a stage change or a new Russell 2000 breakout."""
    import logging
    import os

    from riskcurve.alerts import Redactor, Watcher, channels_from, logging_handler, parse_interval

    try:
        seconds = parse_interval(interval)
        channels = channels_from(webhook, email, os.environ)
        settings = _settings(db, data_dir)
        catalog = _catalog(settings)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    redactor = Redactor([secret for channel in channels for secret in channel.secrets()])
    logger, handler = logging.getLogger("riskcurve"), logging_handler(redactor)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    watcher = Watcher(settings, catalog, channels)
    try:
        if once:
            result = watcher.cycle()
            raise typer.Exit(0 if result.ok else 1)
        watcher.run(seconds)
    except RiskcurveError as exc:
        _fail(redactor(str(exc)), 1)
    except KeyboardInterrupt:
        err_console.print("stopped")
    finally:
        logger.removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    app()
