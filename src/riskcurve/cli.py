"""The `riskcurve` command line: a presenter over the service (``riskcurve.service``).

Each command asks the service one question and prints the typed answer; errors riskcurve raises on
purpose are one line on stderr and exit code 2 (1 when an update or a delivery failed).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer._click.exceptions import ClickException, UsageError  # typer vendors click; not re-exported
from typer.core import TyperGroup

from riskcurve.errors import RiskcurveError

# The module top imports no pandas, DuckDB or service: `riskcurve --help` and every usage error stay
# fast; each command imports what it needs (a test keeps it so).
if TYPE_CHECKING:
    from rich.progress import Progress

    from riskcurve.service import Riskcurve, StudyRun, UpdateReport


class OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, a bad number) as one "error: ..." line, like riskcurve's own,
    instead of typer's box."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        def run() -> Any:
            return super(OneLineErrors, self).main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )

        if not standalone_mode:
            return run()
        try:
            code = run()
        except ClickException as exc:
            command = exc.ctx.command_path if isinstance(exc, UsageError) and exc.ctx else "riskcurve"
            typer.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="riskcurve",
    help="Monitor and test the thesis that liquidity rotates down the risk curve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", envvar="RISKCURVE_DB", metavar="FILE", help="DuckDB store file [default: in the user data dir]"
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", envvar="RISKCURVE_DATA_DIR", metavar="DIR", help="Read a CSV directory instead of live providers"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", metavar="", help="Machine-readable output (JSON on stdout)")]


def _print_json(document: object, *, one_line: bool = False) -> None:
    """JSON on stdout, numbers rounded to what they mean (``riskcurve._json.dumps``)."""
    from riskcurve._json import dumps

    sys.stdout.write(dumps(document, indent=None if one_line else 2) + "\n")
    sys.stdout.flush()


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
    """YYYY-MM-DD of a date or timestamp; '-' for a missing one (None, NaT, NaN)."""
    if value is None or value != value:  # NaN and NaT are not equal to themselves
        return "-"
    return str(value)[:10]


def _fail(message: str, code: int = 2) -> None:
    """One line on stderr, the same shape as a usage error; text, never markup (a key like [board] stays)."""
    err_console.print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def update(
    data_dir: DataDirOption = None,
    series: Annotated[
        list[str] | None,
        typer.Option("--series", metavar="SERIES", help="Only these series ids (repeat or comma-separate)"),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only observations from this date")
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            "--deadline",
            envvar="RISKCURVE_UPDATE_DEADLINE",
            metavar="SECONDS",
            min=1,
            help="Live runs give up on what is not reached by then [default: 900]",
        ),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Fetch new and revised observations into the store (idempotent; atomic per series).

    Example: riskcurve update --data-dir ../shared/data --series RUT,WALCL
    """
    try:
        rc = _service(db, data_dir)
        ids = _split_ids(series)
        start = _since(since)
        total = len(rc.catalog.select(ids))
        with _progress() as progress:
            task = progress.add_task("update", total=total)
            report = rc.update(ids, since=start, on_series=_series_progress(progress, task), deadline=deadline)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(report.to_dict())
    else:
        _print_update(report, rc.db_path)
    if not report.ok:
        raise typer.Exit(1)


def _series_progress(progress: Progress, task: Any) -> Callable[[Any, str], None]:
    """A bar on a terminal; elsewhere (cron, ``| tee``) one line per series on stderr as it starts."""

    def on_series(spec: Any, source: str) -> None:
        if err_console.is_terminal:
            progress.update(task, advance=1, description=escape(f"{spec.id} <- {source}"))
        else:
            err_console.print(f"updating {spec.id} <- {source}", markup=False, highlight=False, soft_wrap=True)

    return on_series


