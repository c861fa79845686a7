"""AlignedPanel: the one place that knows calendars, units and availability.

Everything downstream (measures, stages, study) reads numbers through a panel built *as of* a moment T:
only observations with ``available_at <= T`` exist for it. Within that view:

- ``series`` gives a series on its own observation dates, in standard units (USD billions for
  balance-sheet money);
- ``returns`` computes returns inside the series' own calendar (NYSE sessions, or every UTC day for
  crypto) and never across a missing bar: a gap yields NaN, not a forward-filled price;
- ``on_clock`` aligns series onto decision times by an as-of join on availability, so a value is used
  only from the moment it was published (a Wednesday H.4.1 level from Thursday 16:30 New York).

Revision caveat: for a date revised before T the panel uses the vintage current at T, stamped with the
date's *first* availability. That is exact for the as-of view at T and for data without revisions
(everything loaded from a CSV directory); a full real-time backtest over revised series would need
one panel per decision time, which ``AlignedPanel(store, as_of=t)`` also gives.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import platformdirs

from riskcurve._typing import Calendar
from riskcurve.catalog import Catalog, SeriesSpec
from riskcurve.data.store import Store
from riskcurve.errors import AsOfError, FutureAsOfError
from riskcurve.thesis import STALE_AFTER

__all__ = ["STALE_AFTER", "AlignedPanel", "AsOfError", "FutureAsOfError", "parse_as_of"]

NYSE_CLOSE_TIME = pd.Timedelta(hours=16)  # regular close, New York time (conservative on early closes)
#: Earliest as-of accepted: before it no series of the catalog has data, and far-off years are
#: not representable in nanosecond timestamps anyway.
EARLIEST_AS_OF = pd.Timestamp("1900-01-01", tz="UTC")
#: A clock a little ahead of ours (or a request made a moment later) is not "the future".
_CLOCK_SLACK = pd.Timedelta(minutes=5)


@cache
def nyse_sessions() -> pd.DatetimeIndex:
    """NYSE sessions 1885-2035 from exchange_calendars (holidays, closures and mourning days included).

    Importing exchange_calendars and building the calendar costs about 0.4 s, a third of a
    ``riskcurve status``; the sessions are kept in the user cache directory, keyed by the
    exchange_calendars version (a new version may add holidays), and rebuilt on any mismatch.
    """
    path = _sessions_cache()
    try:
        return pd.DatetimeIndex(np.load(path, allow_pickle=False).astype("datetime64[ns]"))
    except (OSError, ValueError):
        pass
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # exchange_calendars' own pandas-3 deprecation noise
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        calendar = xcals.get_calendar("XNYS", start="1885-01-01", end="2035-12-31")
    # No freq: the cached copy cannot carry the holiday calendar, so neither does the fresh one.
    sessions = pd.DatetimeIndex(pd.DatetimeIndex(calendar.sessions).tz_localize(None).to_numpy("datetime64[ns]"))
    with contextlib.suppress(OSError):  # a read-only home only costs the rebuild next time
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            np.save(handle, sessions.to_numpy(), allow_pickle=False)
        os.replace(partial, path)  # atomic: a concurrent reader never sees half a file
    return sessions


def _sessions_cache() -> Path:
    version = importlib.metadata.version("exchange_calendars")
    return Path(platformdirs.user_cache_dir("riskcurve")) / f"xnys-sessions-{version}.npy"


def calendar_days(calendar: Calendar, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The bar dates of ``calendar`` between start and end inclusive."""
    if calendar == "crypto_utc":
        return pd.date_range(start.normalize(), end.normalize(), freq="D").astype("datetime64[ns]")
    sessions = nyse_sessions()
    return sessions[(sessions >= start) & (sessions <= end)]


