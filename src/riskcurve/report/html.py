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

from riskcurve.errors import RiskcurveError
from riskcurve.report.channel_charts import decomposition_figure
from riskcurve.report.charts import CHARTS, build_figures
from riskcurve.report.stage_charts import stage_figures
from riskcurve.report.study_charts import study_figures
from riskcurve.service import Riskcurve, Snapshot, StudyChoice
from riskcurve.stages import Status


@dataclass(frozen=True)
class ReportInfo:
    """What ``build_report`` wrote."""

    path: Path
    size_bytes: int
    seconds: float
    as_of: pd.Timestamp
    headline: str  # "stage 3 Small caps lead" or "stage unknown"
    study_note: str  # which study the report shows, or why none
    charts: tuple[str, ...]


def _num(value: object, spec: str = ",.2f") -> str:
    """A number for people; '-' for unknown (None) so a missing value never reads as zero."""
    if value is None or isinstance(value, bool):
        return "-" if value is None else str(value)
    if isinstance(value, int | float):
        return format(value, spec)
    return str(value)


def _moment(iso: str) -> str:
    """An ISO timestamp as people read it: "2026-09-09 23:59 UTC" (the exact value stays in data-*)."""
    return pd.Timestamp(iso).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


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
    env.filters["moment"] = _moment
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


def render_card(status: Status) -> str:
    """The status card as an HTML fragment (used by the report and the dashboard's /ui/card)."""
    return template_env().get_template("_status_card.html.j2").render(status=status.to_dict())


STUDY_INLINE_LIMIT = 2_000  # characters of JSON shown as text; larger parts stay in the embedded JSON only


def _is_table(value: object) -> bool:
    """A non-empty list of flat records (the study's events, its adjusted p-values): a table."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(row, dict) for row in value)
        and all(v is None or isinstance(v, str | int | float | bool) for row in value for v in row.values())
    )


def study_sections(study: dict[str, Any]) -> dict[str, list[Any]]:
    """The study result sorted for reading: scalars, texts (e.g. the verdict per follower), lists of
    records as tables (key, columns, rows; the events among them), other small structures as JSON,
    and large ones only named (they are in the embedded JSON, once)."""
    out: dict[str, list[Any]] = {"scalars": [], "texts": [], "tables": [], "small": [], "large": []}
    for key, value in study.items():
        if value is None or isinstance(value, str | int | float | bool):
            out["scalars"].append((key, value))
        elif isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            out["texts"].append((key, value))
        elif _is_table(value):
            out["tables"].append((key, list(value[0]), [[row.get(c) for c in value[0]] for row in value]))
        else:
            text = json.dumps(value, indent=2)
            if len(text) <= STUDY_INLINE_LIMIT:
                out["small"].append((key, text))
            else:
                out["large"].append((key, len(text)))
    return out


def render_report(
    snapshot: Snapshot,
    *,
    started: float,
    study: StudyChoice,
    stage_model: dict[str, Any] | None = None,
    alt_leaders: dict[str, Any] | None = None,
) -> str:
    """The report's HTML text for ``snapshot``, the study it may show, the stage model's document
    (``StageModelReport.to_dict()``) and the alternative leaders' (``AltLeaderStudy.to_dict()``); it
    reports the time since ``started`` (perf_counter) as its build time, measured once the charts are built."""
    figures = build_figures(snapshot)
    if snapshot.status.channels is not None:
        figures["channels"] = decomposition_figure(snapshot.status.channels)
    status = snapshot.status.to_dict()
    doc = study.run.to_dict() if study.run is not None else None
    charts = [{"name": name, "json": script_json(fig.to_json())} for name, fig in figures.items()]
    study_charts = (
        [
            {"id": "study-" + name.replace(":", "-"), "json": script_json(fig.to_json())}
            for name, fig in study_figures(doc).items()
        ]
        if doc is not None and "event_study" in doc
        else []
    )
    stage_charts = [
        {"id": name, "json": script_json(fig.to_json())}
        for name, fig in (stage_figures(stage_model) if stage_model is not None else {}).items()
    ]
    seconds = time.perf_counter() - started
    return (
        template_env()
        .get_template("report.html.j2")
        .render(
            status=status,
            status_json=script_json(json.dumps(status)),
            charts=charts,
            study=doc,
            study_missing=study.reason,
            study_charts=study_charts,
            sections=study_sections(doc) if doc is not None else None,
            study_json=script_json(json.dumps(doc)) if doc is not None else "",
            stage_model=stage_model,
            stage_charts=stage_charts,
            alt_leaders=alt_leaders,
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


def build_report(rc: Riskcurve, as_of: str | pd.Timestamp | None, out_path: Path | str) -> ReportInfo:
    """Write one self-contained HTML report of the state as of ``as_of`` (None: now) to ``out_path``,
    with the stored study when it belongs to that time (computed as of then or earlier)."""
    started = time.perf_counter()
    snapshot = rc.snapshot(as_of)
    study = rc.study_for(snapshot.as_of)
    stage_model = rc.stage_model(snapshot.as_of, board=snapshot.board).to_dict()  # the board computed once
    alt_leaders = rc.alt_leaders(snapshot.as_of, board=snapshot.board).to_dict()
    html = render_report(snapshot, started=started, study=study, stage_model=stage_model, alt_leaders=alt_leaders)
    path = Path(out_path)
    try:
        size = _write_atomically(path, html)
    except OSError as exc:  # no permission, a full disk: the user's path, said in words
        raise RiskcurveError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    status = snapshot.status
    return ReportInfo(
        path=path,
        size_bytes=size,
        seconds=time.perf_counter() - started,
        as_of=snapshot.as_of,
        headline="stage unknown" if status.stage is None else f"stage {status.stage} {status.name}",
        study_note=f"shows the {study.run.label}" if study.run is not None else f"no study: {study.reason}",
        charts=tuple(c.name for c in CHARTS),
    )
