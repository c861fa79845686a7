"""`riskcurve update`: fetch each series from its source and apply it to the store.

Offline (a CSV directory) every series comes from its file. Live, each series tries the sources that
support it in order (FRED, exchange via ccxt, Yahoo, CoinGecko), falling back on a provider error,
and asks only for dates after the last stored one (less an overlap window, so revisions are seen).
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source
from riskcurve.data.store import SeriesUpdate, Store, UpdateReport
from riskcurve.errors import RiskcurveError

# Rows fetched before they are applied and released: a few hundred MB at the peak, whatever the
# universe (the diff runs once per chunk, so fewer, larger chunks are faster).
CHUNK_ROWS = 1_000_000
# Re-read this much history on live updates: FRED and exchanges revise recent values.
REVISION_OVERLAP = timedelta(days=45)

ProgressCallback = Callable[[SeriesSpec, str], None]
#: host -> why it cannot be reached, in plain words, or None when it answers
Probe = Callable[[str], "str | None"]

# A whole live run gives up on what it has not reached after this long (106 series take ~3 minutes
# when every provider answers; without a network the probes fail in seconds, well before).
DEFAULT_DEADLINE = 900.0
PROBE_TIMEOUT = 3.0


def probe_host(host: str, port: int = 443, timeout: float = PROBE_TIMEOUT) -> str | None:
    """One DNS lookup and one TCP connect: the cheapest proof that a provider can be reached at all."""
    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4]
    except (socket.gaierror, UnicodeError):
        return f"DNS lookup failed for {host}"
    try:
        with socket.create_connection((str(address[0]), int(address[1])), timeout=timeout):
            return None
    except TimeoutError:
        return f"no connection to {host}:{port} within {timeout:g} s"
    except OSError as exc:
        return f"cannot connect to {host}:{port} ({exc.strerror or exc})"


class Reachability:
    """Each provider probed once per run, on its first use; a provider that fails is skipped after."""

    def __init__(self, probe: Probe | None) -> None:
        self._probe = probe
        self._known: dict[str, str | None] = {}

    def why_not(self, source: Source) -> str | None:
        if self._probe is None:
            return None
        if source.name not in self._known:
            self._known[source.name] = next(
                (reason for host in source.hosts() if (reason := self._probe(host)) is not None), None
            )
        return self._known[source.name]


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

    @property
    def rows(self) -> int:
        return sum(len(frame) for _, _, frame in self.batches)


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


def fetch_chunks(
    plan: UpdatePlan,
    specs: Sequence[SeriesSpec],
    sources: Sequence[Source],
    *,
    incremental: bool = False,
    on_series: ProgressCallback | None = None,
    probe: Probe | None = probe_host,
    deadline: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[Fetched]:
    """Fetch every series from the first reachable source that delivers it; never touches the store.

    Yields what was fetched in chunks of about ``chunk_rows`` rows (whole series, at least one), so
    the caller applies and releases each before the next is read: memory stays bounded however large
    the universe. A provider is probed once (``probe``; None skips probing) and, unreachable, skipped
    for the rest of the run; after ``deadline`` seconds the remaining series are reported
    "not reached" unfetched.
    """
    out = Fetched()
    reach = Reachability(probe)
    ends = None if deadline is None else monotonic() + deadline
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
        if ends is not None and monotonic() > ends:
            message = f"not reached: the run's deadline of {deadline:g} s passed"
            out.failures.append(SeriesUpdate(spec.id, candidates[0].name, "failed", message=message))
            continue
        _fetch_one(out, plan, spec, candidates, reach)
        if out.rows >= chunk_rows:
            yield out
            out = Fetched()
    if out.batches or out.failures or out.skipped:
        yield out


def _fetch_one(out: Fetched, plan: UpdatePlan, spec: SeriesSpec, candidates: list[Source], reach: Reachability) -> None:
    """``spec`` from the first candidate that is reachable and delivers; the failures joined otherwise."""
    start = plan.starts.get(spec.id)
    errors: list[str] = []
    unreached = 0
    for source in candidates:
        unreachable = reach.why_not(source)
        if unreachable is not None:
            errors.append(f"{source.name} unreachable ({unreachable})")
            unreached += 1
            continue
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
            return
        except RiskcurveError as exc:
            errors.append(f"{source.name}: {exc}")
        except Exception as exc:  # a provider library's own bug must not sink the other series
            errors.append(f"{source.name}: unexpected {type(exc).__name__}: {exc}")
    message = ("not reached: " if unreached == len(errors) else "") + "; ".join(errors)
    out.failures.append(SeriesUpdate(spec.id, candidates[0].name, "failed", message=message))


def apply_fetched(store: Store, fetched: Fetched, run_id: str) -> list[SeriesUpdate]:
    """Apply one chunk (atomic per series, with the digests of what landed) and say what it did."""
    report = store.apply(
        fetched.batches,
        run_id=run_id,
        failures=fetched.failures,
        complete=fetched.complete,
        origins=fetched.origins,
        digests=fetched.digests,
    )
    return [*report.results, *fetched.skipped]


def apply_chunks(
    chunks: Iterable[Fetched], writer: Callable[[], AbstractContextManager[Store]], specs: Sequence[SeriesSpec]
) -> UpdateReport:
    """Apply each chunk as it arrives, the store opened by ``writer`` for that chunk only (readers get
    it between chunks), into one report in catalog order."""
    report = UpdateReport(run_id=uuid.uuid4().hex[:12])
    for chunk in chunks:
        with writer() as store:
            report.results.extend(apply_fetched(store, chunk, report.run_id))
        del chunk  # released before the next one is read, not after
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
    probe: Probe | None = None,
) -> UpdateReport:
    """Fetch ``specs`` and apply them chunk by chunk with one open store; fetch failures are reported
    per series, never raised. (The service opens the store only to plan and to write each chunk.)

    ``incremental`` asks sources only for recent dates (live providers); a CSV directory is cheap to
    read whole and the store's diff keeps the update idempotent either way. Inputs whose fingerprint
    matches the last successful update are skipped unread.
    """
    plan = plan_update(store, specs, since=since, incremental=incremental)
    chunks = fetch_chunks(plan, specs, sources, incremental=incremental, on_series=on_series, probe=probe)
    return apply_chunks(chunks, lambda: nullcontext(store), specs)