def decision_times(calendar: Calendar, days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """When a bar of ``calendar`` dated d is complete (UTC): NYSE 16:00 New York; crypto 00:00 UTC d+1."""
    days = pd.DatetimeIndex(days).normalize()
    if calendar == "crypto_utc":
        return (days + pd.Timedelta(days=1)).tz_localize("UTC")
    local = (days + NYSE_CLOSE_TIME).tz_localize("America/New_York", nonexistent="shift_forward", ambiguous=False)
    return local.tz_convert("UTC")


def parse_as_of(moment: pd.Timestamp | str | datetime | None) -> pd.Timestamp:
    """An as-of moment in UTC: None is now, a bare date the end of that UTC day (shared by the CLI,
    the panel and the dashboard so all three read the same text the same way).

    Today's bare date is now (the rest of the day has not happened). Refuses, with an
    :class:`AsOfError` naming the value, text that is not a date, moments before 1900-01-01, and
    (:class:`FutureAsOfError`) moments after now.
    """
    now = pd.Timestamp(datetime.now(UTC))
    if moment is None:
        return now
    try:
        stamp = pd.Timestamp(moment)
    except (ValueError, TypeError, OverflowError) as exc:
        raise AsOfError(f"as-of {moment!r} is not a date or moment ({exc})") from None
    if stamp is pd.NaT or pd.isna(stamp):
        raise AsOfError(f"as-of {moment!r} is not a date or moment")
    if stamp.tzinfo is None:
        # A bare date means "the end of that day in UTC": everything published that day is known.
        # Only a date as such: "2021-03-31T00:00" is midnight, as typed.
        if _is_bare_date(moment):
            if stamp.normalize() == now.tz_localize(None).normalize():
                return now
            stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        stamp = stamp.tz_localize("UTC")
    else:
        stamp = stamp.tz_convert("UTC")
    if stamp < EARLIEST_AS_OF:
        raise AsOfError(
            f"as-of {moment!r} is before {EARLIEST_AS_OF:%Y-%m-%d}; accepted: {EARLIEST_AS_OF:%Y-%m-%d} .. now"
        )
    if stamp > now + _CLOCK_SLACK:
        raise FutureAsOfError(
            f"as-of {moment!r} is in the future (now is {now:%Y-%m-%d %H:%M} UTC); "
            f"accepted: {EARLIEST_AS_OF:%Y-%m-%d} .. now"
        )
    return stamp.as_unit("ns")


def _is_bare_date(moment: pd.Timestamp | str | datetime) -> bool:
    """A calendar date without a time: 'YYYY-MM-DD' text or a ``datetime.date`` (not a datetime)."""
    if isinstance(moment, str):
        return len(moment.strip()) == 10
    return isinstance(moment, date) and not isinstance(moment, datetime)


class AlignedPanel:
    """A point-in-time view of the store at ``as_of`` (UTC; a bare date means the end of that UTC day)."""

    def __init__(self, store: Store, catalog: Catalog, as_of: pd.Timestamp | str | datetime | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.as_of = parse_as_of(as_of)
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    # -- loading ---------------------------------------------------------------------------------
    def preload(self, series_ids: Sequence[str], fields: Sequence[str] | None = None) -> None:
        """Fetch many series in one query (one round trip beats one per series); cached pairs are skipped."""
        wanted = [sid for sid in series_ids if sid in self.catalog]
        fields = list(fields) if fields is not None else sorted({self.catalog[s].value_field for s in wanted})
        missing = sorted({sid for sid in wanted for field in fields if (sid, field) not in self._cache})
        if not missing:
            return
        frame = self.store.as_of(missing, fields=fields, as_of=self.as_of, coded=True)
        body = frame[["member", "date", "value", "available_at"]]
        for (sid, field), rows in frame.groupby(["series_id", "field"], sort=False).indices.items():
            key = (missing[int(sid) - 1], fields[int(field) - 1])
            self._cache.setdefault(key, body.iloc[rows].reset_index(drop=True))
        empty = body.iloc[0:0]
        for sid in missing:
            for field in fields:
                self._cache.setdefault((sid, field), empty)

    def _rows(self, series_id: str, field: str) -> pd.DataFrame:
        spec = self.catalog[series_id]
        key = (spec.id, field)
        if key not in self._cache:
            self.preload([spec.id], [field])
        rows = self._cache[key]
        _, scale = spec.standard_units()
        if scale != 1.0 and len(rows):
            rows = rows.assign(value=rows["value"] * scale)
        return rows

    # -- views -----------------------------------------------------------------------------------
    def spec(self, series_id: str) -> SeriesSpec:
        return self.catalog[series_id]

    def series(self, series_id: str, field: str | None = None, member: str = "") -> pd.Series:
        """Values on the series' own observation dates, standard units, as known at ``as_of``."""
        spec = self.catalog[series_id]
        rows = self._rows(spec.id, field or spec.value_field)
        rows = rows[rows["member"] == member]
        return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["date"], name="date"), name=series_id)

    def availability(self, series_id: str, field: str | None = None, member: str = "") -> pd.Series:
        """When each observation date was first known (UTC)."""
        spec = self.catalog[series_id]
        rows = self._rows(spec.id, field or spec.value_field)
        rows = rows[rows["member"] == member]
        return pd.Series(
            pd.DatetimeIndex(rows["available_at"]).tz_convert("UTC"),
            index=pd.DatetimeIndex(rows["date"], name="date"),
            name=series_id,
        )

    def members(self, series_id: str, field: str) -> pd.DataFrame:
        """A multi-member dataset (rankings, open interest) as a date x member frame."""
        rows = self._rows(series_id, field)
        return rows.pivot(index="date", columns="member", values="value").sort_index()

    def frame(self, series_ids: Sequence[str], field: str | None = None) -> pd.DataFrame:
        """Several series side by side on the union of their own dates (no filling)."""
        self.preload(series_ids, [field] if field else None)
        return pd.concat([self.series(sid, field) for sid in series_ids], axis=1)

    def returns(self, series_id: str, field: str | None = None, *, log: bool = False) -> pd.Series:
        """Bar-to-bar returns in the series' own calendar; a missing bar gives NaN, never a filled price."""
        spec = self.catalog[series_id]
        values = self.series(series_id, field)
        if values.empty:
            return values
        if spec.frequency == "daily":
            days = calendar_days(spec.calendar, values.index[0], values.index[-1]).union(values.index)
            values = values.reindex(days)
        ratio = values / values.shift(1)
        out = np.log(ratio) if log else ratio - 1.0
        return out.iloc[1:].rename(series_id)

    def on_clock(
        self,
        series_ids: Sequence[str],
        times: pd.DatetimeIndex,
        field: str | None = None,
        *,
        max_age: pd.Timedelta | str | None = "auto",
    ) -> pd.DataFrame:
        """For each decision time (UTC), the latest observation of each series already published then.

        Carrying a *level* to a later decision time is what a trader sees on their screen; but a series
        whose newest observation is older than ``max_age`` ("auto": by its frequency, see STALE_AFTER;
        None: never) reads NaN, so a discontinued feed never looks flat. Never take a return from
        these values: use ``on_clock_dated`` and keep only observations dated on the bar itself.
        """
        return self.on_clock_dated(series_ids, times, field, max_age=max_age)[0]

    def on_clock_dated(
        self,
        series_ids: Sequence[str],
        times: pd.DatetimeIndex,
        field: str | None = None,
        *,
        max_age: pd.Timedelta | str | None = "auto",
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``on_clock`` and, beside it, the observation date of each value (NaT where none).

        The dates say what each figure is true for, and let a caller tell a price observed on the
        bar from one carried to it (a return needs both endpoints observed).
        """
        times = _as_utc_index(times)
        self.preload(series_ids, [field] if field else None)
        values, dates = {}, {}
        for sid in series_ids:
            spec = self.catalog[sid]
            rows = self._rows(sid, field or spec.value_field)
            rows = rows[rows["member"] == ""]
            age = STALE_AFTER[spec.frequency] if max_age == "auto" else max_age
            values[sid], dates[sid] = _asof_by_availability(
                rows["date"].to_numpy(),
                rows["value"].to_numpy(),
                rows["available_at"],
                times,
                max_age=None if age is None else pd.Timedelta(age),
            )
        return pd.DataFrame(values, index=times), pd.DataFrame(dates, index=times)

    def align(
        self,
        derived: pd.Series,
        calendar: Calendar,
        times: pd.DatetimeIndex,
        max_age: pd.Timedelta | None = None,
    ) -> pd.Series:
        """Put a series computed on bar dates of ``calendar`` (a 30-day ETH return, an altcoin index)
        onto decision times: bar d counts from the moment bar d is complete, never earlier.
        NaN bars are skipped (the last known value is carried); see ``align_dated`` to keep them."""
        return self.align_dated(derived.dropna(), calendar, times, max_age)[0]

    def align_dated(
        self,
        derived: pd.Series,
        calendar: Calendar,
        times: pd.DatetimeIndex,
        max_age: pd.Timedelta | None = None,
    ) -> tuple[pd.Series, pd.Series]:
        """``align`` that keeps NaN bars (a bar known to be unknown stays unknown, it does not
        revive the bar before it), and the bar date of each value (NaT where none)."""
        times = _as_utc_index(times)
        known = pd.Series(decision_times(calendar, pd.DatetimeIndex(derived.index)))
        values, dates = _asof_by_availability(
            derived.index.to_numpy(), derived.to_numpy(dtype="float64"), known, times, max_age=max_age
        )
        return pd.Series(values, index=times, name=derived.name), pd.Series(dates, index=times, name=derived.name)

    def daily(
        self,
        series_ids: Sequence[str],
        calendar: Calendar = "nyse",
        field: str | None = None,
        start: str | pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """``on_clock`` at the close of each bar of ``calendar``, indexed by bar date."""
        self.preload(series_ids, [field] if field else None)
        firsts = [s.index[0] for s in (self.series(sid, field) for sid in series_ids) if len(s)]
        if not firsts:
            return pd.DataFrame(columns=list(series_ids))
        begin = pd.Timestamp(start) if start is not None else min(firsts)
        end = self.as_of.tz_localize(None).normalize()
        days = calendar_days(calendar, begin, end)
        times = decision_times(calendar, days)
        days, times = days[times <= self.as_of], times[times <= self.as_of]
        frame = self.on_clock(series_ids, times, field)
        frame.index = pd.DatetimeIndex(days, name="date")
        return frame

    def staleness(self, series_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Per series: last observation, when it was published, its age at ``as_of`` and a stale flag."""
        ids = list(series_ids) if series_ids is not None else list(self.catalog)
        self.preload(ids)
        rows = []
        for sid in ids:
            spec = self.catalog[sid]
            known = self._rows(sid, spec.value_field)
            if known.empty:
                rows.append(
                    {
                        "series": sid,
                        "last_date": pd.NaT,
                        "published": pd.NaT,
                        "age_days": np.nan,
                        "stale": True,
                    }
                )
                continue
            last = pd.Timestamp(known["date"].max())
            # Whole days, as the as-of joins count them (decision day minus observation date), so a
            # series is listed as stale exactly when its values on the clock read unknown.
            age = self.as_of.tz_localize(None).normalize() - last
            rows.append(
                {
                    "series": sid,
                    "last_date": last,
                    "published": pd.Timestamp(known["available_at"].max()),
                    "age_days": age / pd.Timedelta(days=1),
                    "stale": bool(age > STALE_AFTER[spec.frequency]),
                }
            )
        return pd.DataFrame(rows).set_index("series")


def on_clock_published(
    observed: pd.DataFrame, times: pd.DatetimeIndex, max_age: pd.Timedelta | None = None
) -> tuple[pd.Series, pd.Series]:
    """A series built from several published ones (the Wednesday-level TGA) onto decision times.

    ``observed`` is indexed by observation date with columns ``value`` and ``available_at`` (when
    that value was first known): the same no-look-ahead as-of join as ``AlignedPanel.on_clock_dated``,
    returning the values and their observation dates.
    """
    times = _as_utc_index(times)
    values, dates = _asof_by_availability(
        observed.index.to_numpy(), observed["value"].to_numpy(), observed["available_at"], times, max_age=max_age
    )
    return pd.Series(values, index=times), pd.Series(dates, index=times)


def _as_utc_index(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    times = pd.DatetimeIndex(times)
    return times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")


def _asof_by_availability(
    dates: np.ndarray,
    values: np.ndarray,
    known: pd.Series,
    times: pd.DatetimeIndex,
    max_age: pd.Timedelta | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Value of the newest *observation date* published by each time (strictly no look-ahead),
    and that observation date (datetime64, NaT where there is none).

    A late-published old date must not replace a newer observation, so only rows that extend the
    running maximum of observation dates (in publication order) can become current. With
    ``max_age``, a value whose observation date is older than that at the decision time is NaN
    (its date is still reported: it is the last observation there is).
    """
    out_dates = np.full(len(times), np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(values) == 0:
        return np.full(len(times), np.nan), out_dates
    published_ns = pd.DatetimeIndex(pd.Series(known).array).tz_convert("UTC").as_unit("ns").asi8
    order = np.argsort(published_ns, kind="stable")
    published_ns = published_ns[order]
    date_ns = pd.DatetimeIndex(dates).as_unit("ns").asi8[order]
    vals = np.asarray(values, dtype="float64")[order]
    current = date_ns >= np.maximum.accumulate(date_ns)
    published_ns, vals, date_ns = published_ns[current], vals[current], date_ns[current]
    position = np.searchsorted(published_ns, times.as_unit("ns").asi8, side="right") - 1
    found = position >= 0
    safe = np.clip(position, 0, None)
    out = np.where(found, vals[safe], np.nan)
    out_dates[found] = date_ns[safe][found].astype("datetime64[ns]")
    if max_age is not None:
        decision_day = times.tz_localize(None).normalize().as_unit("ns").asi8
        out[found & (decision_day - date_ns[safe] > max_age.value)] = np.nan
    return out, out_dates
