"""`riskcurve update`: fetch each series from its source and apply it to the store.

Offline (a CSV directory) every series comes from its file. Live, each series tries the sources that
support it in order (FRED, exchange via ccxt, Yahoo, CoinGecko), falling back on a provider error,
and asks only for dates after the last stored one (less an overlap window, so revisions are seen).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    from riskcurve.data.sources.crypto import CcxtSource, CoinGeckoSource
    from riskcurve.data.sources.fred import FredSource
    from riskcurve.data.sources.yahoo import YahooSource

    return [FredSource(), CcxtSource(), YahooSource(), CoinGeckoSource()]


def csv_sources(data_dir: Path) -> list[Source]:
    from riskcurve.data.sources.csvdir import CsvDirSource

    return [CsvDirSource(data_dir)]


def _live_since(store: Store, spec: SeriesSpec) -> date | None:
    last = store.scalar("SELECT max(date) FROM observations WHERE series_id = ?", [spec.id])
    return last - REVISION_OVERLAP if isinstance(last, date) else None


def run_update(
    store: Store,
    specs: Sequence[SeriesSpec],
    sources: Sequence[Source],
    *,
    since: date | None = None,
    incremental: bool = False,
    on_series: ProgressCallback | None = None,
) -> UpdateReport:
    """Fetch ``specs`` and apply them; failures are reported per series, never raised.

    ``incremental`` asks sources only for recent dates (live providers); a CSV directory is cheap to
    read whole and the store's diff keeps the update idempotent either way. Inputs whose fingerprint
    matches the last successful update are skipped unread.
    """
    batches: list[tuple[SeriesSpec, str, pd.DataFrame]] = []
    failures: list[SeriesUpdate] = []
    skipped: list[SeriesUpdate] = []
    digests: dict[str, tuple[str, str]] = {}
    for spec in specs:
        candidates = [s for s in sources if s.supports(spec)]
        if on_series is not None:
            on_series(spec, candidates[0].name if candidates else "-")
        if not candidates:
            failures.append(
                SeriesUpdate(spec.id, "-", "failed", message="no configured source can provide this series")
            )
            continue
        start = since if since is not None else (_live_since(store, spec) if incremental else None)
        errors: list[str] = []
        for source in candidates:
            try:
                digest = source.fingerprint(spec, start)
                key = f"fingerprint:{spec.id}:{source.name}"
                if digest is not None and store.get_state(key) == digest:
                    skipped.append(
                        SeriesUpdate(spec.id, source.name, "unchanged", message="source unchanged")
                    )
                else:
                    batches.append((spec, source.name, source.fetch(spec, start)))
                    if digest is not None:
                        digests[spec.id] = (key, digest)
                break
            except RiskcurveError as exc:
                errors.append(f"{source.name}: {exc}")
        else:
            failures.append(SeriesUpdate(spec.id, candidates[0].name, "failed", message="; ".join(errors)))
    report = store.apply(batches, failures=failures)
    for result in report.results:
        if result.status != "failed" and result.series_id in digests:
            store.set_state(*digests[result.series_id])
    report.results.extend(skipped)
    order = {spec.id: i for i, spec in enumerate(specs)}
    report.results.sort(key=lambda r: order.get(r.series_id, len(order)))
    return report
