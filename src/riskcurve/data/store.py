"""The DuckDB store: every observation with its vintage, incremental and atomic per series.

One row per (series, member, field, date, vintage). A vintage is the moment a value became known
(``available_at``): the first one comes from the catalog's release rule (or the provider's real-time
stamp); a later, different value for the same date is a *revision* and is stored beside the old one,
known from the time we fetched it. Readers ask for "the latest value of each date as of time T".
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from riskcurve._json import records
from riskcurve._retry import StillHeld, wait_while_held
from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import check_moves
from riskcurve.errors import StoreError, UnitMismatchError

# Each migration takes the schema from version i to i + 1; never edit a released one, append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE observations (
        series_id    VARCHAR     NOT NULL,
        member       VARCHAR     NOT NULL,
        field        VARCHAR     NOT NULL,
        date         DATE        NOT NULL,
        value        DOUBLE      NOT NULL,
        available_at TIMESTAMPTZ NOT NULL,
        source       VARCHAR     NOT NULL,
        fetched_at   TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE fetch_log (
        run_id       VARCHAR     NOT NULL,
        series_id    VARCHAR     NOT NULL,
        source       VARCHAR     NOT NULL,
        started_at   TIMESTAMPTZ NOT NULL,
        finished_at  TIMESTAMPTZ NOT NULL,
        status       VARCHAR     NOT NULL,
        new_rows     BIGINT      NOT NULL,
        revised_rows BIGINT      NOT NULL,
        message      VARCHAR
    );
    """,
    # v2: key-value state for components that must survive restarts (alert de-duplication, caches).
    """
    CREATE TABLE app_state (
        key        VARCHAR PRIMARY KEY,
        value      VARCHAR NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Two floats are "the same value" when they agree to this relative tolerance (text round trips).
_REL_TOL = 1e-12
# Stored history the move check compares new rows with: 20 observations and a margin, per frequency.
_HISTORY = {"daily": pd.Timedelta(days=45), "weekly": pd.Timedelta(weeks=30), "monthly": pd.Timedelta(days=900)}
# fetch_log keeps messages this long: a message quoting a huge input must not grow the store.
_MESSAGE_CHARS = 1000


@dataclass
class SeriesUpdate:
    """What one update did to one series."""

    series_id: str
    source: str
    status: str  # "ok" | "unchanged" | "failed"
    new_rows: int = 0
    revised_rows: int = 0
    first_date: pd.Timestamp | None = None
    last_date: pd.Timestamp | None = None
    message: str = ""


@dataclass
class UpdateReport:
    run_id: str
    results: list[SeriesUpdate] = field(default_factory=list)

    @property
    def failed(self) -> list[SeriesUpdate]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_frame(self) -> pd.DataFrame:
        """One row per series: status, new and revised rows, dates, source, message."""
        return pd.DataFrame([r.__dict__ for r in self.results])

    def summary(self) -> str:
        new = sum(r.new_rows for r in self.results)
        revised = sum(r.revised_rows for r in self.results)
        return f"{len(self.results)} series: {new} new rows, {revised} revised rows, {len(self.failed)} failed"

    __str__ = summary

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "ok": self.ok, "summary": self.summary(), "series": records(self.to_frame())}

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)


def _origin(origins: Mapping[str, str], spec: SeriesSpec) -> str:
    """The "<file>: " prefix of a message about a series read from a file (or provider), else nothing."""
    return f"{origins[spec.id]}: " if spec.id in origins else ""


def _frame(result: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """A query result as pandas, without duckdb's internal pandas-3 deprecation noise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop")
        return result.df()


def _utcnow() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(UTC))


