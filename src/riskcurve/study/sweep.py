"""Breakout sweep: every breakout definition x follower x horizon, in one compiled pass.

The thesis ("a Russell 2000 breakout is followed by ETH/altcoin rallies within 1-3 months")
does not say what a breakout is. Rather than pick one definition and risk having picked the
lucky one, the sweep tries a grid of them (rolling-high lookback, threshold, confirmation
closes, cooldown) and reports, for each definition, follower and horizon, the mean forward
log-return after the events against the follower's unconditional mean. The grid size is
reported alongside, because the best of 500 configurations is expected to look good by
chance; :mod:`riskcurve.study.inference` supplies the adjusted tests.

Calendars: the leader (an equity index) trades on exchange sessions, followers (crypto)
every day. The caller provides ``entry_map[i]``, the index of the first follower bar whose
close comes *after* leader session ``i`` became knowable (``-1`` if none);
:func:`entry_map_after` builds it from timestamps. Horizons count follower bars.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study import _kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
FollowerKind = Literal["close", "log_return"]

#: Forward horizons in follower bars (crypto days): one week to three months.
DEFAULT_HORIZONS: tuple[int, ...] = (7, 14, 30, 45, 60, 90)
#: An entry bar later than this after the leader close is no entry (e.g. before a listing).
MAX_ENTRY_DELAY = pd.Timedelta(days=7)


@dataclass(frozen=True)
class SweepGrid:
    """The breakout definitions to try: the Cartesian product of four parameter lists.

    ``lookbacks``: sessions in the rolling high; ``thresholds``: percent above that old high
    for the first breakout close; ``confirmations``: consecutive closes above the old high
    needed before the breakout counts (the event is the last of them, the first day it is
    knowable); ``cooldowns``: minimum sessions between two events, so one rally is not
    counted as many.
    """

    lookbacks: tuple[int, ...] = (63, 126, 252)
    thresholds: tuple[float, ...] = (0.0, 2.0)
    confirmations: tuple[int, ...] = (1, 3)
    cooldowns: tuple[int, ...] = (21, 63)

    def __post_init__(self) -> None:
        for name in ("lookbacks", "thresholds", "confirmations", "cooldowns"):
            values = getattr(self, name)
            if len(values) == 0:
                raise ValueError(f"SweepGrid.{name} is empty")
            if len(set(values)) != len(values):
                raise ValueError(f"SweepGrid.{name} has duplicates: {values}")
        if min(self.lookbacks) < 1 or min(self.confirmations) < 1 or min(self.cooldowns) < 1:
            raise ValueError("lookbacks, confirmations and cooldowns must be >= 1")
        if min(self.thresholds) < 0:
            raise ValueError("thresholds are percent above the old high and must be >= 0")

    @classmethod
    def default(cls) -> SweepGrid:
        """24 definitions around the usual quarter/half-year/year highs: a quick look."""
        return cls()

    @classmethod
    def full(cls) -> SweepGrid:
        """500 definitions (5 x 5 x 4 x 5): the honest, expensive search."""
        return cls(
            lookbacks=(20, 63, 126, 252, 504),
            thresholds=(0.0, 1.0, 2.0, 3.0, 5.0),
            confirmations=(1, 2, 3, 5),
            cooldowns=(5, 10, 21, 42, 63),
        )

    def __len__(self) -> int:
        return len(self.lookbacks) * len(self.thresholds) * len(self.confirmations) * len(self.cooldowns)

    def definitions(self) -> pd.DataFrame:
        """One row per definition (lookback-major order), with a readable ``label``."""
        rows = list(itertools.product(self.lookbacks, self.thresholds, self.confirmations, self.cooldowns))
        frame = pd.DataFrame(rows, columns=["lookback", "threshold", "confirmation", "cooldown"])
        frame["threshold"] = frame["threshold"].astype(np.float64)
        frame["label"] = [f"L{lb}/k{k:g}%/C{c}/D{d}" for lb, k, c, d in rows]
        return frame


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Event statistics for every (definition, follower, horizon).

    Arrays of statistics are shaped (definitions, followers, horizons); baselines
    (followers, horizons). ``t_stat`` is a screening statistic only: it treats events as
    independent and ignores that the best of many configurations was picked.
    """

    definitions: pd.DataFrame
    followers: pd.Index
    horizons: tuple[int, ...]
    n_events: IntArray
    mean: FloatArray
    sd: FloatArray
    hit_rate: FloatArray
    baseline: FloatArray
    baseline_sd: FloatArray
    baseline_hit_rate: FloatArray
    event_offsets: IntArray
    event_indices: IntArray
    min_events: int

    @property
    def n_configurations(self) -> int:
        """Definitions x followers x horizons: the number of comparisons made."""
        return int(self.n_events.size)

    @property
    def excess(self) -> FloatArray:
        """Mean forward log-return after events minus the follower's unconditional mean."""
        return self.mean - self.baseline[None, :, :]

    @property
    def t_stat(self) -> FloatArray:
        """Excess over its naive standard error; NaN below ``min_events`` events."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.excess / (self.sd / np.sqrt(self.n_events))
        return np.where(self.n_events >= self.min_events, t, np.nan)

    def events(self, definition: int) -> IntArray:
        """Leader-session indices of the events of definition row ``definition``."""
        return self.event_indices[self.event_offsets[definition] : self.event_offsets[definition + 1]]

    def to_frame(self) -> pd.DataFrame:
        """One row per definition x follower x horizon, definition parameters as columns."""
        n_d, n_f, n_h = self.n_events.shape
        d = np.repeat(np.arange(n_d), n_f * n_h)
        frame = self.definitions.iloc[d].reset_index(drop=True)
        frame.insert(0, "definition", d)
        frame["follower"] = np.tile(np.repeat(np.asarray(self.followers, dtype=object), n_h), n_d)
        frame["horizon"] = np.tile(np.asarray(self.horizons), n_d * n_f)
        base = np.broadcast_to(self.baseline[None], self.mean.shape)
        base_hit = np.broadcast_to(self.baseline_hit_rate[None], self.mean.shape)
        for name, values in (
            ("n_events", self.n_events),
            ("mean", self.mean),
            ("sd", self.sd),
            ("baseline", base),
            ("excess", self.excess),
            ("hit_rate", self.hit_rate),
            ("baseline_hit_rate", base_hit),
            ("t_stat", self.t_stat),
        ):
            frame[name] = values.ravel()
        return frame

    def summary(self, top: int = 10) -> str:
        """Size of the search, event counts, and the ``top`` configurations by t-statistic."""
        per_def = np.diff(self.event_offsets)
        t = self.t_stat
        frame = self.to_frame()
        frame = frame.loc[np.isfinite(frame["t_stat"])].nlargest(top, "t_stat")
        cols = ["label", "follower", "horizon", "n_events", "mean", "baseline", "excess"]
        cols += ["hit_rate", "t_stat"]
        n_d, n_f, n_h = self.n_events.shape
        lines = [
            f"Breakout sweep: {n_d} definitions x {n_f} followers x {n_h} horizons "
            f"= {self.n_configurations} configurations",
            f"Events per definition: median {np.median(per_def):g}, min {per_def.min()}, max {per_def.max()}",
            f"Configurations with fewer than {self.min_events} usable events: "
            f"{int(np.sum(~np.isfinite(t)))} (no t-statistic)",
            f"Top {len(frame)} by naive t-statistic (ignores overlap and the number of configurations; "
            "see inference.romano_wolf and placebo_test):",
            frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- inputs


def _leader_array(leader_close: pd.Series | npt.ArrayLike) -> FloatArray:
    arr = np.ascontiguousarray(np.asarray(leader_close, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"leader_close must be one-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        raise DataValidationError(
            f"leader_close has {int(bad.sum())} missing or non-positive closes (first at position "
            f"{int(np.flatnonzero(bad)[0])}); pass exchange sessions only"
        )
    return arr


def _follower_log_prices(
    followers: pd.DataFrame | pd.Series | npt.ArrayLike, kind: FollowerKind
) -> tuple[FloatArray, pd.Index]:
    """(bars, followers) C-contiguous log prices plus follower labels.

    Closes must be positive where present (NaN marks "not trading yet / gap"). Log returns
    may be NaN only before listing and after delisting: an interior NaN return would hide a
    price jump, so it is refused; the bar before the first return counts as unknown.
    """
    names: pd.Index
    if isinstance(followers, pd.DataFrame):
        names = pd.Index(followers.columns)
        arr = followers.to_numpy(dtype=np.float64)
    elif isinstance(followers, pd.Series):
        names = pd.Index([followers.name if followers.name is not None else 0])
        arr = followers.to_numpy(dtype=np.float64)[:, None]
    else:
        arr = np.asarray(followers, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        names = pd.RangeIndex(arr.shape[1])
    if arr.ndim != 2:
        raise ValueError(f"followers must be one- or two-dimensional, got shape {arr.shape}")
    if kind == "close":
        if (arr <= 0).any() or np.isinf(arr).any():
            raise DataValidationError("follower closes must be positive and finite (NaN for missing)")
        with np.errstate(divide="ignore"):
            log_price = np.log(arr)
    elif kind == "log_return":
        finite = np.isfinite(arr)
        seen = np.maximum.accumulate(finite, axis=0)
        ahead = np.maximum.accumulate(finite[::-1], axis=0)[::-1]
        interior = seen & ahead & ~finite
        if interior.any():
            col = names[int(np.flatnonzero(interior.any(axis=0))[0])]
            raise DataValidationError(f"follower {col!r} has NaN log returns between valid ones; pass closes instead")
        log_price = np.where(finite, np.cumsum(np.where(finite, arr, 0.0), axis=0), np.nan)
    else:
        raise ValueError(f"kind must be 'close' or 'log_return', got {kind!r}")
    return np.ascontiguousarray(log_price), names


def _entry_array(entry_map: npt.ArrayLike, n_leader: int, n_bars: int) -> IntArray:
    arr = np.ascontiguousarray(np.asarray(entry_map, dtype=np.int64))
    if arr.shape != (n_leader,):
        raise ValueError(f"entry_map must have one entry per leader session ({n_leader}), got {arr.shape}")
    if arr.size and (arr.min() < -1 or arr.max() >= n_bars):
        raise ValueError(f"entry_map values must be -1 or a follower bar index in [0, {n_bars})")
    return arr


def _horizon_array(horizons: Sequence[int]) -> IntArray:
    arr = np.asarray(horizons, dtype=np.int64)
    if arr.ndim != 1 or arr.size == 0 or (arr < 1).any() or len(set(arr.tolist())) != arr.size:
        raise ValueError(f"horizons must be distinct positive integers, got {horizons!r}")
    return arr


def _definition_arrays(
    close: FloatArray, definitions: pd.DataFrame
) -> tuple[FloatArray, IntArray, FloatArray, IntArray, IntArray]:
    """Per-lookback rolling highs (computed once) and per-definition parameter arrays."""
    lookbacks = np.unique(definitions["lookback"].to_numpy(dtype=np.int64))
    highs = np.stack([_kernels.rolling_prior_max(close, int(lb)) for lb in lookbacks])
    row = np.searchsorted(lookbacks, definitions["lookback"].to_numpy(dtype=np.int64)).astype(np.int64)
    factor = np.array([1.0 + k / 100.0 for k in definitions["threshold"].tolist()], dtype=np.float64)
    confirmation = definitions["confirmation"].to_numpy(dtype=np.int64)
    cooldown = definitions["cooldown"].to_numpy(dtype=np.int64)
    return highs, row, factor, confirmation, cooldown


# --------------------------------------------------------------------------- chunks

ChunkResult = tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray, FloatArray]
ChunkMapper = Callable[[dict[str, npt.NDArray[Any]], list[dict[str, npt.NDArray[Any]]]], Iterator[ChunkResult]]


def sweep_chunk(
    close: FloatArray,
    highs: FloatArray,
    log_price: FloatArray,
    entries: IntArray,
    horizons: IntArray,
    row: IntArray,
    factor: FloatArray,
    confirmation: IntArray,
    cooldown: IntArray,
) -> ChunkResult:
    """Events and forward statistics of one slice of definitions: the unit of work a mapper runs."""
    offsets, events = _kernels.breakout_events_grid(close, highs, row, factor, confirmation, cooldown)
    n_events, mean, sd, hit = _kernels.forward_event_stats(log_price, offsets, events, entries, horizons)
    return offsets, events, n_events, mean, sd, hit


def map_chunks_locally(
    shared: dict[str, npt.NDArray[Any]], chunks: list[dict[str, npt.NDArray[Any]]]
) -> Iterator[ChunkResult]:
    """Run the chunks one after another in this process (memory stays one chunk deep)."""
    for chunk in chunks:
        yield sweep_chunk(**shared, **chunk)


# --------------------------------------------------------------------------- public API


def run_sweep(
    leader_close: pd.Series | npt.ArrayLike,
    followers: pd.DataFrame | pd.Series | npt.ArrayLike,
    entry_map: npt.ArrayLike,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    grid: SweepGrid | None = None,
    *,
    kind: FollowerKind = "close",
    chunk_size: int = 128,
    min_events: int = 5,
    progress: Callable[[int, int], None] | None = None,
    mapper: ChunkMapper | None = None,
) -> SweepResult:
    """Event statistics of every breakout definition in ``grid`` for every follower and horizon.

    ``leader_close``: leader closes on its sessions (finite, positive). ``followers``:
    (bars, followers) closes, or log returns with ``kind="log_return"``; NaN before listing.
    ``entry_map``: per leader session, the follower bar to enter at (see module docstring).
    Definitions are processed ``chunk_size`` at a time so working memory stays bounded
    whatever the grid; ``progress(done, total)`` is called after each chunk. ``mapper`` runs the chunks
    (default: here, one after another; :class:`riskcurve.study.distributed.DaskChunkMapper` spreads
    them over a dask.distributed cluster) and must yield their results in order.
    Cells with fewer than ``min_events`` usable events keep their counts and means but get
    no t-statistic; a :class:`ShortSampleWarning` says how many.
    """
    close = _leader_array(leader_close)
    log_price, names = _follower_log_prices(followers, kind)
    entries = _entry_array(entry_map, close.shape[0], log_price.shape[0])
    h = _horizon_array(horizons)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    definitions = (grid if grid is not None else SweepGrid.default()).definitions()
    highs, row, factor, confirmation, cooldown = _definition_arrays(close, definitions)

    n_defs, n_f, n_h = len(definitions), log_price.shape[1], h.shape[0]
    n_events = np.empty((n_defs, n_f, n_h), dtype=np.int64)
    mean = np.empty((n_defs, n_f, n_h))
    sd = np.empty((n_defs, n_f, n_h))
    hit = np.empty((n_defs, n_f, n_h))
    offsets = [np.zeros(1, dtype=np.int64)]
    event_chunks = []
    slices = [slice(start, min(start + chunk_size, n_defs)) for start in range(0, n_defs, chunk_size)]
    shared = {"close": close, "highs": highs, "log_price": log_price, "entries": entries, "horizons": h}
    chunks = [
        {"row": row[sl], "factor": factor[sl], "confirmation": confirmation[sl], "cooldown": cooldown[sl]}
        for sl in slices
    ]
    results = (mapper or map_chunks_locally)(shared, chunks)
    for sl, (off, ev, n, m, s, hr) in zip(slices, results, strict=True):
        n_events[sl], mean[sl], sd[sl], hit[sl] = n, m, s, hr
        offsets.append(off[1:] + offsets[-1][-1])
        event_chunks.append(ev)
        if progress is not None:
            progress(sl.stop, n_defs)
    _, base_mean, base_sd, base_hit = _kernels.forward_baseline_stats(log_price, h)

    short = int(np.sum(n_events < min_events))
    if short:
        warnings.warn(
            f"{short} of {n_events.size} sweep configurations have fewer than {min_events} usable events",
            ShortSampleWarning,
            stacklevel=2,
        )
    return SweepResult(
        definitions=definitions,
        followers=names,
        horizons=tuple(int(x) for x in h),
        n_events=n_events,
        mean=mean,
        sd=sd,
        hit_rate=hit,
        baseline=base_mean,
        baseline_sd=base_sd,
        baseline_hit_rate=base_hit,
        event_offsets=np.concatenate(offsets),
        event_indices=np.concatenate(event_chunks) if event_chunks else np.empty(0, dtype=np.int64),
        min_events=min_events,
    )


def breakout_events(
    leader_close: pd.Series | npt.ArrayLike,
    lookback: int,
    threshold: float,
    confirmation: int,
    cooldown: int,
) -> IntArray:
    """Leader-session indices of one breakout definition's events (see :class:`SweepGrid`)."""
    grid = SweepGrid((lookback,), (threshold,), (confirmation,), (cooldown,))
    close = _leader_array(leader_close)
    highs, row, factor, conf, cool = _definition_arrays(close, grid.definitions())
    _, events = _kernels.breakout_events_grid(close, highs, row, factor, conf, cool)
    return events


