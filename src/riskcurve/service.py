"""The public Python API and the one place that computes answers: ``riskcurve.open(db) -> Riskcurve``.

The CLI, the report, the dashboard and the alerts are presenters: they ask a ``Riskcurve`` and show
the typed result it returns (``Status``, ``Board``, ``Snapshot``, ``StudyRun``, ``UpdateReport``).
Nothing here prints; nothing there opens the store or builds a panel.

    >>> import riskcurve
    >>> rc = riskcurve.open(data_dir="../shared/data")   # doctest: +SKIP
    >>> rc.update(); rc.status("latest")                  # doctest: +SKIP

Connections: DuckDB gives one process the file for writing *or* many for reading, never both. The
service therefore holds no connection between calls: each read opens the file read-only for that
computation, and ``update`` opens it for writing only to plan and to apply, never while downloading,
so a dashboard keeps answering during a long live update (and ``watch`` goes the same way).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pandas as pd

from riskcurve._json import iso_moment
from riskcurve._retry import StillHeld, wait_while_held
from riskcurve.catalog import Catalog, SeriesSpec, load_catalog
from riskcurve.channels import CHANNEL_KEYS, Channels, compute_channels
from riskcurve.claims import MARKET_FIGURES, Claim, ClaimCheck, Claims, check_claims, load_claims, pending
from riskcurve.config import Settings, load_settings
from riskcurve.data.lock import announced, live_writer
from riskcurve.data.panel import AlignedPanel, decision_times, nyse_sessions, parse_as_of
from riskcurve.data.store import Store, UpdateReport
from riskcurve.errors import (
    AsOfError,
    ConfigError,
    NoDataError,
    RiskcurveError,
    RiskcurveWarning,
    StoreBusy,
    StoreError,
)
from riskcurve.events import CalendarEvent, load_events
from riskcurve.measures.board import Board, BoardConfig, board_on, compute_board
from riskcurve.snapshot import Snapshot, with_states
from riskcurve.stages import StageConfig, Status, status_at
from riskcurve.thesis import STALE_AFTER, STUDY_HORIZONS

if TYPE_CHECKING:
    from riskcurve.study.alt_leaders import AltLeaderStudy
    from riskcurve.study.inputs import StudyInputs
    from riskcurve.study.ledger import Ledger
    from riskcurve.study.stage_model import StageModelReport

__all__ = ["Riskcurve", "Snapshot", "StoreFacts", "StudyRequest", "StudyRun", "UpdateReport", "open"]

STUDY_STATE_KEY = "study:last"
#: Thresholds tried for each alternative leader (all count in the multiple-testing family).
ALT_THRESHOLDS = {"net_liquidity_growth_13w": (0.0, 0.02, 0.04), "usdt_growth_30d": (0.02, 0.05, 0.10)}
SeriesProgress = Callable[[SeriesSpec, str], None]
#: A warning raised while computing a kept result (a data caveat: it becomes a note), and its category.
_Caveat = tuple[Warning | str, type[Warning]]
#: Claims checked at one moment and the warnings (data caveats) their check raised.
_CheckedClaims = tuple[list[ClaimCheck], list[_Caveat]]
StudyProgress = Callable[[str, float], None]
_T = TypeVar("_T")
#: Prepared study inputs and stage-model reports kept per service (a few as-ofs: some MB each).
KEPT_PER_DATA_KEY = 4


@dataclass(frozen=True)
class StudyRequest:
    """What ``riskcurve study`` is asked: leader (None: the catalog's), followers (ALTS = top-10 alt
    basket), horizons, grid."""

    leader: str | None = None
    followers: tuple[str, ...] = ("ETH", "BTC", "ALTS")
    horizons: tuple[int, ...] = STUDY_HORIZONS
    grid: Literal["default", "full"] = "default"
    start: date | None = None
    end: date | None = None
    scheduler: str | None = None  # dask.distributed: 'local' or tcp://host:port
    claim_date: date | None = None  # first signal the forward-test ledger scores (None: 2026-01-08)


@dataclass(frozen=True)
class StudyRun:
    """A study result and the time it belongs to: its as-of, the data it saw, when it ran.

    ``result`` is the full in-memory result of a run in this process; a run read back from the store
    has only its ``document`` (the JSON it was stored as), which is what report and dashboard show.
    """

    as_of: pd.Timestamp
    fingerprint: str
    computed_at: pd.Timestamp
    document: dict[str, Any]
    result: Any = field(default=None, repr=False)  # riskcurve.study.StudyResult (imported lazily)
    ledger: Ledger | None = field(default=None, repr=False)  # the forward-test ledger of this run
    stage_model: StageModelReport | None = field(default=None, repr=False)  # attached on request

    @property
    def label(self) -> str:
        """Which study this is, in words a reader can match against the data shown beside it."""
        return (
            f"study as of {self.as_of:%Y-%m-%d %H:%M} UTC (data {self.fingerprint}, "
            f"computed {self.computed_at:%Y-%m-%d %H:%M} UTC)"
        )

    def verdicts(self) -> dict[str, str]:
        return dict(self.document.get("verdict") or {})

    def summary(self) -> str:
        """One screen: the ledger first, then the lab's summary table and verdicts."""
        body = self.result.summary() if self.result is not None else "\n".join(self.verdicts().values())
        ledger = f"{self.ledger.summary()}\n\n" if self.ledger is not None else ""
        return f"{self.label}\n{ledger}{body}"

    def details(self) -> str:
        """The summary, then everything behind it (and the stage model, when attached)."""
        parts = [self.summary()]
        if self.result is not None:
            parts.append(self.result.details())
        if self.stage_model is not None:
            parts.append(self.stage_model.summary())
        return "\n\n".join(parts)

    def with_stage_model(self, report: StageModelReport) -> StudyRun:
        """This run with the stage model beside it, in its document too (``study --json`` and ``--out``)."""
        return replace(self, document={**self.document, "stage_model": report.to_dict()}, stage_model=report)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """Per follower and horizon: the event-study statistics with adjusted p-values."""
        if self.result is not None:
            return self.result.to_frame()
        return pd.DataFrame(self.document.get("adjusted_p") or [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "fingerprint": self.fingerprint,
            "computed_at": self.computed_at.isoformat(),
            "label": self.label,
            **self.document,
        }

    def _repr_html_(self) -> str:
        return f"<p>{self.label}</p>" + self.to_frame().to_html(index=False)

    def write(self, out: Path) -> None:
        """JSON, the verdict and CSV tables of the run into the folder ``out``."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "study.json").write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        (out / "verdict.txt").write_text(self.summary() + "\n", encoding="utf-8")
        (out / "details.txt").write_text(self.details() + "\n", encoding="utf-8")
        self.to_frame().to_csv(out / "event_study.csv", index=False)
        pd.DataFrame(self.document.get("events") or []).to_csv(out / "events.csv", index=False)
        if self.result is not None:
            for name, study in self.result.event_studies.items():
                study.table.to_csv(out / f"events_{name}.csv", index=False)
            if self.result.sweep is not None:
                self.result.sweep.to_frame().to_csv(out / "sweep.csv", index=False)

    @classmethod
    def from_json(cls, text: str) -> StudyRun | None:
        """A stored run, or None when the text is not one (an older format, or damaged)."""
        try:
            doc = json.loads(text)
            meta = {k: doc.pop(k) for k in ("as_of", "fingerprint", "computed_at")}
            doc.pop("label", None)
            return cls(
                as_of=pd.Timestamp(meta["as_of"]).tz_convert("UTC"),
                fingerprint=str(meta["fingerprint"]),
                computed_at=pd.Timestamp(meta["computed_at"]).tz_convert("UTC"),
                document=doc,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class StudyChoice:
    """The stored study a view at some as-of may show, or why it shows none."""

    run: StudyRun | None
    reason: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """What ``riskcurve status`` answers: the stage status and, beside it, the thesis's own dated
    prediction scored so far (the forward-test ledger), both as of one moment."""

    status: Status
    ledger: Ledger

    def summary(self) -> str:
        return f"{self.status.summary()}\n\n{self.ledger.summary()}"

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        return {**self.status.to_dict(), "ledger": self.ledger.to_dict()}


@dataclass(frozen=True)
class StoreFacts:
    """Small facts about one store version, read in one visit (the dashboard caches them per version)."""

    available_ns: np.ndarray  # sorted distinct available_at, int64 ns UTC
    latest: pd.Timestamp | None  # when the newest leader close was published ('latest')
    coverage: dict[str, dict[str, Any]]
    fields: dict[str, tuple[str, ...]]
    study: StudyRun | None
    fingerprint: str


def parse_sections(settings: Settings) -> tuple[BoardConfig, StageConfig, list[str]]:
    """``[board]`` and ``[stages]`` as typed configurations, checked once: an error names the file,
    the key and what was expected (pydantic checks the types and bounds the dataclasses declare).
    Also returns the notes a valid but dated configuration deserves (a renamed key)."""
    from pydantic import TypeAdapter, ValidationError

    where = str(settings.config_path or "settings")
    parsed: list[Any] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        for name, cls in (("board", BoardConfig), ("stages", StageConfig)):
            try:
                config = cls.from_mapping(settings.section(name))
                parsed.append(TypeAdapter(cls).validate_python(asdict(config)))
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()
                )
                raise ConfigError(f"{where}: [{name}] {problems}") from None
            except (RiskcurveError, TypeError, ValueError) as exc:
                raise ConfigError(f"{where}: {str(exc).removeprefix('config ')}") from None
    notes = [f"{where}: {str(w.message).removeprefix('config ')}" for w in caught]
    return parsed[0], parsed[1], notes


def _fingerprint(store: Store) -> str:
    """A short digest of what the store holds (rows, newest publication, last fetch), for studies."""
    row = store.con.execute("SELECT count(*), max(available_at), max(fetched_at) FROM observations").fetchall()[0]
    return hashlib.sha256(repr(tuple(str(v) for v in row)).encode()).hexdigest()[:12]


def _latest_close(store: Store, leader: str) -> pd.Timestamp | None:
    """When the newest ``leader`` close was published: what 'latest' means (one small query)."""
    sql = "SELECT max(available_at) FROM observations WHERE series_id = ? AND field = 'close'"
    latest = store.scalar(sql, [leader])
    return None if latest is None else pd.Timestamp(str(latest)).tz_convert("UTC")


class Riskcurve:
    """One store, one catalog, one set of settings; every answer riskcurve gives comes from here."""

    def __init__(self, settings: Settings, catalog: Catalog, *, lock_wait: float = 15.0) -> None:
        self.settings = settings
        self.catalog = catalog
        self.lock_wait = lock_wait
        self.board_config, self.stage_config, self.config_notes = parse_sections(settings)
        if self.board_config.leader not in catalog:
            where = settings.config_path or "settings"
            raise ConfigError(f"{where}: [board] leader {self.board_config.leader!r} is not in the catalog")
        self.calendar: list[CalendarEvent] = load_events(settings.event_paths)
        self.claim_list = load_claims([*CHANNEL_KEYS, *MARKET_FIGURES], settings.claim_paths)
        self._decisions = decision_times("nyse", nyse_sessions()).as_unit("ns").asi8
        # Checked claims of one store version, by check moment (see ``_claims``).
        self._checked: tuple[str, dict[pd.Timestamp, _CheckedClaims]] = ("", {})
        self._claims_due_ns = np.sort([_claim_due(c).as_unit("ns").value for c in self.claim_list])
        # Per (data fingerprint, moment, ...): the study, its ledger and the stage model read the same
        # follower closes and the alt basket, so one call prepares them for the others.
        self._inputs: dict[tuple[Any, ...], tuple[StudyInputs, list[_Caveat]]] = {}
        self._stage_models: dict[tuple[str, pd.Timestamp], StageModelReport] = {}

    @property
    def db_path(self) -> Path:
        return self.settings.db_path

    @property
    def leader(self) -> str:
        """The series whose breakouts the thesis starts from (``[board] leader``, the Russell 2000)."""
        return self.board_config.leader

    # -- connections ---------------------------------------------------------------------------
    @property
    def writer_marker(self) -> Path:
        """The file a pending writer creates beside the store (see ``writer``)."""
        return self.db_path.with_name(self.db_path.name + ".writer")

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """A read-only connection for one computation; StoreBusy while a writer is pending or writes.

        A pending writer's marker keeps new readers out (so a steady read load cannot starve
        the writer): a reader waits for it at most ``lock_wait`` seconds (the dashboard's one second,
        then 503), never holding the file meanwhile; DuckDB's own lock is retried the same way.
        """

        def attempt() -> Store:
            pending = live_writer(self.writer_marker)
            if pending is not None:
                raise StillHeld(f", pid {pending}")
            try:
                return Store(self.db_path, read_only=True, lock_wait=0)
            except StoreError as exc:
                if "lock" not in str(exc).lower():
                    raise
                raise StillHeld("") from exc

        try:
            store = wait_while_held(attempt, self.lock_wait)
        except StillHeld as held:
            busy = f"the store is being written (riskcurve update or watch{held}); retry in a few seconds"
            raise StoreBusy(busy) from None
        try:
            yield store
        finally:
            store.close()

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """A read-write connection, held briefly (plan, apply, record a delivery or a study).

        DuckDB gives the file to one writer *or* many readers, and a dashboard under load always has
        a reader open, so the writer first announces itself with the marker file: new readers answer
        503, the open ones (one request each, short) finish, and the lock is free within ``lock_wait``.
        """
        deadline = time.monotonic() + self.lock_wait
        with announced(self.writer_marker, deadline):
            try:
                store = Store(self.db_path, lock_wait=max(deadline - time.monotonic(), 0.0))
            except StoreError as exc:
                if "lock" in str(exc).lower():
                    raise StoreBusy(f"the store {self.db_path} is in use by another process: {exc}") from exc
                raise
            try:
                yield store
            finally:
                store.close()

    # -- moments -------------------------------------------------------------------------------
    def resolve(self, as_of: str | pd.Timestamp | None) -> pd.Timestamp:
        """'latest' (when the newest leader close was published), a date (end of that UTC day), an ISO
        timestamp, or None (now, to the second: finer is false precision, and it lets the dashboard
        answer every request within a second from one cached response), as a UTC moment. A moment in
        the future is refused."""
        if as_of is None:
            return pd.Timestamp.now(tz="UTC").floor("s")
        if isinstance(as_of, str) and as_of.strip().lower() == "latest":
            with self.reader() as store:
                latest = _latest_close(store, self.leader)
            if latest is None:
                raise NoDataError(f"as_of latest: the store holds no {self.leader} closes yet; run `riskcurve update`")
            return latest
        try:
            return parse_as_of(as_of)
        except AsOfError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise AsOfError(
                f"as_of {as_of!r} is not 'latest', a date (YYYY-MM-DD) or an ISO timestamp ({exc})"
            ) from None

    def facts(self) -> StoreFacts:
        """What the store holds, in one read: publication times, 'latest', coverage, fields, last study."""
        with self.reader() as store:
            stamps = store.con.execute(
                "SELECT DISTINCT epoch_ns(available_at) AS ns FROM observations ORDER BY ns"
            ).fetchnumpy()["ns"]
            latest = _latest_close(store, self.leader)
            coverage = {str(r["series_id"]): dict(r) for r in store.coverage().to_dict("records")}
            pairs = store.con.execute(
                "SELECT DISTINCT series_id, field FROM observations ORDER BY series_id, field"
            ).fetchall()
            study_text = store.get_state(STUDY_STATE_KEY)
            fingerprint = _fingerprint(store)
        fields: dict[str, list[str]] = {}
        for sid, name in pairs:
            fields.setdefault(str(sid), []).append(str(name))
        return StoreFacts(
            available_ns=np.asarray(stamps, dtype="int64"),
            latest=latest,
            coverage=coverage,
            fields={sid: tuple(values) for sid, values in fields.items()},
            study=StudyRun.from_json(study_text) if study_text else None,
            fingerprint=fingerprint,
        )

    def data_key(self, facts: StoreFacts, moment: pd.Timestamp) -> tuple[Any, ...]:
        """What a snapshot at ``moment`` depends on besides the moment itself: the newest publication
        it sees, the last NYSE session closed by then, how many claims have fallen due and the UTC day
        (the channels count a feed's silence in days): ``Snapshot.at`` can re-date the rest, not these."""
        ns = moment.as_unit("ns").value
        seen = int(np.searchsorted(facts.available_ns, ns, side="right")) - 1
        stamp = int(facts.available_ns[seen]) if seen >= 0 else None
        done = int(np.searchsorted(self._decisions, ns, side="right")) - 1
        session = int(self._decisions[done]) if done >= 0 else None
        # Before the board's first session the status is dated by the moment itself: no sharing.
        first = pd.Timestamp(self.board_config.start).tz_localize("UTC")
        early = session is None or pd.Timestamp(session, tz="UTC") < first
        due = int(np.searchsorted(self._claims_due_ns, ns, side="right"))  # judged from its due moment on
        day = moment.tz_convert("UTC").date()
        return (stamp, session, due, day, moment if early else None)

    # -- data ----------------------------------------------------------------------------------
    def update(
        self,
        series: Sequence[str] | None = None,
        *,
        since: date | None = None,
        on_series: SeriesProgress | None = None,
        deadline: float | None = None,
    ) -> UpdateReport:
        """Fetch new and revised observations: plan with the store open, then download in chunks with it
        closed, opening it to apply each chunk (memory stays bounded; readers get in between).

        From the CSV directory when one is configured, else from the live providers (incrementally),
        each probed once and the whole run ending after ``deadline`` seconds (default
        ``DEFAULT_DEADLINE``). Failures are reported per series in the result, never raised; the
        others land, and a failed series keeps what the store held.
        """
        from riskcurve.data.update import (
            DEFAULT_DEADLINE,
            apply_chunks,
            csv_sources,
            fetch_chunks,
            live_sources,
            plan_update,
        )

        specs = self.catalog.select(series)
        data_dir = self.settings.data_dir
        sources = csv_sources(data_dir) if data_dir else live_sources()
        incremental = data_dir is None
        with self.writer() as store:
            plan = plan_update(store, specs, since=since, incremental=incremental)
        chunks = fetch_chunks(
            plan,
            specs,
            sources,
            incremental=incremental,
            on_series=on_series,
            deadline=(deadline or DEFAULT_DEADLINE) if incremental else None,
        )
        return apply_chunks(chunks, self.writer, specs)

    def series(self) -> pd.DataFrame:
        """The catalog with what the store holds of each series (one row per series)."""
        facts = self.facts() if self.db_path.exists() else None
        coverage = facts.coverage if facts else {}
        fields = facts.fields if facts else {}
        rows = []
        for spec in self.catalog.values():
            cov = coverage.get(spec.id, {})
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
                    "fields": list(fields.get(spec.id, ())),
                    "observations": int(cov.get("dates", 0)),  # dates, as a reader counts a file
                    "stored_values": int(cov.get("rows", 0)),  # every field, member and vintage
                    "first_date": _day(cov.get("first_date")),
                    "last_date": _day(cov.get("last_date")),
                    "last_update": iso_moment(cov.get("last_update")),
                    "stablecoin": spec.stablecoin,
                    "wrapped": spec.wrapped,
                }
            )
        return pd.DataFrame(rows)

    def values(
        self,
        series_id: str,
        field: str | None = None,
        member: str = "",
        *,
        start: date | None = None,
        end: date | None = None,
        as_of: str | pd.Timestamp | None = None,
    ) -> pd.Series:
        """One series on its own dates, in standard units, as known at ``as_of`` (None: now)."""
        spec = self.catalog[series_id]
        moment = self.resolve(as_of)
        with self.reader() as store:
            values = AlignedPanel(store, self.catalog, moment).series(spec.id, field or spec.value_field, member)
        if start is not None:
            values = values[values.index >= pd.Timestamp(start)]
        if end is not None:
            values = values[values.index <= pd.Timestamp(end)]
        return values

    # -- the monitor ---------------------------------------------------------------------------
    def board(self, as_of: str | pd.Timestamp | None = None) -> Board:
        """Every indicator on NYSE sessions as known at ``as_of``; ``board(...).frame`` is the DataFrame."""
        moment = self.resolve(as_of)
        with self.reader() as store:
            return compute_board(AlignedPanel(store, self.catalog, moment), self.board_config)

    def status(self, as_of: str | pd.Timestamp | None = None) -> Status:
        """The stage, its evidence and its context as known at ``as_of`` (None: now; 'latest')."""
        moment = self.resolve(as_of)
        with self.reader() as store, _notes() as notes:
            panel = AlignedPanel(store, self.catalog, moment)
            status = self._status(panel, compute_board(panel, self.board_config))
        return self._with_notes(status, notes)

    def status_report(self, as_of: str | pd.Timestamp | None = None) -> StatusReport:
        """The status and the forward-test ledger at one moment (the ledger prepares the study's
        follower inputs: about two seconds more than the status alone, then kept per data version)."""
        moment = self.resolve(as_of)
        return StatusReport(status=self.status(moment), ledger=self.ledger(moment))

    def _with_notes(self, status: Status, notes: Sequence[str]) -> Status:
        """The status with the data caveats met while computing it and the configuration's own notes."""
        return replace(status, notes=sorted({*status.notes, *notes, *self.config_notes}))

    def _status(self, panel: AlignedPanel, board: Board) -> Status:
        """The stage rules' status, with the liquidity channels and the claims table beside it."""
        status = status_at(panel, stage_config=self.stage_config, calendar=self.calendar, board=board)
        return replace(status, channels=compute_channels(panel), claims=self._claims(panel.store, panel.as_of))

    def channels(self, as_of: str | pd.Timestamp | None = None) -> Channels:
        """Every liquidity channel the thesis names (bill purchases, reserves, daily TGA, the mortgage
        spread, stablecoins, ETF flows, the net-liquidity decomposition, Fear & Greed) at ``as_of``."""
        moment = self.resolve(as_of)
        with self.reader() as store:
            return compute_channels(AlignedPanel(store, self.catalog, moment))

    def claims(self, as_of: str | pd.Timestamp | None = None) -> Claims:
        """The claims-vs-data table: each claim checked as known at the end of its own check date,
        or *pending* when that date is after ``as_of``."""
        moment = self.resolve(as_of)
        with self.reader() as store:
            return self._claims(store, moment)

    def _claims(self, store: Store, moment: pd.Timestamp) -> Claims:
        results: dict[str, ClaimCheck] = {}
        due: dict[pd.Timestamp, list[Claim]] = {}
        for claim in self.claim_list:
            day_end = _claim_due(claim)
            if day_end > moment:
                results[claim.id] = pending(claim)
            else:
                due.setdefault(day_end, []).append(claim)
        checked = self._checked_claims(store) if due else {}
        for day_end, claims in due.items():
            checks = _once(checked, day_end, partial(self._check_claims, store, claims, day_end))
            results.update((c.claim.id, c) for c in checks)
        return Claims(as_of=moment, checks=tuple(results[claim.id] for claim in self.claim_list))

    def _check_claims(self, store: Store, claims: list[Claim], day_end: pd.Timestamp) -> list[ClaimCheck]:
        """Claims checked on the data published by the end of their check date."""
        return check_claims(claims, AlignedPanel(store, self.catalog, day_end))

    def _checked_claims(self, store: Store) -> dict[pd.Timestamp, _CheckedClaims]:
        """The claims already checked on this store version, by check moment. A check sees only what
        was published by its own past date, so every later as-of of the same data gets the same
        answer; recomputing it costs a panel and the channels per check date (a third of a status)."""
        fingerprint = _fingerprint(store)
        if self._checked[0] != fingerprint:
            self._checked = (fingerprint, {})
        return self._checked[1]

    def timeline(self, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None) -> pd.DataFrame:
        """Runs of the confirmed stage (start, end, stage, name, sessions) as known at ``end``."""
        runs = self.status(end).timeline
        if start is not None and len(runs):
            runs = runs[runs["end"] >= pd.Timestamp(parse_as_of(start).date())].reset_index(drop=True)
        return runs

    def snapshot(self, as_of: str | pd.Timestamp | None = None) -> Snapshot:
        """Board, status, timeline, chart inputs and freshness of every series at ``as_of``, computed once."""
        started = time.perf_counter()
        moment = self.resolve(as_of)
        with self.reader() as store, _notes() as notes:
            panel = AlignedPanel(store, self.catalog, moment)
            board = compute_board(panel, self.board_config)
            status = self._status(panel, board)
            components = _components(panel, board)
            freshness = panel.staleness(list(self.catalog))
        freshness.insert(0, "name", [self.catalog[sid].name for sid in freshness.index])
        freshness.insert(1, "frequency", [self.catalog[sid].frequency for sid in freshness.index])
        freshness = with_states(freshness.assign(ended=_ended(freshness, self.catalog)))
        status = self._with_notes(status, notes)
        return Snapshot(
            as_of=panel.as_of,
            status=status,
            board=board,
            timeline=status.timeline,
            components=components,
            freshness=freshness,
            round_levels=tuple(self.board_config.breakout.round_levels),
            seconds=time.perf_counter() - started,
        )

    # -- the alert ledger ----------------------------------------------------------------------
    def undelivered(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (channel, alert key) pairs have not been delivered yet (the ledger survives restarts)."""
        if not self.db_path.exists():
            return set(pairs)
        with self.reader() as store:
            return {(channel, key) for channel, key in pairs if store.get_state(_ledger_key(channel, key)) is None}

    def record_deliveries(self, delivered: Sequence[tuple[str, str, str]]) -> None:
        """Remember (channel, alert key, subject) deliveries, all or none, so none is ever sent twice."""
        now = pd.Timestamp.now(tz="UTC").isoformat()
        with self.writer() as store, store.transaction():
            for channel, key, subject in delivered:
                store.set_state(_ledger_key(channel, key), json.dumps({"sent_at": now, "subject": subject}))

    # -- the lab -------------------------------------------------------------------------------
    def study(
        self,
        request: StudyRequest | None = None,
        as_of: str | pd.Timestamp | None = None,
        *,
        progress: StudyProgress | None = None,
        keep: bool = True,
    ) -> StudyRun:
        """Run the thesis lab as of ``as_of`` and (with ``keep``) store it for report and dashboard."""
        req = request or StudyRequest()
        if req.grid not in ("default", "full"):
            raise RiskcurveError(f"grid must be 'default' or 'full', got {req.grid!r}")
        if not req.horizons or min(req.horizons) < 1:
            raise RiskcurveError(f"horizons must be positive whole numbers of days, got {list(req.horizons)}")
        moment = self.resolve(as_of)
        # The scheduler is reached first: a wrong address fails in seconds, before any data is read
        # (and before the statistics stack is imported).
        with _sweep_mapper(req.scheduler) as mapper, self.reader() as store, _notes() as notes:
            from riskcurve.study.lab import StudyConfig, run_study
            from riskcurve.study.leadlag import lead_lag

            config = StudyConfig(horizons=tuple(req.horizons), grid=req.grid)
            fingerprint = _fingerprint(store)
            panel = AlignedPanel(store, self.catalog, moment)
            leader = req.leader or self.leader
            inputs = self._study_inputs(fingerprint, panel, leader, req.followers, req.start, req.end)
            result = run_study(
                inputs,
                config,
                progress=progress,
                # A UTC-day crypto close ~4 h after the US close is paired with that session (6 h
                # grace), so same-day co-movement is not mistaken for a one-week lead.
                lead_lag=lambda i: lead_lag(i, i.equities, follower_grace=pd.Timedelta(hours=6)),
                sweep_mapper=mapper,
                follower_mapper=mapper.map_followers if mapper is not None else None,
            )
        ledger = _ledger(inputs, moment, req.claim_date)
        document = {"ledger": ledger.to_dict(), **result.to_dict()}
        document["warnings"] = sorted(notes)
        run = StudyRun(
            as_of=moment,
            fingerprint=fingerprint,
            computed_at=pd.Timestamp.now(tz="UTC").floor("s"),
            document=document,
            result=result,
            ledger=ledger,
        )
        if keep:
            with self.writer() as store:
                store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))
        return run

    def alt_leaders(
        self,
        as_of: str | pd.Timestamp | None = None,
        followers: Sequence[str] = ("ETH", "BTC"),
        *,
        board: Board | None = None,
    ) -> AltLeaderStudy:
        """The lab's question for the new channels: do net-liquidity or stablecoin growth crossings lead
        the followers better than the Russell 2000 breakout (the board's breakouts, tested alike; placebo
        tests, Holm over every configuration)? Not used by the stage rules. ``board``: a snapshot's board
        at the same moment, for its breakouts (the report passes its own rather than compute another)."""
        from riskcurve.study.alt_inputs import alt_leader_signals
        from riskcurve.study.alt_leaders import alt_leader_study

        moment = self.resolve(as_of)
        with self.reader() as store:
            panel = AlignedPanel(store, self.catalog, moment)
            signals = alt_leader_signals(panel)
            closes = {name: panel.series(name).dropna() for name in followers}
            breakouts = pd.DatetimeIndex([e.date for e in board_on(panel, self.board_config, board).breakouts])
        thresholds = {k: ALT_THRESHOLDS[k] for k in signals}
        return alt_leader_study(signals, thresholds, closes, benchmark=breakouts, as_of=moment)

    def ledger(
        self,
        as_of: str | pd.Timestamp | None = None,
        *,
        followers: Sequence[str] = ("ETH", "BTC", "ALTS"),
        claim_date: date | None = None,
    ) -> Ledger:
        """The forward-test ledger as of ``as_of``: every leader breakout since ``claim_date`` (default:
        the seeds' 2,600 break, 2026-01-08) and what each follower did over 30/60/90 days, or pending."""
        moment = self.resolve(as_of)
        with self.reader() as store, _notes():
            panel = AlignedPanel(store, self.catalog, moment)
            inputs = self._study_inputs(_fingerprint(store), panel, self.leader, tuple(followers))
        return _ledger(inputs, moment, claim_date)

    def stage_model(self, as_of: str | pd.Timestamp | None = None, *, board: Board | None = None) -> StageModelReport:
        """The four-stage model tested as of ``as_of``: each follower's forward returns by confirmed stage,
        the lags from stage 3 to stage 4, the order in which the ladder's rungs turned per cycle, and the
        2017 and 2021 precedents (``precedents.toml``) beside what the data say. A few seconds: not
        stored, computed when first asked for this data and moment, then kept (report, dashboard and
        ``study --details`` ask for the same one); ``board``, the board of a snapshot at the same moment,
        saves computing it again (the report passes its snapshot's)."""
        moment = self.resolve(as_of)
        with self.reader() as store:
            fingerprint = _fingerprint(store)
            key = (fingerprint, moment)
            if key not in self._stage_models:
                _keep(self._stage_models, key, self._stage_model(store, fingerprint, moment, board))
        return self._stage_models[key]

    def _stage_model(
        self, store: Store, fingerprint: str, moment: pd.Timestamp, board: Board | None
    ) -> StageModelReport:
        from riskcurve.study.precedents import load_precedents
        from riskcurve.study.stage_inputs import build_stage_inputs
        from riskcurve.study.stage_model import run_stage_model

        started = time.perf_counter()
        with _notes() as notes:
            panel = AlignedPanel(store, self.catalog, moment)
            inputs = build_stage_inputs(
                panel,
                self.board_config,
                self.stage_config,
                board=board,
                study_inputs=lambda names: self._study_inputs(fingerprint, panel, self.board_config.leader, names),
            )
        report = run_stage_model(inputs, load_precedents(), notes=[*notes, *inputs.notes])
        return replace(report, seconds=time.perf_counter() - started)

    def _study_inputs(
        self,
        fingerprint: str,
        panel: AlignedPanel,
        leader: str,
        followers: Sequence[str],
        start: date | None = None,
        end: date | None = None,
    ) -> StudyInputs:
        """The study's prepared inputs at ``panel.as_of``, built once per data fingerprint and request.

        The lab only reads them, so the study, its ledger and the stage model may share one object.
        """
        from riskcurve.study.inputs import build_inputs

        key = (fingerprint, panel.as_of, leader, tuple(followers), start, end)
        build = partial(build_inputs, panel, leader, list(followers), start=start, end=end)
        return _once(self._inputs, key, build, bounded=True)

    def study_for(self, as_of: pd.Timestamp, facts: StoreFacts | None = None) -> StudyChoice:
        """The stored study a view at ``as_of`` may show: only one computed as of that time or earlier,
        since a later study has seen events the view has not."""
        run = (facts or self.facts()).study
        if run is None:
            return StudyChoice(None, "no study stored yet: run `riskcurve study`")
        if run.as_of > as_of:
            return StudyChoice(
                None,
                f"the stored {run.label} is later than this view ({as_of:%Y-%m-%d %H:%M} UTC) "
                "and has seen events it has not; run `riskcurve study --as-of` for this time",
            )
        return StudyChoice(run)


def _ledger(inputs: Any, moment: pd.Timestamp, claim_date: date | None) -> Ledger:
    """The forward-test ledger on prepared study inputs: the study's own events since ``claim_date``."""
    from riskcurve.study.lab import StudyConfig, declustered_events
    from riskcurve.study.ledger import CLAIM_DATE, build_ledger

    return build_ledger(
        inputs.leader,
        inputs.leader_known,
        pd.DatetimeIndex(inputs.leader_close.index),
        declustered_events(inputs, StudyConfig()),
        inputs.followers,
        moment,
        claim_date=pd.Timestamp(claim_date) if claim_date is not None else CLAIM_DATE,
    )


def _claim_due(claim: Claim) -> pd.Timestamp:
    """The moment a claim is judged: the end of its check date (UTC), as known then."""
    return pd.Timestamp(claim.check, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """Remember ``value``; beyond ``KEPT_PER_DATA_KEY`` entries the oldest goes."""
    cache[key] = value
    while len(cache) > KEPT_PER_DATA_KEY:
        cache.pop(next(iter(cache)))


def _once(
    cache: dict[Any, tuple[_T, list[_Caveat]]], key: Any, build: Callable[[], _T], *, bounded: bool = False
) -> _T:
    """``build()`` once per ``key`` (``bounded``: kept with ``_keep``); the warnings it raised are data
    caveats that belong to every caller's notes, so a kept answer raises them again."""
    if key not in cache:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = build()
        kept = (value, [(w.message, w.category) for w in caught])
        if bounded:
            _keep(cache, key, kept)
        else:
            cache[key] = kept
    value, caveats = cache[key]
    for message, category in caveats:
        warnings.warn(message, category, stacklevel=3)
    return value


def _ledger_key(channel: str, key: str) -> str:
    return f"alert:{channel}:{key}"


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _ended(freshness: pd.DataFrame, catalog: Catalog) -> np.ndarray:
    """Per series: has its feed ended? True when the other feeds of its calendar (NYSE, crypto UTC
    days) reach more than its staleness limit past its last observation, as known at this moment: a
    delisted coin or a discontinued series, not a folder or provider that is behind as a whole
    (then every feed of the calendar is merely stale). Uses only what the moment sees."""
    last = pd.to_datetime(freshness["last_date"])
    calendar = pd.Series([catalog[str(sid)].calendar for sid in freshness.index], index=freshness.index)
    newest = last.groupby(calendar).transform("max")
    limit = pd.to_timedelta([STALE_AFTER[str(f)] for f in freshness["frequency"]]).to_numpy()
    return ((newest - last).to_numpy() > limit) & last.notna().to_numpy()


def _components(panel: AlignedPanel, board: Board) -> pd.DataFrame:
    """Net-liquidity components in USD bn as published by each session's close (the liquidity chart):
    WALCL and RRP from the panel, the TGA the board's own (the Wednesday level, see ``wednesday_tga``)."""
    sessions = pd.DatetimeIndex(board.frame.index)
    walcl, _, rrp = panel.catalog.by_role("liquidity_component")
    frame = panel.on_clock([walcl, rrp], decision_times("nyse", sessions))
    frame.index = sessions
    frame["TGA"] = board.frame["net_liquidity_tga"]
    return frame


@contextmanager
def _notes() -> Iterator[list[str]]:
    """Collect riskcurve's typed data caveats (short samples, unit conversions) as notes, not prints."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RiskcurveWarning)
        yield notes
    notes.extend(sorted({str(w.message) for w in caught if issubclass(w.category, RiskcurveWarning)}))


@contextmanager
def _sweep_mapper(scheduler: str | None) -> Iterator[Any]:
    """None runs the sweep here; otherwise on a dask.distributed cluster (imported only then)."""
    if scheduler is None:
        yield None
        return
    from riskcurve.study.distributed import dask_mapper

    with ExitStack() as stack:
        try:  # only connecting is "cannot reach": an OSError inside the study is its own error
            mapper = stack.enter_context(dask_mapper(scheduler))
        except OSError as exc:
            raise RiskcurveError(f"scheduler {scheduler}: cannot reach the dask scheduler ({exc})") from exc
        yield mapper


def open(
    db: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    config: str | Path | None = None,
    lock_wait: float = 15.0,
) -> Riskcurve:
    """The service over the store ``db`` (default: settings, then the user data dir).

    ``data_dir`` makes ``update`` read that CSV directory instead of live providers; ``config`` is a
    TOML settings file (default: ``RISKCURVE_CONFIG`` or the user config dir).
    """
    settings = load_settings(config_path=Path(config) if config is not None else None).with_overrides(
        db_path=Path(db).expanduser() if db is not None else None,
        data_dir=Path(data_dir).expanduser() if data_dir is not None else None,
    )
    return Riskcurve(settings, load_catalog(settings.catalog_paths), lock_wait=lock_wait)
