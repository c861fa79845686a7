"""What the API serves, computed from read-only store connections and cached per store version.

Why a cache: the indicator board behind a status takes one to two seconds on the full history, and the
dashboard asks for it on every page load. A status depends on the moment T only through (a) the data
visible at T, which is fixed by the newest ``available_at`` at or before T, and (b) the last NYSE
session closed by T; everything else (the moment itself, the ages of the series) is patched in by
``Snapshot.at``. So one board serves every request between two publications, and a new store version
(file modification time and size of the DuckDB file and its WAL) empties the cache by changing the key.

Why connections per computation: DuckDB gives one process the file for writing *or* many processes
for reading, never both (checked with DuckDB 2.0: a read-only open fails with "Could not set lock"
while `riskcurve update` holds the file, and an update fails while a reader is open). The server
therefore never keeps a connection between requests. Requests answered from the cache need no
connection at all; one that needs the store while a writer holds it gets ``StoreBusy`` (HTTP 503 with
Retry-After) and nothing is copied.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from riskcurve.catalog import Catalog
from riskcurve.config import Settings
from riskcurve.data.panel import AlignedPanel, decision_times, nyse_sessions, parse_as_of
from riskcurve.data.store import Store
from riskcurve.errors import RiskcurveError, StoreError
from riskcurve.measures.board import BoardConfig
from riskcurve.report.charts import CHARTS, freshness_table
from riskcurve.report.html import render_card
from riskcurve.report.snapshot import Snapshot, breakout_record, take_snapshot

LEADER = "RUT"
T = TypeVar("T")


class StoreUnavailable(RiskcurveError):
    """The store cannot be read right now (missing, wrong schema, or locked by a writer)."""

    retry_after: int | None = None


class StoreBusy(StoreUnavailable):
    """A writer (`riskcurve update` or `watch`) holds DuckDB's file lock; retry in a few seconds."""

    retry_after = 5


class BadAsOf(ValueError):
    """An ``as_of`` text that is neither 'latest', a date nor a timestamp."""


class NoSuchField(LookupError):
    """The series exists but has no observations of the requested field."""


@dataclass(frozen=True)
class StoreFacts:
    """Small facts about one store version, loaded once per version (one connection)."""

    available_ns: np.ndarray  # sorted distinct available_at, int64 ns UTC
    latest: pd.Timestamp | None  # when the newest leader close was published ('latest')
    coverage: dict[str, dict[str, Any]]
    fields: dict[str, tuple[str, ...]]
    study: str | None  # app_state "study:last", written by `riskcurve study`


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def _iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


