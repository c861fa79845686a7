"""The one-file HTML report: status card, every chart, freshness, and an optional study section.

The file is self-contained so it can be mailed, archived or opened on a plane: plotly.js is inlined
once, each figure sits beside it as JSON, and nothing is loaded from a network. The same Jinja
environment renders the dashboard's status card, so the report and the dashboard never disagree.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import plotly.offline
from markupsafe import Markup

from riskcurve.catalog import Catalog
from riskcurve.config import Settings
from riskcurve.data.store import Store
from riskcurve.report.charts import CHARTS, build_figures
from riskcurve.report.snapshot import Snapshot, take_snapshot
from riskcurve.report.study_charts import study_figures


@dataclass(frozen=True)
class ReportInfo:
    """What ``build_report`` wrote."""

    path: Path
    size_bytes: int
    seconds: float
    as_of: pd.Timestamp
    stage: int
    stage_name: str
    charts: tuple[str, ...]


def _num(value: object, spec: str = ",.2f") -> str:
    """A number for people; '-' for unknown (None) so a missing value never reads as zero."""
    if value is None or isinstance(value, bool):
        return "-" if value is None else str(value)
    if isinstance(value, int | float):
        return format(value, spec)
    return str(value)


def _held(confirmations: dict[str, Any]) -> bool | None:
    """The hold check of a breakout (its key names the number of closes, e.g. ``held_3``)."""
    return next((v for k, v in confirmations.items() if k.startswith("held_")), None)


@cache
def template_env() -> jinja2.Environment:
    """The templates of the report and the dashboard (HTML-escaped by default)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("riskcurve.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["held"] = _held
    return env


def script_json(text: str) -> Markup:
    """JSON text made safe inside a <script> element: no '<' can close it or open a comment."""
    return Markup(text.replace("<", "\\u003c"))


@cache
def plotly_js() -> str:
    """The bundled plotly.js (about 5 MB), read once per process."""
    return plotly.offline.get_plotlyjs()


def package_version() -> str:
    try:
        return version("riskcurve")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "dev"


def render_card(status: dict[str, Any]) -> str:
    """The status card as an HTML fragment (used by the report and the dashboard's /ui/card)."""
    return template_env().get_template("_status_card.html.j2").render(status=status)


STUDY_INLINE_LIMIT = 2_000  # characters of JSON shown as text; larger parts stay in the embedded JSON only


def study_sections(study: dict[str, Any]) -> dict[str, list[Any]]:
    """The study result sorted for reading: scalars, texts (e.g. the verdict per follower), small
    structures shown as JSON, and large ones only named (they are in the embedded JSON, once)."""
    out: dict[str, list[Any]] = {"scalars": [], "texts": [], "small": [], "large": []}
    for key, value in study.items():
        if value is None or isinstance(value, str | int | float | bool):
            out["scalars"].append((key, value))
        elif isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            out["texts"].append((key, value))
        else:
            text = json.dumps(value, indent=2)
            if len(text) <= STUDY_INLINE_LIMIT:
                out["small"].append((key, text))
            else:
                out["large"].append((key, len(text)))
    return out


def render_report(snapshot: Snapshot, *, started: float, study: dict[str, Any] | None = None) -> str:
    """The report's HTML text for ``snapshot``; it reports the time since ``started`` (perf_counter)
    as its build time, measured once the charts are built, just before the page is rendered."""
    figures = build_figures(snapshot)
    charts = [{"name": name, "json": script_json(fig.to_json())} for name, fig in figures.items()]
    study_charts = (
        [
            {"id": "study-" + name.replace(":", "-"), "json": script_json(fig.to_json())}
            for name, fig in study_figures(study).items()
        ]
        if study is not None and "event_study" in study
        else []
    )
    seconds = time.perf_counter() - started
    return (
        template_env()
        .get_template("report.html.j2")
        .render(
            status=snapshot.status,
            status_json=script_json(json.dumps(snapshot.status)),
            charts=charts,
            study=study,
            study_charts=study_charts,
            sections=study_sections(study) if study is not None else None,
            study_json=script_json(json.dumps(study)) if study is not None else "",
            plotly_js=Markup(plotly_js()),
            seconds=seconds,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            version=package_version(),
        )
    )


def _write_atomically(path: Path, text: str) -> int:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def build_report(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    as_of: pd.Timestamp | datetime | str | None,
    out_path: Path | str,
    study: dict[str, Any] | None = None,
) -> ReportInfo:
    """Write one self-contained HTML report of the state as of ``as_of`` (None: now) to ``out_path``.

    ``study``: results of `riskcurve study` to show in their own section; without them the section
    says how to add them.
    """
    started = time.perf_counter()
    snapshot = take_snapshot(store, catalog, settings, as_of)
    html = render_report(snapshot, started=started, study=study)
    path = Path(out_path)
    size = _write_atomically(path, html)
    return ReportInfo(
        path=path,
        size_bytes=size,
        seconds=time.perf_counter() - started,
        as_of=snapshot.as_of,
        stage=int(snapshot.status["stage"]),
        stage_name=str(snapshot.status["stage_name"]),
        charts=tuple(c.name for c in CHARTS),
    )