def entry_map_after(
    knowable_at: pd.DatetimeIndex | pd.Series,
    bar_times: pd.DatetimeIndex | pd.Series,
    max_delay: pd.Timedelta = MAX_ENTRY_DELAY,
) -> IntArray:
    """For each leader time, the first follower bar whose close time is strictly later.

    ``knowable_at``: when each leader session's close became public (e.g. 16:00 New York,
    plus any publication delay); ``bar_times``: when each follower bar's close is struck
    (for a daily crypto candle, the *end* of its UTC day), increasing; both tz-aware or both
    naive in the same zone. Bars more than ``max_delay`` later are not entries (``-1``), so
    leader history from before a coin listed maps to nothing instead of its first bar.
    """
    known = pd.DatetimeIndex(knowable_at)
    bars = pd.DatetimeIndex(bar_times)
    if not bars.is_monotonic_increasing:
        raise ValueError("bar_times must be increasing")
    pos = np.asarray(bars.searchsorted(known, side="right"), dtype=np.int64)
    out = np.full(len(known), -1, dtype=np.int64)
    inside = np.flatnonzero(pos < len(bars))
    delay = bars[pos[inside]] - known[inside]
    keep = inside[np.asarray(delay <= max_delay)]
    out[keep] = pos[keep]
    return out