class StoreView:
    """Read-only, cached access to one store for the web app (see the module doc)."""

    def __init__(self, db_path: Path, catalog: Catalog, settings: Settings, *, snapshots: int = 8) -> None:
        self.db_path = Path(db_path)
        self.catalog = catalog
        self.settings = settings
        self._board_start = pd.Timestamp(BoardConfig.from_mapping(settings.section("board")).start)
        self._decisions = decision_times("nyse", nyse_sessions()).as_unit("ns").asi8
        self._lock = threading.Lock()  # guards the dictionaries below (held briefly)
        self._compute_lock = threading.Lock()  # one board computation at a time (CPU-bound)
        self._facts_lock = threading.Lock()
        self._facts: tuple[tuple[int, ...], StoreFacts] | None = None
        self._snapshots: _Lru = _Lru(snapshots)
        self._figures: _Lru = _Lru(snapshots)
        self._responses: _Lru = _Lru(256)

    # -- store access ------------------------------------------------------------------------------
    def signature(self) -> tuple[int, ...]:
        """Identity of the store's current version: (mtime ns, size) of the file and of its WAL."""
        out: list[int] = []
        for path in (self.db_path, self.db_path.with_name(self.db_path.name + ".wal")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                out += [0, 0]
            else:
                out += [stat.st_mtime_ns, stat.st_size]
        return tuple(out)

    @contextmanager
    def connect(self) -> Iterator[Store]:
        """A read-only connection for one computation; StoreBusy while a writer holds the file."""
        try:
            store = Store(self.db_path, read_only=True, lock_wait=1.0)
        except StoreError as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise StoreBusy(
                    "the store is being written (riskcurve update or watch holds its lock); retry in a few seconds"
                ) from exc
            raise StoreUnavailable(text) from exc
        try:
            yield store
        finally:
            store.close()

    def facts(self) -> tuple[tuple[int, ...], StoreFacts]:
        """Facts of the current store version, loaded on the first request that sees it."""
        signature = self.signature()
        current = self._facts
        if current is not None and current[0] == signature:
            return current
        with self._facts_lock:
            current = self._facts
            if current is not None and current[0] == signature:
                return current
            loaded = (signature, self._load_facts())
            self._facts = loaded
            return loaded

    def _load_facts(self) -> StoreFacts:
        with self.connect() as store:
            stamps = store.con.execute(
                "SELECT DISTINCT epoch_ns(available_at) AS ns FROM observations ORDER BY ns"
            ).fetchnumpy()["ns"]
            latest = store.scalar(
                "SELECT max(available_at) FROM observations WHERE series_id = ? AND field = 'close'", [LEADER]
            )
            coverage = {str(r["series_id"]): dict(r) for r in store.coverage().to_dict("records")}
            pairs = store.con.execute(
                "SELECT DISTINCT series_id, field FROM observations ORDER BY series_id, field"
            ).fetchall()
            study = store.get_state("study:last")
        fields: dict[str, list[str]] = {}
        for sid, field in pairs:
            fields.setdefault(str(sid), []).append(str(field))
        return StoreFacts(
            available_ns=np.asarray(stamps, dtype="int64"),
            latest=None if latest is None else pd.Timestamp(str(latest)).tz_convert("UTC"),
            coverage=coverage,
            fields={sid: tuple(values) for sid, values in fields.items()},
            study=study,
        )

    # -- moments -----------------------------------------------------------------------------------
    def resolve(self, text: str | None) -> pd.Timestamp:
        """'latest' (when the newest Russell 2000 close was published), a date (end of that UTC day),
        a timestamp, or None (now): the same rules as ``riskcurve status --as-of``."""
        if text is not None and text.strip().lower() == "latest":
            latest = self.facts()[1].latest
            if latest is None:
                raise StoreUnavailable(f"the store holds no {LEADER} closes yet: run `riskcurve update`")
            return latest
        try:
            return parse_as_of(text)
        except (ValueError, TypeError, OverflowError) as exc:
            raise BadAsOf(f"as_of {text!r} is not a date (YYYY-MM-DD), an ISO timestamp or 'latest': {exc}") from None

    def _data_key(self, facts: StoreFacts, moment: pd.Timestamp) -> tuple[Any, ...]:
        """What a snapshot at ``moment`` depends on besides the moment itself (see the module doc)."""
        ns = moment.as_unit("ns").value
        seen = int(np.searchsorted(facts.available_ns, ns, side="right")) - 1
        stamp = int(facts.available_ns[seen]) if seen >= 0 else None
        done = int(np.searchsorted(self._decisions, ns, side="right")) - 1
        session = int(self._decisions[done]) if done >= 0 else None
        # Before the board's first session the status is dated by the moment itself: no sharing.
        early = session is None or pd.Timestamp(session, tz="UTC") < self._board_start.tz_localize("UTC")
        return (stamp, session, moment if early else None)

    def _cached(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._responses:
                self._responses.move_to_end(key)
                return self._responses[key]
        value = make()
        with self._lock:
            self._responses.put(key, value)
        return value

    # -- snapshots ---------------------------------------------------------------------------------
    def key(self, moment: pd.Timestamp) -> tuple[Any, ...]:
        """The cache key of the snapshot at ``moment``: store version plus what the board depends on."""
        signature, facts = self.facts()
        return (signature, *self._data_key(facts, moment))

    def snapshot(self, key: tuple[Any, ...], moment: pd.Timestamp) -> Snapshot:
        """The snapshot of ``key`` seen at ``moment``; the board is computed at most once per key."""
        with self._lock:
            snap = self._snapshots.get(key)
        if snap is None:
            with self._compute_lock:
                with self._lock:
                    snap = self._snapshots.get(key)
                if snap is None:
                    with self.connect() as store:
                        snap = take_snapshot(store, self.catalog, self.settings, moment)
                    with self._lock:
                        self._snapshots.put(key, snap)
        return snap.at(moment)

    def status_json(self, moment: pd.Timestamp) -> bytes:
        key = self.key(moment)
        return self._cached(("status", key, moment), lambda: json.dumps(self.snapshot(key, moment).status).encode())

    def card_html(self, moment: pd.Timestamp) -> bytes:
        key = self.key(moment)
        return self._cached(("card", key, moment), lambda: render_card(self.snapshot(key, moment).status).encode())

    def charts_json(self, moment: pd.Timestamp) -> bytes:
        """Every chart as plotly JSON: ``{"as_of": ..., "figures": {name: figure}}``."""
        key = self.key(moment)

        def build() -> bytes:
            snap = self.snapshot(key, moment)
            with self._lock:
                fixed = self._figures.get(key)
            if fixed is None:  # everything but the freshness table is the same for the whole key
                fixed = {c.name: c.build(snap).to_json() for c in CHARTS if c.name != "freshness"}
                with self._lock:
                    self._figures.put(key, fixed)
            parts = {**fixed, "freshness": freshness_table(snap.freshness).to_json()}
            body = ",".join(f"{json.dumps(c.name)}:{parts[c.name]}" for c in CHARTS)
            return f'{{"as_of":{json.dumps(snap.as_of.isoformat())},"figures":{{{body}}}}}'.encode()

        return self._cached(("charts", key, moment), build)

    def breakouts_json(self, moment: pd.Timestamp, since: date | None, kind: str | None) -> bytes:
        key = self.key(moment)

        def build() -> bytes:
            snap = self.snapshot(key, moment)
            events = [
                breakout_record(e)
                for e in snap.board.breakouts
                if (since is None or e.date.date() >= since) and (kind is None or e.kind == kind)
            ]
            doc = {"as_of": snap.as_of.isoformat(), "series": LEADER, "count": len(events), "breakouts": events}
            return json.dumps(doc).encode()

        return self._cached(("breakouts", key, moment, since, kind), build)

    # -- series ------------------------------------------------------------------------------------
    def series_list(self) -> bytes:
        signature, facts = self.facts()

        def build() -> bytes:
            rows = []
            for spec in self.catalog.values():
                cov = facts.coverage.get(spec.id, {})
                rows.append(
                    {
                        "id": spec.id,
                        "name": spec.name,
                        "asset_class": spec.asset_class,
                        "kind": spec.kind,
                        "units": spec.standard_units()[0],
                        "frequency": spec.frequency,
                        "calendar": spec.calendar,
                        "value_field": spec.value_field,
                        "fields": list(facts.fields.get(spec.id, ())),
                        "rows": int(cov.get("rows", 0)),
                        "first_date": _iso(cov.get("first_date")),
                        "last_date": _iso(cov.get("last_date")),
                        "last_update": _iso(cov.get("last_update")),
                        "stablecoin": spec.stablecoin,
                        "wrapped": spec.wrapped,
                    }
                )
            return json.dumps(rows).encode()

        return self._cached(("series", signature), build)

    def series_json(
        self, series_id: str, field: str | None, member: str, start: date | None, end: date | None
    ) -> bytes:
        """One series in standard units as known now (raises CatalogError for an unknown id)."""
        spec = self.catalog[series_id]
        signature, facts = self.facts()
        field = field or spec.value_field
        stored = facts.fields.get(spec.id, ())
        if stored and field not in stored:
            raise NoSuchField(f"series {spec.id} has no field {field!r}; it has {', '.join(stored)}")
        now = pd.Timestamp.now(tz="UTC")
        stamp = self._data_key(facts, now)[0]

        def build() -> bytes:
            with self.connect() as store:
                values = AlignedPanel(store, self.catalog, now).series(spec.id, field, member)
            if start is not None:
                values = values[values.index >= pd.Timestamp(start)]
            if end is not None:
                values = values[values.index <= pd.Timestamp(end)]
            doc = {
                "id": spec.id,
                "name": spec.name,
                "units": spec.standard_units()[0],
                "field": field,
                "member": member,
                "data_as_of": None if stamp is None else pd.Timestamp(stamp, tz="UTC").isoformat(),
                "start": None if start is None else start.isoformat(),
                "end": None if end is None else end.isoformat(),
                "count": len(values),
                "dates": [str(d) for d in pd.DatetimeIndex(values.index).strftime("%Y-%m-%d")],
                "values": values.to_numpy(dtype="float64").tolist(),
            }
            return json.dumps(doc).encode()

        return self._cached(("series", signature, stamp, spec.id, field, member, start, end), build)

    def study_text(self) -> str | None:
        return self.facts()[1].study

    def health(self) -> dict[str, Any]:
        facts = self.facts()[1]
        updates = [pd.Timestamp(c["last_update"]) for c in facts.coverage.values() if c.get("last_update") is not None]
        return {
            "status": "ok",
            "store": self.db_path.name,
            "series": len(facts.coverage),
            "last_update": _iso(max(updates)) if updates else None,
            "latest": _iso(facts.latest),
            "cached_snapshots": len(self._snapshots),
        }