def _progress() -> Progress:
    """A bar on a terminal only; descriptions are escaped by the callers (a source may be a user path)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    """Only what changed or failed gets a row; unchanged series are one count ("106 series unchanged")."""
    changed = [
        r for r in report.results if r.status != "unchanged" and (r.new_rows or r.revised_rows or r.status != "ok")
    ]
    quiet = len(report.results) - len(changed)
    if changed:
        table = Table(title=escape(f"update -> {db_path}"))
        for column in ("series", "status", "new rows", "revised rows", "first date", "last date", "source"):
            table.add_column(column, justify="right" if "rows" in column else "left", no_wrap=True)
        for r in changed:
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
        if quiet:
            console.print(f"{quiet} series unchanged", highlight=False, markup=False)
    else:
        console.print(f"{quiet} series unchanged ({db_path})", highlight=False, markup=False)
    # One unwrapped line per failure (not a table): the message names file and line, and must survive
    # a narrow terminal, `| tee` and grep whole.
    for r in report.failed:
        err_console.print(f"failed, nothing stored: {r.series_id}: {r.message}", markup=False, soft_wrap=True)
    if report.failed:
        err_console.print(
            f"kept: the store still holds what it had for these {len(report.failed)} series; the others landed",
            markup=False,
            soft_wrap=True,
        )


SERIES_COLUMNS = (
    "id", "name", "asset_class", "units", "frequency", "observations", "stored_values", "first_date", "last_date",
    "last_update",
)  # fmt: skip
COUNT_COLUMNS = ("observations", "stored_values")


@app.command("series")
def series_command(as_json: JsonOption = False, db: DbOption = None) -> None:
    """The catalog with what the store holds of each series.

    observations counts dates (the rows of a CSV file); stored_values counts every value kept (each
    field of a price bar, each member, each revision).

    Example: riskcurve series --json
    """
    try:
        rc = _service(db)
        frame = rc.series()
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if as_json:
        from riskcurve._json import records

        _print_json(records(frame))
        return
    table = Table(title=escape(f"{len(frame)} series in the catalog; store {rc.db_path}"))
    for column in (*SERIES_COLUMNS, "flags"):
        table.add_column(column, justify="right" if column in COUNT_COLUMNS else "left", no_wrap=column != "name")
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
        metavar="DATE|latest",
        help="Point in time: YYYY-MM-DD (end of that UTC day), an ISO timestamp, or 'latest' "
        "(when the newest Russell 2000 close was published). Default: now.",
    ),
]


@app.command()
def status(as_of: AsOfOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Which stage of the rotation the market is in, the evidence, and since when; then what happened
    after the thesis's own signals (the forward-test ledger).

    Example: riskcurve status --as-of latest
    """
    _answer(lambda rc: rc.status_report(as_of), as_json, db)


def _answer(ask: Callable[[Riskcurve], Any], as_json: bool, db: Path | None) -> None:
    """Ask the service one question and print its typed answer (``summary()``, or ``to_dict()`` as JSON)."""
    try:
        result = ask(_service(db))
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(result.to_dict())
        return
    console.print(result.summary(), highlight=False, markup=False)