def forward_log_returns(
    followers: pd.DataFrame | pd.Series | npt.ArrayLike,
    entry_map: npt.ArrayLike,
    horizon: int,
    *,
    kind: FollowerKind = "close",
) -> FloatArray:
    """(leader sessions, followers) forward log-return from each session's entry bar.

    This is the outcome series a :func:`riskcurve.study.inference.placebo_test` compares
    event dates against: NaN where the session has no entry bar or the horizon runs past
    the data.
    """
    log_price, _ = _follower_log_prices(followers, kind)
    entries = _entry_array(entry_map, np.shape(entry_map)[0], log_price.shape[0])
    if horizon < 1:
        raise ValueError(f"horizon must be positive, got {horizon}")
    out = np.full((entries.shape[0], log_price.shape[1]), np.nan)
    ok = (entries >= 0) & (entries + horizon < log_price.shape[0])
    e = entries[ok]
    out[ok] = log_price[e + horizon] - log_price[e]
    return out


def signal_excess_returns(
    leader_close: pd.Series | npt.ArrayLike,
    follower: pd.Series | npt.ArrayLike,
    entry_map: npt.ArrayLike,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    grid: SweepGrid | None = None,
    *,
    kind: FollowerKind = "close",
) -> pd.DataFrame:
    """Daily log-return of "hold ``h`` bars after each signal" over a same-exposure passive hold.

    Column (definition label, horizon) holds ``(position_t - exposure) * r_t``: the timing
    strategy minus a constant position equal to its average exposure. Its mean is
    ``exposure * (1 - exposure) * (mean r while held - mean r while flat)``, exactly zero in
    expectation when signals carry no information, and its sample variance matches the
    variance of that contrast (``position_t * (r_t - mean r)`` has the same mean but
    overstates it, which made tests conservative). The matrix is what
    :func:`riskcurve.study.inference.romano_wolf` (or SPA/StepM) needs to test a whole sweep
    on one calendar, overlapping holds left to the bootstrap. Rows: bars with a return.
    """
    close = _leader_array(leader_close)
    log_price, _ = _follower_log_prices(follower, kind)
    if log_price.shape[1] != 1:
        raise ValueError("signal_excess_returns takes a single follower")
    entries = _entry_array(entry_map, close.shape[0], log_price.shape[0])
    h = _horizon_array(horizons)
    definitions = (grid if grid is not None else SweepGrid.default()).definitions()
    highs, row, factor, confirmation, cooldown = _definition_arrays(close, definitions)
    offsets, events = _kernels.breakout_events_grid(close, highs, row, factor, confirmation, cooldown)
    ret = np.diff(log_price[:, 0], prepend=np.nan)
    usable = np.isfinite(ret)
    ret = ret[usable]
    n_bars = log_price.shape[0]
    labels = definitions["label"].tolist()
    # One (columns, rows) block that the frame wraps as it is, not a dict of columns to copy.
    values = np.empty((len(labels) * h.shape[0], ret.shape[0]))
    for d in range(len(labels)):
        ev_entries = entries[events[offsets[d] : offsets[d + 1]]]
        for i, horizon in enumerate(h):
            held = _kernels.holding_positions(n_bars, ev_entries, int(horizon))[usable]
            values[d * h.shape[0] + i] = (held - held.mean()) * ret
    index = follower.index[usable] if isinstance(follower, pd.Series) else pd.Index(np.flatnonzero(usable))
    columns = pd.MultiIndex.from_product([labels, [int(x) for x in h]], names=["definition", "horizon"])
    return pd.DataFrame(values.T, index=index, columns=columns, copy=False)
