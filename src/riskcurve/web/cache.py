"""What the API serves, computed by the service and cached per store version.

Why a cache: the indicator board behind a status takes one to two seconds on the full history, and the
dashboard asks for it on every page load. A status depends on the moment T only through (a) the data
visible at T, fixed by the newest ``available_at`` at or before T, and (b) the last NYSE session closed
by T (whether the leader closed on it decides whether the stage is known); everything else (the moment
itself, the ages of the series) is patched in by ``Snapshot.at``. So one board serves every
request between two publications, and a new store version (file modification time and size of the
DuckDB file and its WAL) empties the cache by changing the key.

The service opens a read-only connection per computation, never kept between requests: DuckDB gives
one process the file for writing *or* many for reading. Requests answered from the cache need no
connection at all; one that needs the store while a writer holds it gets ``StoreBusy`` (HTTP 503 with
Retry-After).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd

from riskcurve._json import iso_moment, records
from riskcurve.report.charts import CHARTS, freshness_table
from riskcurve.report.html import render_card
from riskcurve.service import Riskcurve, Snapshot, StoreFacts

RESPONSE_BYTES = 64 * 2**20  # cached API responses (bytes), whatever the number of distinct as_of
FIGURE_BYTES = 32 * 2**20  # cached chart JSON per data version


class NoSuchField(LookupError):
    """The series exists but has no observations of the requested field."""


class _Lru:
    """Least recently used entries, bounded by count and by total weight (bytes, by ``weigh``).

    Counting entries alone is not a bound: a dashboard response is a few kB or a few MB, so 256 of
    them were hundreds of MB. An entry heavier than the whole budget is not kept at all.
    """

    def __init__(self, size: int, max_bytes: int | None = None, weigh: Callable[[Any], int] = lambda _: 0) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.weigh = weigh
        self.nbytes = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Any) -> Any:
        """The value of ``key`` (now the most recently used), or None."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Any, value: Any) -> None:
        weight = self.weigh(value)
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old[1]
        if self.max_bytes is not None and weight > self.max_bytes:
            return
        self._items[key] = (value, weight)
        self.nbytes += weight
        while len(self._items) > self.size or (self.max_bytes is not None and self.nbytes > self.max_bytes):
            self.nbytes -= self._items.popitem(last=False)[1][1]