@app.command()
def leaders(as_of: AsOfOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Do net-liquidity or stablecoin growth lead crypto better than the Russell 2000 breakout?

    Every configuration (the breakout included) is a placebo test; the family is Holm-adjusted.
    Example: riskcurve leaders --as-of latest
    """
    _answer(lambda rc: rc.alt_leaders(as_of), as_json, db)


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


def _since(text: str | None) -> date | None:
    """``--since``: a date no later than today (nothing newer can exist)."""
    day = _day(text, "--since", latest=date.max)
    if day is not None and day > date.today():
        raise RiskcurveError(f"--since {day} is after today: no observation can be that new")
    return day


def _day(text: str | None, what: str, *, latest: date | None = None) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RiskcurveError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None
    today = date.today()
    if not EARLIEST_DAY <= day <= (latest or today):
        raise RiskcurveError(f"{what} {text!r} is outside the accepted range {EARLIEST_DAY} .. {today} (today)")
    return day


@app.command()
def study(
    leader: Annotated[
        str | None, typer.Option("--leader", metavar="SERIES", help="Leader series id [default: RUT]")
    ] = None,
    followers: Annotated[
        str, typer.Option("--followers", metavar="SERIES,...", help="Follower ids; ALTS = top-10 alt basket")
    ] = "ETH,BTC,ALTS",
    horizons: Annotated[
        str | None,
        typer.Option("--horizons", metavar="DAYS,...", help="Forward horizons in days [default: the thesis's]"),
    ] = None,
    grid: Annotated[
        str, typer.Option("--grid", metavar="default|full", help="Breakout-definition sweep: 24 or 500 definitions")
    ] = "default",
    start: Annotated[str | None, typer.Option("--start", metavar="DATE", help="First leader date")] = None,
    end: Annotated[str | None, typer.Option("--end", metavar="DATE", help="Last leader date")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Also write JSON, CSV tables and the verdict here")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", metavar="local|tcp://HOST:PORT", help="Run the lab on dask.distributed"),
    ] = None,
    claim_date: Annotated[
        str | None, typer.Option("--claim-date", help="Ledger: first signal scored [default: 2026-01-08]")
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Also print event tables, sweep, backtests, lead-lag, stage model")
    ] = False,
    db: DbOption = None,
) -> None:
    """Did small-cap breakouts lead crypto? One screen: the forward ledger, a summary table and the verdicts.

    Example: riskcurve study --as-of latest --followers ETH,BTC --out out/study
    """
    from riskcurve.service import StudyRequest
    from riskcurve.thesis import STUDY_HORIZONS

    try:
        if grid not in ("default", "full"):
            raise RiskcurveError(f"--grid must be 'default' or 'full', got {grid!r}")
        request = StudyRequest(
            leader=_leader(leader),
            followers=_ids(followers, "--followers"),
            horizons=STUDY_HORIZONS if horizons is None else _int_list(horizons, "--horizons", MAX_HORIZON_DAYS),
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
            rc = _service(db)
            run = rc.study(
                request,
                as_of,
                progress=lambda label, frac: progress.update(task, completed=100 * frac, description=escape(label)),
            )
            if details or as_json or out is not None:  # a few seconds more: only when the details are wanted
                progress.update(task, description="stage model")
                run = run.with_stage_model(rc.stage_model(run.as_of))
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    if out is not None:
        _write_study(run, out)
    if as_json:
        _print_json(run.to_dict())
        return
    console.print(run.details() if details else run.summary(), highlight=False, markup=False)
    if out is not None:
        console.print(f"written to {out}/", highlight=False, markup=False)


def _write_study(run: StudyRun, out: Path) -> None:
    try:
        run.write(out)
    except OSError as exc:
        _fail(f"--out {out}: cannot write ({exc.strerror or exc})")


# -- data out: export ---------------------------------------------------------------------------


def _export_status(rc: Riskcurve, as_of: str | None) -> Any:
    return rc.status(as_of).to_frame()


def _export_board(rc: Riskcurve, as_of: str | None) -> Any:
    return rc.board(as_of).frame.rename_axis("date").reset_index()


def _export_timeline(rc: Riskcurve, as_of: str | None) -> Any:
    return rc.timeline(end=as_of)


def _export_series(rc: Riskcurve, as_of: str | None) -> Any:
    return rc.series()


def _export_study(rc: Riskcurve, as_of: str | None) -> Any:
    return rc.study(None, as_of, keep=False).to_frame()


def _export_ledger(rc: Riskcurve, as_of: str | None) -> Any:
    return rc.ledger(as_of).to_frame()


#: What `export --what` can write, each a DataFrame from one service answer. Add a table here.
EXPORTS: dict[str, Callable[[Riskcurve, str | None], Any]] = {
    "status": _export_status,
    "board": _export_board,
    "timeline": _export_timeline,
    "series": _export_series,
    "study": _export_study,
    "ledger": _export_ledger,
}


@app.command()
def export(
    what: Annotated[str, typer.Option("--what", metavar="|".join(EXPORTS), help="Which table to write")],
    fmt: Annotated[str, typer.Option("--format", metavar="csv|parquet", help="File format")] = "csv",
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="File to write [default: <what>.<format>]")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Write one table (board, timeline, series, study, status, ledger) as CSV or Parquet.

    Example: riskcurve export --what board --format parquet --as-of latest --out board.parquet
    """
    from riskcurve._export import FORMATS, write_table

    try:
        if what not in EXPORTS:
            raise RiskcurveError(f"--what must be one of {', '.join(EXPORTS)}, got {what!r}")
        if fmt not in FORMATS:
            raise RiskcurveError(f"--format must be csv or parquet, got {fmt!r}")
        target = _output_file(out if out is not None else Path(f"{what}.{fmt}"), "--out")
        frame = EXPORTS[what](_service(db), as_of)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    try:
        write_table(frame, target, fmt)
    except OSError as exc:
        _fail(f"--out {target}: cannot write ({exc.strerror or exc})")
    if as_json:
        _print_json({"path": str(target), "what": what, "format": fmt, "rows": len(frame)})
        return
    console.print(f"wrote {target}: {len(frame):,} rows of {what}", highlight=False, markup=False)


# -- show it: report, serve, watch ------------------------------------------------------------------


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="HTML file to write")] = Path("report.html"),
    as_of: AsOfOption = None,
    png: Annotated[
        Path | None, typer.Option("--png", metavar="DIR", help="Also write each chart as a PNG into DIR (Chromium)")
    ] = None,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", metavar="FILE", help="Also write the page as a PDF (Chromium)")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One self-contained HTML report that works offline: status, evidence, charts, freshness, last study;
    with --png/--pdf also static copies drawn by headless Chromium (RISKCURVE_CHROMIUM or /usr/bin/chromium).

    Example: riskcurve report --as-of latest --out out/report.html --png out/charts --pdf out/report.pdf
    """
    from riskcurve.report import build_report

    try:
        png_dir = _output_file(png, "--png", directory=True) if png is not None else None
        pdf_path = _output_file(pdf, "--pdf") if pdf is not None else None
        if png_dir is not None or pdf_path is not None:
            from riskcurve.report.static import export_static, find_chromium

            find_chromium()  # no browser: say so before the report is built
        info = build_report(_service(db), as_of, _output_file(out, "--out"))
        static = export_static(info.path, png_dir=png_dir, pdf_path=pdf_path) if png_dir or pdf_path else None
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"cannot write the static export: {exc.strerror or exc}")
        return
    if as_json:
        _print_json(
            {
                "path": str(info.path),
                "size_bytes": info.size_bytes,
                "seconds": info.seconds,
                "as_of": info.as_of.isoformat(),
                "headline": info.headline,
                "study": info.study_note,
                "charts": list(info.charts),
                "static": static.to_dict() if static is not None else None,
            }
        )
        return
    console.print(
        f"wrote {info.path} ({info.size_bytes / 1e6:.1f} MB): {info.headline} as of {info.as_of.isoformat()}, "
        f"built in {info.seconds:.1f} s; {info.study_note}",
        highlight=False,
        markup=False,
    )
    if static is not None:
        console.print(static.summary(), highlight=False, markup=False)


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host", metavar="ADDRESS", help="Address to listen on; anything but loopback needs RISKCURVE_TOKEN"
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, metavar="PORT", help="TCP port")] = 8000,
    db: DbOption = None,
) -> None:
    """The dashboard and the read-only JSON API (OpenAPI docs at /docs).

    Example: riskcurve serve --port 8000   (then open http://127.0.0.1:8000/)
    """
    from riskcurve.web import serve as run_server

    try:
        # A request waits at most a second for a writer (update, watch), then answers 503 Retry-After.
        run_server(_service(db, lock_wait=1.0), host=host, port=port)
    except RiskcurveError as exc:
        _fail(str(exc))


@app.command()
def watch(
    interval: Annotated[str, typer.Option("--interval", metavar="30m|1h|1d", help="Time between cycles")] = "1h",
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            envvar="RISKCURVE_WEBHOOK_URL",
            metavar="URL",
            help="Slack/Discord webhook URL, or any http(s) URL for a JSON POST (sent through apprise); "
            "prefer the environment variable: a URL given here shows in `ps`",
        ),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(
            "--email", metavar="ADDRESS", help="Mail alerts to this address (SMTP from RISKCURVE_SMTP_*, via apprise)"
        ),
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            "--notify",
            metavar="URL",
            help="Any apprise URL (json://, slack://, tgram://, ntfy://, mailtos://, ...), repeatable; "
            "RISKCURVE_NOTIFY takes several separated by spaces (preferred: a URL here shows in `ps`)",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", metavar="", help="One cycle, then exit (cron); exit 1 if a delivery failed")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="One JSON line per cycle on stdout")] = False,
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Update and classify on a schedule; alert once on a stage change or a new Russell 2000 breakout.

    Example: RISKCURVE_WEBHOOK_URL=https://hooks.slack.com/... riskcurve watch --once
    """
    import logging
    import os

    from riskcurve.alerts import Redactor, Watcher, channels_from, logging_handler, parse_interval

    try:
        seconds = parse_interval(interval)
        channels = channels_from(webhook, email, os.environ, notify or ())
        rc = _service(db, data_dir)
    except RiskcurveError as exc:
        _fail(str(exc))
        return
    redactor = Redactor([secret for channel in channels for secret in channel.secrets()])
    logger, handler = logging.getLogger("riskcurve"), logging_handler(redactor)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    watcher = Watcher(rc, channels, on_cycle=_print_cycle if as_json else None)
    try:
        if once:
            result = watcher.cycle()
            if as_json:
                _print_cycle(result)
            raise typer.Exit(0 if result.ok else 1)
        watcher.run(seconds)
    except RiskcurveError as exc:
        _fail(redactor(str(exc)), 1)
    except KeyboardInterrupt:
        err_console.print("stopped")
    finally:
        logger.removeHandler(handler)


def _print_cycle(result: Any) -> None:
    from dataclasses import asdict

    _print_json({**asdict(result), "ok": result.ok}, one_line=True)


if __name__ == "__main__":  # pragma: no cover
    app()
