"""`riskcurve update`: fetch each series from its source and apply it to the store.

Offline (a CSV directory) every series comes from its file. Live, each series tries the sources that
support it in order (FRED, exchange via ccxt, Yahoo, CoinGecko), falling back on a provider error,
and asks only for dates after the last stored one (less an overlap window, so revisions are seen).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source
from riskcurve.data.store import SeriesUpdate, Store, UpdateReport
from riskcurve.errors import RiskcurveError

# Re-read this much history on live updates: FRED and exchanges revise recent values.
REVISION_OVERLAP = timedelta(days=45)

ProgressCallback = Callable[[SeriesSpec, str], None]


def live_sources() -> list[Source]:
    """The live adapters in priority order (imported lazily: they pull in network libraries)."""
    from riskcurve.data.sources.crypto import CcxtSampler, CcxtSource, CoinGeckoSource
    from riskcurve.data.sources.defillama import DefiLlamaSource
    from riskcurve.data.sources.feargreed import FearGreedSource
    from riskcurve.data.sources.fiscal import FiscalDataSource
    from riskcurve.data.sources.fred import FredSource
    from riskcurve.data.sources.nyfed import NyFedSource
    from riskcurve.data.sources.yahoo import YahooSource

    return [
        FredSource(),
        CcxtSource(),
        YahooSource(),
        CoinGeckoSource(),
        FiscalDataSource(),
        NyFedSource(),
        DefiLlamaSource(),
        FearGreedSource(),
        CcxtSampler(),
    ]


def csv_sources(data_dir: Path) -> list[Source]:
    from riskcurve.data.sources.csvdir import CsvDirSource

    return [CsvDirSource(data_dir)]


@dataclass
class UpdatePlan:
    """What the store says before fetching: where each series resumes, and the last input digests.

    Read in one short visit, so the (possibly minutes-long) downloads run with the store closed and
    the dashboard keeps reading meanwhile.
    """

    starts: dict[str, date | None]
    digests: dict[str, str]  # state key -> digest of the last successfully applied input


@dataclass
class Fetched:
    batches: list[tuple[SeriesSpec, str, pd.DataFrame]] = field(default_factory=list)
    failures: list[SeriesUpdate] = field(default_factory=list)
    skipped: list[SeriesUpdate] = field(default_factory=list)
    digests: dict[str, tuple[str, str]] = field(default_factory=dict)  # series -> (state key, digest)
    complete: dict[str, date | None] = field(default_factory=dict)  # read whole from this date on
    origins: dict[str, str] = field(default_factory=dict)  # series -> file or provider, for messages


def plan_update(
    store: Store, specs: Sequence[SeriesSpec], *, since: date | None = None, incremental: bool = False
) -> UpdatePlan:
    last = dict(
        store.con.execute(
            "SELECT series_id, max(date) FROM observations WHERE list_contains(?, series_id) GROUP BY 1",
            [[s.id for s in specs]],
        ).fetchall()
    )
    starts: dict[str, date | None] = {}
    for spec in specs:
        resume = last.get(spec.id)
        starts[spec.id] = (
            since
            if since is not None
            else (resume - REVISION_OVERLAP if incremental and isinstance(resume, date) else None)
        )
    digests = dict(store.con.execute("SELECT key, value FROM app_state WHERE key LIKE 'fingerprint:%'").fetchall())
    return UpdatePlan(starts=starts, digests=digests)


def fetch_all(
    plan: UpdatePlan,
    specs: Sequence[SeriesSpec],
    sources: Sequence[Source],
    *,
    incremental: bool = False,
    on_series: ProgressCallback | None = None,
) -> Fetched:
    """Fetch every series from the first source that delivers it; never touches the store."""
    out = Fetched()
    for spec in specs:
        candidates = [s for s in sources if s.supports(spec)]
        if on_series is not None:
            on_series(spec, candidates[0].name if candidates else "-")
        if not candidates:
            if incremental:  # e.g. CoinMarketCap snapshots: only a CSV directory carries them
                out.skipped.append(SeriesUpdate(spec.id, "-", "skipped", message="no live source; CSV directory only"))
            elif spec.csv is None:  # e.g. FRED WSHOBL: no offline history exists, a live update fills it in
                out.skipped.append(SeriesUpdate(spec.id, "-", "skipped", message="live only; no CSV history"))
            else:
                out.failures.append(
                    SeriesUpdate(spec.id, "-", "failed", message="no configured source can provide this series")
                )
            continue
        start = plan.starts.get(spec.id)
        errors: list[str] = []
        for source in candidates:
            try:
                digest = source.fingerprint(spec, start)
                key = f"fingerprint:{spec.id}:{source.name}"
                if digest is not None and plan.digests.get(key) == digest:
                    out.skipped.append(SeriesUpdate(spec.id, source.name, "unchanged", message="source unchanged"))
                else:
                    out.batches.append((spec, source.name, source.fetch(spec, start)))
                    out.origins[spec.id] = source.origin(spec)
                    if source.complete:
                        out.complete[spec.id] = start
                    if digest is not None:
                        out.digests[spec.id] = (key, digest)
                break
            except RiskcurveError as exc:
                errors.append(f"{source.name}: {exc}")
            except Exception as exc:  # a provider library's own bug must not sink the other series
                errors.append(f"{source.name}: unexpected {type(exc).__name__}: {exc}")
        else:
            out.failures.append(SeriesUpdate(spec.id, candidates[0].name, "failed", message="; ".join(errors)))
    return out


def apply_fetched(store: Store, fetched: Fetched, specs: Sequence[SeriesSpec]) -> UpdateReport:
    """Apply what was fetched (atomic per series) and remember the digests of what landed."""
    report = store.apply(fetched.batches, failures=fetched.failures, complete=fetched.complete, origins=fetched.origins)
    for result in report.results:
        if result.status != "failed" and result.series_id in fetched.digests:
            store.set_state(*fetched.digests[result.series_id])
    report.results.extend(fetched.skipped)
    order = {spec.id: i for i, spec in enumerate(specs)}
    report.results.sort(key=lambda r: order.get(r.series_id, len(order)))
    return report


def run_update(
    store: Store,
    specs: Sequence[SeriesSpec],
    sources: Sequence[Source],
    *,
    since: date | None = None,
    incremental: bool = False,
    on_series: ProgressCallback | None = None,
) -> UpdateReport:
    """Fetch ``specs`` and apply them with one open store; fetch failures are reported per series,
    never raised. (The CLI uses the three steps separately, closing the store while it downloads.)

    ``incremental`` asks sources only for recent dates (live providers); a CSV directory is cheap to
    read whole and the store's diff keeps the update idempotent either way. Inputs whose fingerprint
    matches the last successful update are skipped unread.
    """
    plan = plan_update(store, specs, since=since, incremental=incremental)
    fetched = fetch_all(plan, specs, sources, incremental=incremental, on_series=on_series)
    return apply_fetched(store, fetched, specs)