class Store:
    """A DuckDB file. Writers open it read-write; the dashboard opens it ``read_only``."""

    def __init__(self, path: Path | str, *, read_only: bool = False, lock_wait: float = 15.0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"store {self.path} does not exist yet: run `riskcurve update` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = self._connect(lock_wait)
        self.con.execute("SET TimeZone = 'UTC'")
        if read_only:
            self._check_version()
        else:
            self.migrate()

    def _connect(self, lock_wait: float) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting up to ``lock_wait`` seconds while another process holds its lock.

        DuckDB lets one process write or several read, never both: a dashboard request or a
        concurrent update holds the file for about a second, so waiting briefly beats failing.
        """

        def attempt() -> duckdb.DuckDBPyConnection:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise StoreError(
                        f"cannot open store {self.path}: it is damaged (truncated?) or not a riskcurve store ({exc})"
                    ) from exc
                raise StillHeld(str(exc)) from exc
            except duckdb.Error as exc:
                raise StoreError(f"cannot open store {self.path}: {exc}") from exc

        try:
            con = wait_while_held(attempt, lock_wait, first=0.1, most=1.0)
        except StillHeld as held:
            raise StoreError(f"cannot open store {self.path}: {held}") from held
        # DuckDB draws a progress bar on stdout for queries over 2 s (a loaded machine), which would
        # corrupt `--json` output and anything piped.
        con.execute("SET enable_progress_bar = false")
        return con

    def close(self) -> None:
        self.con.close()

    def scalar(self, sql: str, params: Sequence[object] = ()) -> object:
        """First column of the first row, or None. (fetchall: DuckDB keeps a result open after fetchone.)"""
        rows = self.con.execute(sql, list(params)).fetchall()
        return rows[0][0] if rows else None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ----------------------------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        )
        if not exists:
            return 0
        version = self.scalar("SELECT max(version) FROM schema_version")
        return int(str(version)) if version is not None else 0

    def _check_version(self) -> None:
        version = self.schema_version()
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema v{version}, this riskcurve needs v{SCHEMA_VERSION}: "
                "run `riskcurve update` once to migrate"
            )

    def migrate(self) -> None:
        """Apply pending migrations, each in its own transaction."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema v{current}, newer than this riskcurve (v{SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                self.con.execute(MIGRATIONS[version - 1])
                self.con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, _utcnow()])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------------
    def apply(
        self,
        batches: Sequence[tuple[SeriesSpec, str, pd.DataFrame]],
        *,
        run_id: str | None = None,
        now: pd.Timestamp | None = None,
        failures: Iterable[SeriesUpdate] = (),
        complete: Mapping[str, date | None] | None = None,
        origins: Mapping[str, str] | None = None,
        digests: Mapping[str, tuple[str, str]] | None = None,
    ) -> UpdateReport:
        """Store new and revised rows of each (spec, source, standard frame); each series all or nothing.

        The diff against the latest stored values is computed once for all series (fast no-op
        updates); each series is checked on its own, and those that pass are committed together, or,
        if that commit fails, each in its own transaction, so one bad series never blocks or
        corrupts the others. The caller bounds memory by the size of ``batches`` (see
        ``update.fetch_chunks``). ``failures`` (fetch errors found earlier) are logged too.
        ``complete`` names the series whose frame holds every row of its source from a date on
        (series id -> date, None: all): if the store holds rows of that source the frame lacks, the
        input was cut, and the series fails with nothing changed rather than passing as unchanged
        (failed, not a warning: a cut feed is broken, and under cron only a non-zero exit is seen).
        ``origins`` (series id -> file or provider) prefix the messages of refused series; ``digests``
        (series id -> (state key, input digest)) are recorded with each series that lands.
        """
        origins = origins or {}
        digests = digests or {}
        run_id = run_id or uuid.uuid4().hex[:12]
        now = now if now is not None else _utcnow()
        report = UpdateReport(run_id=run_id)
        report.results.extend(failures)
        self._log(run_id, list(failures), now)
        incoming = self._stage(batches)
        diff = self._diff(incoming)
        absent = self._absent(incoming, batches, complete or {}, origins)
        del incoming
        by_series = dict(tuple(diff.groupby("series_id", sort=False, observed=True))) if len(diff) else {}
        del diff
        unchanged: list[SeriesUpdate] = []
        checked: list[tuple[SeriesSpec, SeriesUpdate, pd.DataFrame]] = []
        for spec, source, frame in batches:
            result = SeriesUpdate(series_id=spec.id, source=source, status="unchanged")
            if len(frame):
                result.first_date = pd.Timestamp(frame["date"].min())
                result.last_date = pd.Timestamp(frame["date"].max())
            changes = by_series.pop(spec.id, None)
            report.results.append(result)
            if spec.id in absent:
                self._refuse(run_id, result, absent[spec.id], now)
            elif changes is None or not len(changes):
                unchanged.append(result)
            else:
                try:
                    self._check_history(spec, changes, origins.get(spec.id, spec.id))
                    self._check_units(spec, changes)
                    checked.append((spec, result, changes))
                except Exception as exc:
                    self._refuse(run_id, result, f"{_origin(origins, spec)}{type(exc).__name__}: {exc}", now)
        self._write(run_id, checked, digests, origins, now)
        with self.transaction():
            self._log(run_id, unchanged, now)
            self._remember(unchanged, digests)
        return report

    def _write(
        self,
        run_id: str,
        checked: Sequence[tuple[SeriesSpec, SeriesUpdate, pd.DataFrame]],
        digests: Mapping[str, tuple[str, str]],
        origins: Mapping[str, str],
        now: pd.Timestamp,
    ) -> None:
        """Insert the checked series in one transaction (one commit is far cheaper than one per series);
        if it fails, each series again in its own, so one bad series rolls back alone."""
        with suppress(Exception):  # on failure: series by series below, where the error is reported
            with self.transaction():
                for spec, result, changes in checked:
                    self._insert_series(run_id, spec, result, changes, now)
                self._remember([result for _, result, _ in checked], digests)
            return
        for spec, result, changes in checked:
            try:
                with self.transaction():
                    self._insert_series(run_id, spec, result, changes, now)
                    self._remember([result], digests)
            except Exception as exc:  # roll back this series only, report it, carry on
                self._refuse(run_id, result, f"{_origin(origins, spec)}{type(exc).__name__}: {exc}", now)

    def _insert_series(
        self,
        run_id: str,
        spec: SeriesSpec,
        result: SeriesUpdate,
        changes: pd.DataFrame,
        now: pd.Timestamp,
    ) -> None:
        """One series' rows and its log line."""
        self._insert(spec, changes)
        result.new_rows = int(changes["old_value"].isna().sum())
        result.revised_rows = len(changes) - result.new_rows
        result.status = "ok"
        self._log(run_id, [result], now)

    def _refuse(self, run_id: str, result: SeriesUpdate, message: str, now: pd.Timestamp) -> None:
        result.status, result.message = "failed", message
        result.new_rows = result.revised_rows = 0
        self._log(run_id, [result], now)

    def _remember(self, results: Sequence[SeriesUpdate], digests: Mapping[str, tuple[str, str]]) -> None:
        """Record the input digest of each applied series, with its rows: the next update skips that
        input unread only if it was really stored."""
        rows = [digests[r.series_id] for r in results if r.series_id in digests]
        if not rows:
            return
        state = pd.DataFrame(rows, columns=["key", "value"]).assign(updated_at=_utcnow())
        self._append("app_state", state, "INSERT OR REPLACE")

    @staticmethod
    def _stage(batches: Sequence[tuple[SeriesSpec, str, pd.DataFrame]]) -> pd.DataFrame:
        """All incoming rows in one frame, tagged with series and source. Text columns are categoricals
        (a few names over a million rows); availability comes later, for the changed rows only."""
        batches = [b for b in batches if not b[2].empty]
        if not batches:
            return pd.DataFrame(
                columns=["series_id", "member", "field", "date", "value", "realtime_start", "source"]
            )
        lengths = [len(frame) for _, _, frame in batches]
        sources = sorted({source for _, source, _ in batches})
        frames = [frame for _, _, frame in batches]

        def text(column: str) -> pd.Categorical:
            return union_categoricals([pd.Categorical(f[column]) for f in frames], ignore_order=True)

        return pd.DataFrame(
            {
                "series_id": pd.Categorical.from_codes(
                    np.repeat(np.arange(len(batches)), lengths), [spec.id for spec, _, _ in batches]
                ),
                "member": text("member"),
                "field": text("field"),
                "date": np.concatenate([f["date"].to_numpy(dtype="datetime64[ns]") for f in frames]),
                "value": np.concatenate([f["value"].to_numpy(dtype="float64") for f in frames]),
                "realtime_start": pd.concat([f["realtime_start"] for f in frames], ignore_index=True),
                "source": pd.Categorical.from_codes(
                    np.repeat([sources.index(source) for _, source, _ in batches], lengths), sources
                ),
            }
        )

    def _absent(
        self,
        incoming: pd.DataFrame,
        batches: Sequence[tuple[SeriesSpec, str, pd.DataFrame]],
        complete: Mapping[str, date | None],
        origins: Mapping[str, str],
    ) -> dict[str, str]:
        """Series id -> message for each complete input that lacks rows the store holds from its source."""
        wanted = [(spec.id, source, complete[spec.id]) for spec, source, _ in batches if spec.id in complete]
        if not wanted:
            return {}
        keys = incoming[["series_id", "member", "field", "date"]]
        self.con.register("incoming_keys", keys)
        starts = pd.DataFrame(wanted, columns=["series_id", "source", "start"])
        self.con.register("wanted", starts.assign(start=pd.to_datetime(starts["start"]).astype("datetime64[ns]")))
        try:
            rows = self.con.execute(
                """
                SELECT o.series_id, count(*) AS n, min(o.date), max(o.date)
                FROM (SELECT DISTINCT series_id, member, field, date FROM observations o
                      JOIN wanted w USING (series_id, source)
                      WHERE w.start IS NULL OR o.date >= w.start) o
                ANTI JOIN incoming_keys i USING (series_id, member, field, date)
                GROUP BY 1
                """
            ).fetchall()
        finally:
            self.con.unregister("incoming_keys")
            self.con.unregister("wanted")
        held = incoming.groupby("series_id", observed=True).size()
        return {
            str(sid): (
                f"{origins.get(str(sid), str(sid))} holds fewer rows than the store: {n} stored row(s) dated "
                f"{first:%Y-%m-%d}..{last:%Y-%m-%d} are missing from it ({int(held.get(sid, 0))} value cells read) "
                "- the file was cut or rows were deleted? The stored rows are kept; nothing was changed."
            )
            for sid, n, first, last in rows
        }

    def _diff(self, incoming: pd.DataFrame) -> pd.DataFrame:
        """Incoming rows that are new dates or differ from the latest stored value (revisions)."""
        if incoming.empty:
            return incoming.assign(old_value=pd.Series(dtype="float64"))
        self.con.register("incoming", incoming)
        try:
            return _frame(
                self.con.execute(
                    f"""
                WITH latest AS (
                    SELECT series_id, member, field, date, arg_max(value, available_at) AS value
                    FROM observations
                    WHERE series_id IN (SELECT DISTINCT series_id FROM incoming)
                    GROUP BY ALL
                )
                SELECT i.series_id, i.member, i.field, i.date, i.value,
                       i.realtime_start, i.source, l.value AS old_value
                FROM incoming i
                LEFT JOIN latest l USING (series_id, member, field, date)
                WHERE l.value IS NULL
                   OR abs(i.value - l.value) > {_REL_TOL} * greatest(abs(i.value), abs(l.value))
                """
                )
            )
        finally:
            self.con.unregister("incoming")

    def _check_history(self, spec: SeriesSpec, changes: pd.DataFrame, origin: str) -> None:
        """New and revised main values against the stored ones before and around them: catches a unit
        change even when the input holds only the new rows (``--since``, a short live window)."""
        if spec.max_jump is None and spec.max_level is None:
            return
        main = changes[changes["field"] == spec.value_field]
        if main.empty:
            return
        start = pd.Timestamp(main["date"].min()) - _HISTORY[spec.frequency]
        stored = _frame(
            self.con.execute(
                "SELECT member, date, arg_max(value, available_at) AS value FROM observations"
                " WHERE series_id = ? AND field = ? AND date >= ? GROUP BY ALL",
                [spec.id, spec.value_field, start.date()],
            )
        )
        fresh = pd.DataFrame(
            {"member": main["member"].astype(str), "date": main["date"], "value": main["value"], "_new": True}
        )
        stored = stored.assign(member=stored["member"].astype(str), date=pd.to_datetime(stored["date"]), _new=False)
        merged = pd.concat([fresh, stored], ignore_index=True).drop_duplicates(["member", "date"], keep="first")
        merged["field"] = spec.value_field
        check_moves(merged.reset_index(drop=True), spec, origin, only=merged["_new"].reset_index(drop=True))

    @staticmethod
    def _check_units(spec: SeriesSpec, changes: pd.DataFrame) -> None:
        """Refuse a batch whose revisions of the main field are off by a constant large factor."""
        revised = changes[changes["old_value"].notna() & (changes["field"] == spec.value_field)]
        revised = revised[(revised["old_value"] != 0) & (revised["value"] != 0)]
        if len(revised) < 3:
            return
        ratio = float(np.median(np.abs(revised["value"] / revised["old_value"])))
        if ratio >= 10 or ratio <= 0.1:
            raise UnitMismatchError(
                f"{spec.id}: {len(revised)} incoming values are ~{ratio:.4g}x the stored ones "
                f"(catalog units: {spec.units}); the source changed units? Nothing was stored."
            )

    def _insert(self, spec: SeriesSpec, changes: pd.DataFrame) -> None:
        """Stamp availability and append. A new date is known from its release (or the provider's
        later real-time stamp); a revision only from when we fetched it."""
        fetched = _utcnow()
        released = pd.Series(spec.release.available_at(changes["date"]), index=changes.index)
        realtime = pd.to_datetime(changes["realtime_start"], utc=True)
        available = released.where(~(realtime > released), realtime)
        revision = changes["old_value"].notna()
        available = available.where(~(revision & (available < fetched)), fetched)
        rows = pd.DataFrame(
            {
                "series_id": changes["series_id"],
                "member": changes["member"],
                "field": changes["field"],
                "date": changes["date"],
                "value": changes["value"],
                "available_at": available,
                "source": changes["source"],
                "fetched_at": fetched,
            }
        )
        self._append("observations", rows)

    def _log(self, run_id: str, results: Sequence[SeriesUpdate], now: pd.Timestamp) -> None:
        if not results:
            return
        rows = pd.DataFrame(
            {
                "run_id": run_id,
                "series_id": [r.series_id for r in results],
                "source": [r.source for r in results],
                "started_at": now,
                "finished_at": _utcnow(),
                "status": [r.status for r in results],
                "new_rows": pd.Series([r.new_rows for r in results], dtype="int64"),
                "revised_rows": pd.Series([r.revised_rows for r in results], dtype="int64"),
                "message": pd.Series([(r.message or "")[:_MESSAGE_CHARS] or None for r in results], dtype=object),
            }
        )
        self._append("fetch_log", rows)

    def _append(self, table: str, rows: pd.DataFrame, verb: str = "INSERT") -> None:
        """Rows (columns in the table's order) in one statement: DuckDB's executemany runs one per row."""
        self.con.register("appended", rows)
        try:
            self.con.execute(f"{verb} INTO {table} SELECT * FROM appended")
        finally:
            self.con.unregister("appended")

    # -- reading ---------------------------------------------------------------------------------
    def as_of(
        self,
        series_ids: Sequence[str] | None = None,
        *,
        fields: Sequence[str] | None = None,
        as_of: pd.Timestamp | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        coded: bool = False,
    ) -> pd.DataFrame:
        """Latest value of each (series, member, field, date) known at ``as_of`` (all vintages when None).

        ``available_at`` in the result is when that date was *first* known: the time a signal built
        on it could have acted (see AlignedPanel for the revision caveat).

        ``coded`` (with ``series_ids`` and ``fields``) gives ``series_id`` and ``field`` as their
        1-based positions in those lists: a Python string per row costs more than the query itself
        on the coin universe.
        """
        keys = "series_id, member, field"
        key_params: list[object] = []
        if coded:
            if series_ids is None or fields is None:
                raise ValueError("coded needs series_ids and fields")
            keys = "list_position(?, series_id)::INT AS series_id, member, list_position(?, field)::INT AS field"
            key_params = [list(series_ids), list(fields)]
        clauses, params = ["TRUE"], []
        if as_of is not None:
            clauses.append("available_at <= ?")
            params.append(
                pd.Timestamp(as_of).tz_convert("UTC")
                if pd.Timestamp(as_of).tz
                else pd.Timestamp(as_of).tz_localize("UTC")
            )
        if series_ids is not None:
            clauses.append("list_contains(?, series_id)")
            params.append(list(series_ids))
        if fields is not None:
            clauses.append("list_contains(?, field)")
            params.append(list(fields))
        if start is not None:
            clauses.append("date >= ?")
            params.append(pd.Timestamp(start).date())
        if end is not None:
            clauses.append("date <= ?")
            params.append(pd.Timestamp(end).date())
        frame = _frame(
            self.con.execute(
                f"""
            SELECT {keys}, date,
                   arg_max(value, available_at) AS value,
                   min(available_at) AS available_at
            FROM observations WHERE {" AND ".join(clauses)}
            GROUP BY ALL
            ORDER BY series_id, member, field, date
            """,
                [*key_params, *params],
            )
        )
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        return frame

    def vintages(self, series_id: str, date: str | pd.Timestamp, field: str | None = None) -> pd.DataFrame:
        """Every stored value of one date, oldest vintage first."""
        sql = (
            "SELECT member, field, value, available_at, source, fetched_at FROM observations"
            " WHERE series_id = ? AND date = ?"
        )
        params: list[object] = [series_id, pd.Timestamp(date).date()]
        if field is not None:
            sql += " AND field = ?"
            params.append(field)
        return _frame(self.con.execute(sql + " ORDER BY field, available_at", params))

    def coverage(self) -> pd.DataFrame:
        """Per series: stored values (rows), dates, first/last date and the last successful update."""
        return _frame(
            self.con.execute(
                """
            WITH obs AS (
                SELECT series_id, count(*) AS rows, count(DISTINCT date) AS dates,
                       min(date) AS first_date, max(date) AS last_date,
                       max(available_at) AS last_available_at
                FROM observations GROUP BY series_id
            ), upd AS (
                SELECT series_id, max(finished_at) AS last_update FROM fetch_log
                WHERE status IN ('ok', 'unchanged') GROUP BY series_id
            )
            SELECT obs.*, upd.last_update FROM obs LEFT JOIN upd USING (series_id) ORDER BY series_id
            """
            )
        )

    def row_count(self) -> int:
        return int(str(self.scalar("SELECT count(*) FROM observations")))

    def get_state(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM app_state WHERE key = ?", [key])
        return None if value is None else str(value)

    def set_state(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO app_state VALUES (?, ?, ?)", [key, value, _utcnow()])
