"""The `riskcurve` command line: a presenter over the service (``riskcurve.service``).

Each command asks the service one question and prints the typed answer; errors riskcurve raises on
purpose are one line on stderr and exit code 2 (1 when an update or a delivery failed).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from riskcurve._json import records
from riskcurve.errors import RiskcurveError
from riskcurve.thesis import STUDY_HORIZONS

if TYPE_CHECKING:
    from riskcurve.service import Riskcurve, StudyRun, UpdateReport

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


def _service(db: Path | None = None, data_dir: Path | None = None, *, lock_wait: float = 15.0) -> Riskcurve:
    """The service (imported here, not at start-up: `--help` needs none of the numerical stack)."""
    from riskcurve.service import open as open_service

    return open_service(_store_file(db), data_dir=data_dir, lock_wait=lock_wait)


def _split_ids(values: list[str] | None) -> list[str] | None:
    """Accept `--series RUT --series SPX` and `--series RUT,SPX` alike. Given but empty is refused:
    read as 'no filter' it would update every series."""
    if values is None:
        return None
    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not ids:
        raise RiskcurveError("--series is empty: give series ids (`riskcurve series` lists them), or leave it out")
    return ids


def _store_file(db: Path | None) -> Path | None:
    """``--db`` must name a file: a directory would reach DuckDB and come back as a raw IO error."""
    if db is not None and db.is_dir():
        raise RiskcurveError(f"--db {db} is a directory; give the store's .duckdb file")
    return db


def _output_file(out: Path, what: str, *, directory: bool = False) -> Path:
    """Refuse an output path that cannot be written before any work is done (a directory where a
    file is wanted, or a file where a directory is)."""
    if out.exists() and out.is_dir() != directory:
        kind = "a file" if directory else "a directory"
        raise RiskcurveError(f"{what} {out} is {kind}; give {'a directory' if directory else 'a file path'}")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise RiskcurveError(f"{what} {out}: {blocking} is a file, not a directory")
    return out


def _fmt_date(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "-"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _fail(message: str, code: int = 2) -> None:
    """One line on stderr; the message is text, never markup (a config key like [board] stays visible)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
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
    try:
        rc = _service(db, data_dir)
        ids = _split_ids(series)
        if since is not None and since.date() > date.today():
            raise RiskcurveError(f"--since {since.date()} is after today: no observation can be that new")
        total = len(rc.catalog.select(ids))
        with _progress() as progress:
            task = progress.add_task("update", total=total)
            report = rc.update(
                ids,
                since=since.date() if since else None,
                on_series=lambda spec, source: progress.update(
                    task, advance=1, description=escape(f"{spec.id} <- {source}")
                ),
            )
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    _print_update(report, rc.db_path)
    if not report.ok:
        raise typer.Exit(1)


def _progress() -> Progress:
    """A bar on a terminal only; descriptions are escaped by the callers (a source may be a user path)."""
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
    table = Table(title=escape(f"update {report.run_id} -> {db_path}"))
    for column in ("series", "status", "new rows", "revised rows", "first date", "last date", "source"):
        table.add_column(column, justify="right" if "rows" in column else "left", no_wrap=True)
    for r in report.results:
        style = {"failed": "red", "ok": "green"}.get(r.status, "")
        table.add_row(
            escape(r.series_id),
            f"[{style}]{r.status}[/]" if style else r.status,
            str(r.new_rows),
            str(r.revised_rows),
            _fmt_date(r.first_date),
            _fmt_date(r.last_date),
            escape(r.source),
        )
    console.print(table)
    console.print(report.summary(), highlight=False, markup=False)
    # One unwrapped line per failure (not a table): the message names file and line, and must survive
    # a narrow terminal, `| tee` and grep whole.
    for r in report.failed:
        err_console.print(f"failed, nothing stored: {r.series_id}: {r.message}", markup=False, soft_wrap=True)


SERIES_COLUMNS = ("id", "name", "asset_class", "units", "frequency", "rows", "first_date", "last_date", "last_update")


@app.command("series")
def series_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    db: DbOption = None,
) -> None:
    """The catalog with what the store holds of each series."""
    try:
        rc = _service(db)
        frame = rc.series()
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(records(frame), indent=2) + "\n")
        return
    table = Table(title=escape(f"{len(frame)} series in the catalog; store {rc.db_path}"))
    for column in (*SERIES_COLUMNS, "flags"):
        table.add_column(column, justify="right" if column == "rows" else "left", no_wrap=column != "name")
    for row in frame.to_dict("records"):
        flags = ",".join(f for f in ("stablecoin", "wrapped") if row[f])
        table.add_row(*(_cell(row[c]) for c in SERIES_COLUMNS), flags)
    console.print(table)


def _cell(value: object) -> str:
    """A table cell as text: catalog names come from user files and may look like markup."""
    return "-" if value is None else escape(str(value))


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Point in time: YYYY-MM-DD (end of that UTC day), an ISO timestamp, or 'latest' "
        "(when the newest Russell 2000 close was published). Default: now.",
    ),
]


