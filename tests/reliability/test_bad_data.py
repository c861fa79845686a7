"""A corpus of bad CSV inputs: each is refused with a message naming the problem (file and line
where there is one), and the store is left exactly as it was (same observations, same state, same
file size). Inputs are real files with one realistic fault added, derived from the files at test time.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskcurve
from riskcurve.cli import app
from tests.conftest import day_after, read_data, row_count

FILES = {
    "RUT": "equities/RUT.csv",
    "IWM": "equities/IWM.csv",
    "WALCL": "fred/WALCL.csv",
    "WTREGEN": "fred/WTREGEN.csv",
    "RRPONTSYD": "fred/RRPONTSYD.csv",
    "BTC": "crypto/BTC.csv",
    "ETH": "crypto/ETH.csv",
}


# DuckDB checkpoints copy-on-write: the fetch_log block that records a refusal is rewritten to a free
# block, which may sit at the end of the file. So a refused run may move the file by this one block
# and back, never more (it used to add the whole refused input, 7.6 MB per run for a 5 MB cell).
BLOCK = 256 * 1024


def store_checksum(db: Path) -> tuple[object, ...]:
    """Rows and an order-free hash of every observation and every state entry (fingerprints): equal
    checksums mean the store holds the same data. fetch_log is left out: it records the refusal."""
    with duckdb.connect(str(db), read_only=True) as con:
        obs = con.execute(
            "SELECT count(*), sum(hash(series_id, member, field, date, value, available_at, source)) FROM observations"
        ).fetchone()
        state = con.execute("SELECT count(*), sum(hash(key, value)) FROM app_state").fetchone()
    assert obs is not None and state is not None
    return (*obs, *state)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Path]:
    """The seven real files and a store holding them, built once; each case works on copies."""
    root = tmp_path_factory.mktemp("bad") / "data"
    for rel in FILES.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / rel, root / rel)
    db = root.parent / "base.duckdb"
    report = riskcurve.open(db, data_dir=root).update(list(FILES))
    assert report.ok, report.failed
    return root, db


@pytest.fixture
def case_dirs(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    root, db = base
    shutil.copytree(root, tmp_path / "data")
    shutil.copy(db, tmp_path / "store.duckdb")
    return tmp_path / "data", tmp_path / "store.duckdb"


# ------------------------------------------------------------------ mutations of a real file
Mutation = Callable[[Path, str], None]


def _last(path: Path) -> pd.Series:
    return read_data(path).iloc[-1]


def _append(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")


def _num(value: object) -> str:
    return "" if pd.isna(value) else f"{float(value):.10g}"  # type: ignore[arg-type]


def ohlcv_row(day: str, o: object, h: object, lo: object, c: object, v: object, extra: int) -> str:
    return ",".join([day, _num(o), _num(h), _num(lo), _num(c), _num(v)] + [""] * extra)


def scaled(factor: float) -> Mutation:
    """A new row at ``factor`` times the last one (a unit change in the feed)."""

    def mutate(path: Path, rel: str) -> None:
        last, day = _last(path), day_after(path.parents[1], rel)
        if "close" in last:
            extra = len(last) - 6
            _append(
                path,
                ohlcv_row(day, *(last[c] * factor for c in ("open", "high", "low", "close")), last["volume"], extra),
            )
        else:
            _append(path, f"{day},{last['value'] * factor:.10g}")

    return mutate


def repeated(mutation: Mutation, times: int) -> Mutation:
    """``mutation`` applied ``times`` times: with ``scaled``, rows each a step above the one before."""

    def mutate(path: Path, rel: str) -> None:
        for _ in range(times):
            mutation(path, rel)

    return mutate


def new_row(**cells: object) -> Mutation:
    """A new OHLCV row like the last one, with ``cells`` replaced (None: empty)."""

    def mutate(path: Path, rel: str) -> None:
        last = _last(path)
        values = {c: last[c] for c in ("open", "high", "low", "close", "volume")} | cells
        day = str(values.pop("date", day_after(path.parents[1], rel)))
        _append(
            path,
            ",".join([day] + [v if isinstance(v, str) else _num(v) for v in values.values()] + [""] * (len(last) - 6)),
        )

    return mutate


def raw_line(make: Callable[[pd.Series, str], str]) -> Mutation:
    def mutate(path: Path, rel: str) -> None:
        _append(path, make(_last(path), day_after(path.parents[1], rel)))

    return mutate


def keep_rows(count: Callable[[int], int]) -> Mutation:
    """Cut the file to its header and its first ``count(rows)`` rows."""

    def mutate(path: Path, rel: str) -> None:
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(lines[: 1 + count(len(lines) - 1)]) + "\n", encoding="utf-8")

    return mutate


def drop_row(path: Path, rel: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    del lines[len(lines) // 2]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write(text: str | bytes) -> Mutation:
    def mutate(path: Path, rel: str) -> None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return mutate


def with_header(header: str) -> Mutation:
    def mutate(path: Path, rel: str) -> None:
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")

    return mutate


def revise_all(factor: float) -> Mutation:
    """Every price of the file times ``factor``: the whole history re-sent in other units."""

    def mutate(path: Path, rel: str) -> None:
        frame = read_data(path)
        for column in ("open", "high", "low", "close"):
            frame[column] = frame[column] * factor
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")

    return mutate


FUTURE = (pd.Timestamp.now(tz="UTC").normalize() + pd.Timedelta(days=60)).strftime("%Y-%m-%d")
NEXT_LINE = r"line (?P<line>\d+)"  # checked against the file's new last line where it applies


@dataclass(frozen=True)
class Case:
    id: str
    series: str
    mutate: Mutation
    message: str  # regex the refusal must match
    appended: bool = True  # the message names the file's new last line


CASES = [
    # unit and scale changes in new rows (issue 9's examples first)
    Case("wtregen_div_1000", "WTREGEN", scaled(1e-3), r"value=\S+ is 0\.001x the previous value"),
    # issue 9's literal row: a TGA level in billions appended to a file in millions
    Case("wtregen_issue_row", "WTREGEN", raw_line(lambda last, day: f"{day},953.612"), r"value=953\.612 is 0\.00\d+x"),
    Case("wtregen_times_1000", "WTREGEN", scaled(1e3), r"value=\S+ is outside the plausible range"),
    Case("rut_times_10", "RUT", scaled(10), r"close=\S+ is 10x the previous value .* a unit change"),
    Case("rut_div_10", "RUT", scaled(0.1), r"is 0\.1x the previous value"),
    Case("iwm_times_10", "IWM", scaled(10), r"is 10x the previous value"),
    Case("btc_cents", "BTC", scaled(100), r"is 100x the previous value"),
    Case("eth_thousandth", "ETH", scaled(1e-3), r"is 0\.001x the previous value"),
    Case("walcl_billions", "WALCL", scaled(1e-3), r"value=\S+ is outside the plausible range"),
    # 5x, 25x, 125x: no single day beyond the 6x crypto limit, the level far beyond 40x the median
    Case(
        "eth_creeping",
        "ETH",
        repeated(scaled(5), 3),
        r"close=\S+ is \S+x the median of the previous 20 .* beyond the 40x",
    ),
    Case("rut_history_times_10", "RUT", revise_all(10), r"UnitMismatchError: RUT: \d+ incoming values are ~10x", False),
    # OHLCV consistency
    Case("rut_open_5e9", "RUT", new_row(open=5e9), r"high \S+ is below max\(open, close\) = 5e\+09"),
    Case("rut_high_below_close", "RUT", new_row(high=1.0), r"high 1 is below max\(open, close\)"),
    Case("rut_low_above_open", "RUT", new_row(low=1e5), r"low 100000 is above min\(open, close\)"),
    Case(
        "rut_high_below_low", "RUT", new_row(open=None, close=None, high=100.0, low=200.0), r"high 100 is below low 200"
    ),
    Case("iwm_negative_volume", "IWM", new_row(volume=-1000), r"negative volume -1000"),
    Case("btc_negative_volume", "BTC", new_row(volume=-1000), r"negative volume -1000"),
    Case("btc_zero_open", "BTC", new_row(open=0.0), r"non-positive price 0\.0 \(open\)"),
    Case("rut_negative_close", "RUT", new_row(close=-5.0), r"non-positive price -5\.0 \(close\)"),
    # cells
    Case("rut_nan_close", "RUT", new_row(close="NaN"), r"column 'close' has unparsable number 'NaN'"),
    Case("rut_inf_high", "RUT", new_row(high="inf"), r"column 'high' is not finite \(inf\)"),
    Case("rut_comma_decimal", "RUT", new_row(close='"2,5"'), r"column 'close' has unparsable number '2,5'"),
    Case(
        "rrp_na_text",
        "RRPONTSYD",
        raw_line(lambda last, day: f"{day},n/a"),
        r"column 'value' has unparsable number 'n/a'",
    ),
    Case("walcl_markup_cell", "WALCL", raw_line(lambda last, day: f"{day},[/x]"), r"unparsable number '\[/x\]'"),
    Case("rut_bad_date", "RUT", new_row(date="2026-13-45"), r"unparsable date '2026-13-45'"),
    Case(
        "rut_duplicate_date", "RUT", raw_line(lambda last, day: f"{last['date']:%Y-%m-%d},1,2,1,2,"), r"duplicate date"
    ),
    Case(
        "walcl_out_of_order", "WALCL", raw_line(lambda last, day: "2001-01-03,700000"), r"date out of order 2001-01-03"
    ),
    # rows dated after the run
    Case("rut_future_row", "RUT", new_row(date=FUTURE), rf"row dated {FUTURE} is after the run"),
    Case("walcl_future_row", "WALCL", raw_line(lambda last, day: f"{FUTURE},{last['value']}"), r"is after the run"),
    # truncated files: the store keeps its rows, the run says so
    Case("rut_cut_to_header", "RUT", keep_rows(lambda n: 0), r"RUT\.csv holds fewer rows than the store", False),
    Case("rut_cut_to_half", "RUT", keep_rows(lambda n: n // 2), r"RUT\.csv holds fewer rows than the store", False),
    Case("walcl_row_deleted", "WALCL", drop_row, r"WALCL\.csv holds fewer rows than the store: 1 stored row", False),
    Case(
        "btc_last_row_cut",
        "BTC",
        keep_rows(lambda n: n - 1),
        r"BTC\.csv holds fewer rows than the store: \d+ stored row\(s\) dated (\S+)\.\.\1 are missing",
        False,
    ),
    # the file as a whole
    Case("rut_empty_file", "RUT", write(""), r"RUT\.csv: file is empty", False),
    Case(
        "rut_not_utf8",
        "RUT",
        write(b"date,open,high,low,close,volume\n2020-01-02,\xff\xfe,1,1,1,\n"),
        r"not UTF-8 text",
        False,
    ),
    Case("rut_ragged_row", "RUT", raw_line(lambda last, day: f"{day},1,2,1,2,3,4,5"), r"not a well-formed CSV", False),
    Case(
        "rut_renamed_column",
        "RUT",
        with_header("date,open,high,low,close,colour"),
        r"unexpected column\(s\) colour",
        False,
    ),
    Case(
        "walcl_no_date_column", "WALCL", with_header("day,value"), r"missing column 'date' \(header: day,value\)", False
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_csv_is_refused_and_changes_nothing(case: Case, case_dirs: tuple[Path, Path]) -> None:
    root, db = case_dirs
    rel = FILES[case.series]
    case.mutate(root / rel, rel)
    before, size = store_checksum(db), db.stat().st_size

    report = riskcurve.open(db, data_dir=root).update([case.series])

    (result,) = report.results
    assert (report.ok, result.status) == (False, "failed")
    assert re.search(case.message, result.message), result.message
    assert rel in result.message
    if case.appended:
        assert re.search(rf"{re.escape(rel)}, line {row_count(root, rel) + 1}\b", result.message), result.message
    assert store_checksum(db) == before
    assert db.stat().st_size <= size + BLOCK


def test_a_huge_cell_is_cut_in_the_message_and_the_store_keeps_its_size(case_dirs: tuple[Path, Path]) -> None:
    root, db = case_dirs
    rel = FILES["RUT"]
    new_row(close="x" * 5_000_000)(root / rel, rel)
    before, size = store_checksum(db), db.stat().st_size
    for _ in range(4):  # each failed run used to add 7.6 MB
        (result,) = riskcurve.open(db, data_dir=root).update(["RUT"]).results
        assert result.status == "failed"
        assert "unparsable number 'xxxxx" in result.message
        assert len(result.message) < 400, len(result.message)
        assert db.stat().st_size <= size + BLOCK
    assert store_checksum(db) == before


def test_the_cli_refuses_with_exit_1_and_names_file_and_line(case_dirs: tuple[Path, Path]) -> None:
    root, db = case_dirs
    rel = FILES["WTREGEN"]
    last = _last(root / rel)
    _append(root / rel, f"{day_after(root, rel)},{last['value'] / 1000:.10g}")
    before = store_checksum(db)
    result = CliRunner().invoke(app, ["update", "--data-dir", str(root), "--db", str(db), "--series", "WTREGEN"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "WTREGEN.csv, line" in text and "0.001x the previous value" in text
    assert store_checksum(db) == before


def test_good_new_rows_still_land(case_dirs: tuple[Path, Path]) -> None:
    """The limits refuse unit slips, not markets: a 15% Russell session and a 4x small-cap day land."""
    root, db = case_dirs
    scaled(0.85)(root / FILES["RUT"], FILES["RUT"])
    scaled(4.0)(root / FILES["ETH"], FILES["ETH"])
    report = riskcurve.open(db, data_dir=root).update(["RUT", "ETH"])
    assert report.ok, report.failed
    assert [r.new_rows for r in report.results] == [4, 4]


def test_the_real_data_imports_with_no_refusal(real_store_path: Path) -> None:
    """The fixture asserts report.ok over every real file; the series whose history needs its own
    limits (the TGA's 2008 swings, SHIB's 2021 mania, LUNC's collapse) are all in."""
    with duckdb.connect(str(real_store_path), read_only=True) as con:
        held = {row[0] for row in con.execute("SELECT DISTINCT series_id FROM observations").fetchall()}
    assert {"WTREGEN", "SHIB", "LUNC", "RUT", "BTC"} <= held


@pytest.mark.parametrize(("series", "factor"), [("RUT", 10.0), ("WTREGEN", 1e-3), ("BTC", 100.0)])
def test_a_unit_change_is_refused_against_the_store_when_the_input_holds_only_new_rows(
    case_dirs: tuple[Path, Path], series: str, factor: float
) -> None:
    """``--since`` the new day: the input has no history of its own, the store's is used."""
    root, db = case_dirs
    rel = FILES[series]
    day = day_after(root, rel)
    scaled(factor)(root / rel, rel)
    before = store_checksum(db)
    report = riskcurve.open(db, data_dir=root).update([series], since=pd.Timestamp(day).date())
    (result,) = report.results
    assert result.status == "failed"
    assert re.search(rf"{re.escape(rel)}, {day}: \w+=\S+ is {factor:g}x the previous value", result.message)
    assert store_checksum(db) == before
