"""The `riskcurve` command line: update, series (and the monitor/study/report commands built on them)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
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
from riskcurve.errors import RiskcurveError

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
        typer.Option(
            "--data-dir", help="Read a CSV directory instead of live providers [env: RISKCURVE_DATA_DIR]"
        ),
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
    from riskcurve.data.update import csv_sources, live_sources, run_update

    try:
        settings = _settings(db, data_dir)
        catalog = _catalog(settings)
        specs = catalog.select(_split_ids(series))
        sources = csv_sources(settings.data_dir) if settings.data_dir else live_sources()
        with Store(settings.db_path) as store, _progress() as progress:
            task = progress.add_task("update", total=len(specs))

            def advance(spec: SeriesSpec, source: str) -> None:
                progress.update(task, advance=1, description=f"{spec.id} <- {source}")

            report = run_update(
                store,
                specs,
                sources,
                since=since.date() if since else None,
                incremental=settings.data_dir is None,
                on_series=advance,
            )
            progress.update(task, description="stored")
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
    console.print(
        f"{len(report.results)} series: {new} new rows, {revised} revised rows, {len(report.failed)} failed"
    )
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
                "flags": ",".join(
                    f for f, on in (("stablecoin", spec.stablecoin), ("wrapped", spec.wrapped)) if on
                ),
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


if __name__ == "__main__":  # pragma: no cover
    app()