@app.command()
def status(
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    db: DbOption = None,
) -> None:
    """Which stage of the rotation the market is in, the evidence, and since when."""
    try:
        result = _service(db).status(as_of)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return
    console.print(result.summary(), highlight=False, markup=False)


# Ten years: crypto history is about fifteen years long, so a longer forward window leaves no events
# to measure (and a huge one only overflows dates further down).
MAX_HORIZON_DAYS = 3650
# A study date outside this range cannot be a session in the store (pandas timestamps end in 2262).
EARLIEST_DAY = date(1900, 1, 1)


def _int_list(text: str, what: str, most: int) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise RiskcurveError(f"{what} must be comma-separated whole numbers, got {text!r}") from None
    if not values or min(values) < 1 or max(values) > most:
        raise RiskcurveError(f"{what} must be whole numbers from 1 to {most}, got {text!r}")
    return values


def _ids(text: str, what: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    if not ids:
        raise RiskcurveError(f"{what} is empty: give series ids (`riskcurve series` lists them)")
    return ids


def _leader(text: str | None) -> str | None:
    ids = _ids(text, "--leader") if text is not None else (None,)
    if len(ids) > 1:
        raise RiskcurveError(f"--leader takes one series id, got {text!r}")
    return ids[0]


def _scheduler(text: str | None) -> str | None:
    """'local' or a dask address; anything else would fail deep inside dask with its own traceback."""
    if text is None or text == "local" or re.fullmatch(r"(tcp|tls)://\S+:\d{1,5}", text):
        return text
    raise RiskcurveError(f"--scheduler must be 'local' or an address like tcp://host:8786, got {text!r}")


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RiskcurveError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None
    today = date.today()
    if not EARLIEST_DAY <= day <= today:
        raise RiskcurveError(f"{what} {text!r} is outside the accepted range {EARLIEST_DAY} .. {today} (today)")
    return day


@app.command()
def study(
    leader: Annotated[str | None, typer.Option("--leader", help="Leader series id [default: RUT]")] = None,
    followers: Annotated[
        str, typer.Option("--followers", help="Follower ids; ALTS = top-10 alt basket")
    ] = "ETH,BTC,ALTS",
    horizons: Annotated[str, typer.Option("--horizons", help="Forward horizons in days")] = ",".join(
        str(h) for h in STUDY_HORIZONS
    ),
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
    claim_date: Annotated[
        str | None, typer.Option("--claim-date", help="Ledger: first signal scored [default: 2026-01-08]")
    ] = None,
    db: DbOption = None,
) -> None:
    """Did small-cap breakouts lead crypto? Event study, lead-lag, sweep, backtest and a verdict."""
    from riskcurve.service import StudyRequest

    try:
        if grid not in ("default", "full"):
            raise RiskcurveError(f"--grid must be 'default' or 'full', got {grid!r}")
        request = StudyRequest(
            leader=_leader(leader),
            followers=_ids(followers, "--followers"),
            horizons=_int_list(horizons, "--horizons", MAX_HORIZON_DAYS),
            grid=grid,  # type: ignore[arg-type]
            start=_day(start, "--start"),
            end=_day(end, "--end"),
            scheduler=_scheduler(scheduler),
            claim_date=_day(claim_date, "--claim-date"),
        )
        if out is not None:
            _output_file(out, "--out", directory=True)
        with _progress() as progress:
            task = progress.add_task("study", total=100)
            run = _service(db).study(
                request,
                as_of,
                progress=lambda label, frac: progress.update(task, completed=100 * frac, description=escape(label)),
            )
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if out is not None:
        _write_study(run, out)
    if as_json:
        sys.stdout.write(json.dumps(run.to_dict(), indent=2) + "\n")
        return
    console.print(run.summary(), highlight=False, markup=False)
    if out is not None:
        console.print(f"written to {out}/", highlight=False, markup=False)


def _write_study(run: StudyRun, out: Path) -> None:
    try:
        run.write(out)
    except OSError as exc:
        _fail(f"--out {out}: cannot write ({exc.strerror or exc})")


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
        info = build_report(_service(db), as_of, _output_file(out, "--out"))
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    console.print(
        f"wrote {info.path} ({info.size_bytes / 1e6:.1f} MB): {info.headline} as of {info.as_of.isoformat()}, "
        f"built in {info.seconds:.1f} s; {info.study_note}",
        highlight=False,
        markup=False,
    )


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
        # A request waits at most a second for a writer (update, watch), then answers 503 Retry-After.
        run_server(_service(db, lock_wait=1.0), host=host, port=port)
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
        rc = _service(db, data_dir)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    redactor = Redactor([secret for channel in channels for secret in channel.secrets()])
    logger, handler = logging.getLogger("riskcurve"), logging_handler(redactor)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    watcher = Watcher(rc, channels)
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
