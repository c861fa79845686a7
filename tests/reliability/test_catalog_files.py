"""Catalog files are checked against a schema: every mistake is an error naming the file, the entry,
the key and what the key takes; a misspelled key is an error with a suggestion (it used to be ignored,
and a typo in ``plausible`` silently removed the unit guard)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskcurve.catalog import load_catalog
from riskcurve.cli import app
from riskcurve.errors import CatalogError

GOOD = """\
[[series]]
id = "QQQ"
name = "Invesco QQQ"
asset_class = "etf"
kind = "ohlcv"
units = "usd"
frequency = "daily"
calendar = "nyse"
release = { time = "16:00", tz = "America/New_York" }
csv = "equities/QQQ.csv"
"""


def entry(line: str, drop: str | None = None) -> str:
    """The good entry with ``line`` added (a key it already has is replaced) and key ``drop`` removed."""
    key = line.split("=")[0].strip()
    kept = [x for x in GOOD.splitlines() if x.split("=")[0].strip() not in {key, drop}]
    return "\n".join([*kept, line]) + "\n"


CASES = [
    # (id, file body, regexes the message must match, beyond the file and entry names)
    (
        "plausible_number",
        entry("plausible = 5"),
        [r"key 'plausible': expected a list \[low, high\] of two numbers, got 5"],
    ),
    ("plausible_text", entry('plausible = ["1", 2]'), [r"key 'plausible': expected a list \[low, high\]", "got '1'"]),
    ("plausible_three", entry("plausible = [1, 2, 3]"), [r"key 'plausible': expected a list \[low, high\]"]),
    ("plausible_reversed", entry("plausible = [5, 1]"), [r"plausible must be \[low, high\] with low < high"]),
    ("release_text", entry('release = "16:00"'), [r"key 'release': expected a table such as \{ time = "]),
    (
        "release_time_number",
        entry("release = { time = 16 }"),
        [r"key 'release.time': expected a time \"HH:MM\" \(text\), got 16"],
    ),
    ("release_time_words", entry('release = { time = "4pm" }'), [r"key 'release.time': expected a time \"HH:MM\""]),
    (
        "release_days_text",
        entry('release = { days = "1" }'),
        [r"key 'release.days': expected a valid integer, got '1'"],
    ),
    ("release_typo", entry('release = { tme = "16:00" }'), [r"unknown key 'release.tme' \(did you mean 'time'\?\)"]),
    ("release_tz", entry('release = { tz = "Mars/Olympus" }'), [r"invalid release rule"]),
    ("csv_number", entry("csv = 5"), [r"key 'csv': expected a path \(text\) or a table"]),
    (
        "csv_ignore_numbers",
        entry('csv = { path = "x.csv", ignore = [1] }'),
        [r"key 'csv.ignore': expected a list of column names"],
    ),
    (
        "csv_path_missing",
        entry('csv = { pth = "x.csv" }'),
        [r"missing required key 'csv.path'", r"unknown key 'csv.pth' \(did you mean 'path'\?\)"],
    ),
    (
        "csv_on_duplicate",
        entry('csv = { path = "x.csv", on_duplicate = "last" }'),
        [r"key 'csv.on_duplicate'", "'last'"],
    ),
    ("plausable", entry("plausable = [1, 1000]"), [r"unknown key 'plausable' \(did you mean 'plausible'\?\)"]),
    ("colour", entry('colour = "red"'), [r"unknown key 'colour' \(known keys: id, name, "]),
    ("unknown_key_named_like_a_type", entry("strength = 1"), [r"unknown key 'strength' \(known keys: "]),
    ("stablecoin_number", entry("stablecoin = 1"), [r"key 'stablecoin': expected a valid boolean, got 1"]),
    (
        "max_jump_below_one",
        entry("max_jump = 0.5"),
        [r"key 'max_jump': expected a factor above 1 \(number\) or \"off\", got 0.5"],
    ),
    ("max_jump_text", entry('max_jump = "big"'), [r"key 'max_jump': expected a factor above 1"]),
    ("symbols_number", entry("symbols = { yahoo = 5 }"), [r"key 'symbols.yahoo': expected a valid string, got 5"]),
    ("name_missing", entry('units = "usd"', drop="name"), [r"missing required key 'name'"]),
    (
        "frequency_hourly",
        entry('frequency = "hourly"'),
        [r"frequency='hourly' is not one of 'daily', 'weekly' or 'monthly'"],
    ),
    ("members_without_main_field", entry('kind = "members"'), [r"a members series needs main_field"]),
]


@pytest.mark.parametrize(("body", "messages"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_entry_names_file_entry_key_and_type(tmp_path: Path, body: str, messages: list[str]) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        load_catalog([path])
    text = str(raised.value)
    assert text.startswith(f"{path} entry 1 (series QQQ): "), text
    for message in messages:
        assert re.search(message, text), (message, text)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("series = [1, 2]\n", r"entry 1: expected a \[\[series\]\] table, got 1"),
        ('series = "RUT"\n', r"expected \[\[series\]\] tables, got series = 'RUT'"),
        ("[[serie]]\nid = 'X'\n", r"unknown top-level key 'serie' \(did you mean 'series'\?\)"),
        (GOOD + GOOD, r"series id 'QQQ' appears twice"),
        ("[[series]\n", r"not valid TOML"),
    ],
    ids=["series_numbers", "series_text", "serie", "duplicate_id", "bad_toml"],
)
def test_a_bad_file_names_itself(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as raised:
        load_catalog([path])
    assert str(path) in str(raised.value)


def test_a_catalog_path_that_is_a_directory_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist or is not a file"):
        load_catalog([tmp_path])
    latin = tmp_path / "latin.toml"
    latin.write_bytes(GOOD.replace("Invesco", "Invesc\xf6").encode("latin-1"))
    with pytest.raises(CatalogError, match=r"latin\.toml is not UTF-8 text: invalid start byte at byte \d+"):
        load_catalog([latin])


def test_the_cli_reports_a_catalog_mistake_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(entry("plausable = [1, 1000]"), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["series", "--db", str(tmp_path / "s.duckdb")], env={"RISKCURVE_CATALOG": str(path)}
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "unknown key 'plausable' (did you mean 'plausible'?)" in text


def test_limits_parse_and_off_disables(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(entry("max_jump = 3") + 'max_level = "off"\n', encoding="utf-8")
    spec = load_catalog([path])["QQQ"]
    assert (spec.max_jump, spec.max_level) == (3.0, None)
    assert load_catalog()["IWM"].max_jump == 1.5  # the etf default