class StoreView:
    """Cached answers of one service for the web app (see the module doc)."""

    def __init__(
        self,
        rc: Riskcurve,
        *,
        snapshots: int = 4,
        response_bytes: int = RESPONSE_BYTES,
        figure_bytes: int = FIGURE_BYTES,
    ) -> None:
        self.rc = rc
        self.db_path = rc.db_path
        self._lock = threading.Lock()  # guards the dictionaries below (held briefly)
        self._compute_lock = threading.Lock()  # one board computation at a time (CPU-bound)
        self._facts_lock = threading.Lock()
        self._facts: tuple[tuple[int, ...], StoreFacts] | None = None
        self._snapshots = _Lru(snapshots)  # a board of the full history is some MB: keep few
        self._figures = _Lru(64, figure_bytes, lambda parts: sum(len(text) for text in parts.values()))
        self._responses = _Lru(1024, response_bytes, len)

    # -- store versions ----------------------------------------------------------------------------
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

    def version(self) -> str:
        """A short fingerprint of the store's current version (file stats only: no store read), which
        the page polls to redraw itself after an update."""
        return hashlib.sha256(repr(self.signature()).encode()).hexdigest()[:16]

    def facts(self) -> tuple[tuple[int, ...], StoreFacts]:
        """Facts of the current store version, read by the service on the first request that sees it."""
        signature = self.signature()
        current = self._facts
        if current is not None and current[0] == signature:
            return current
        with self._facts_lock:
            current = self._facts
            if current is not None and current[0] == signature:
                return current
            loaded = (signature, self.rc.facts())
            self._facts = loaded
            return loaded

    # -- moments -----------------------------------------------------------------------------------
    def resolve(self, text: str | None) -> pd.Timestamp:
        """The service's as-of rules, with 'latest' answered from the cached facts."""
        if text is not None and text.strip().lower() == "latest":
            latest = self.facts()[1].latest
            if latest is not None:
                return latest
        return self.rc.resolve(text)

    def _cached(self, key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
        with self._lock:
            hit = self._responses.get(key)
        if hit is not None:
            return bytes(hit)
        value = make()
        with self._lock:
            self._responses.put(key, value)
        return value

    # -- snapshots ---------------------------------------------------------------------------------
    def key(self, moment: pd.Timestamp) -> tuple[Any, ...]:
        """The cache key of the snapshot at ``moment``: store version plus what the board depends on."""
        signature, facts = self.facts()
        return (signature, *self.rc.data_key(facts, moment))

    def snapshot(self, key: tuple[Any, ...], moment: pd.Timestamp) -> Snapshot:
        """The snapshot of ``key`` seen at ``moment``; the board is computed at most once per key."""
        with self._lock:
            snap = self._snapshots.get(key)
        if snap is None:
            with self._compute_lock:
                with self._lock:
                    snap = self._snapshots.get(key)
                if snap is None:
                    snap = self.rc.snapshot(moment)
                    with self._lock:
                        self._snapshots.put(key, snap)
        return snap.at(moment)

    def status_json(self, moment: pd.Timestamp) -> bytes:
        key = self.key(moment)
        return self._cached(
            ("status", key, moment), lambda: json.dumps(self.snapshot(key, moment).status.to_dict()).encode()
        )

    def part_json(self, moment: pd.Timestamp, part: str) -> bytes:
        """One part of the status document (``channels`` or ``claims``), from the same snapshot."""
        key = self.key(moment)
        return self._cached(
            (part, key, moment), lambda: json.dumps(self.snapshot(key, moment).status.to_dict()[part]).encode()
        )

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
                e.to_dict()
                for e in snap.board.breakouts
                if (since is None or e.date.date() >= since) and (kind is None or e.kind == kind)
            ]
            leader = self.rc.board_config.leader
            doc = {"as_of": snap.as_of.isoformat(), "series": leader, "count": len(events), "breakouts": events}
            return json.dumps(doc).encode()

        return self._cached(("breakouts", key, moment, since, kind), build)

    # -- series ------------------------------------------------------------------------------------
    def series_list(self) -> bytes:
        signature, _ = self.facts()
        return self._cached(("series", signature), lambda: json.dumps(records(self.rc.series())).encode())

    def series_json(
        self,
        series_id: str,
        field: str | None,
        member: str,
        start: date | None,
        end: date | None,
        moment: pd.Timestamp | None = None,
    ) -> bytes:
        """One series in standard units as known at ``moment`` (None: now); CatalogError for an unknown id.
        Cached by the newest publication the moment sees, so every moment between two shares one answer."""
        spec = self.rc.catalog[series_id]
        signature, facts = self.facts()
        field = field or spec.value_field
        stored = facts.fields.get(spec.id, ())
        if stored and field not in stored:
            raise NoSuchField(f"series {spec.id} has no field {field!r}; it has {', '.join(stored)}")
        now = moment if moment is not None else pd.Timestamp.now(tz="UTC")
        stamp = self.rc.data_key(facts, now)[0]

        def build() -> bytes:
            values = self.rc.values(spec.id, field, member, start=start, end=end, as_of=now)
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

    def study(self, moment: pd.Timestamp) -> dict[str, Any]:
        """The stored study for a view at ``moment`` (only one as of then or earlier), or why none."""
        _, facts = self.facts()
        choice = self.rc.study_for(moment, facts)
        return {"study": choice.run.to_dict() if choice.run is not None else None, "reason": choice.reason}

    def health(self) -> dict[str, Any]:
        facts = self.facts()[1]
        updates = [pd.Timestamp(c["last_update"]) for c in facts.coverage.values() if c.get("last_update") is not None]
        return {
            "status": "ok",
            "store": self.db_path.name,
            "series": len(facts.coverage),
            "last_update": iso_moment(max(updates)) if updates else None,
            "latest": iso_moment(facts.latest),
            "cached_snapshots": len(self._snapshots),
        }
