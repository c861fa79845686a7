"""Bad CLI arguments, config files and event files: each is exit 2 with one clear line that names the
problem, never a traceback, and the store a command ran against is byte for byte unchanged."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from riskcurve.cli import app
from riskcurve.config import load_settings

runner = CliRunner()


@dataclass(frozen=True)
class Case:
    """``args`` may hold {db}, {dir}, {file}, {tmp}; ``config``/``events`` is a file's content (bytes
    for non-UTF-8), passed through RISKCURVE_CONFIG / RISKCURVE_EVENTS."""

    args: tuple[str, ...]
    names: str  # what the message must say
    config: str | bytes | None = None
    events: str | bytes | None = None


AS_OF = ["", "nan", "NaT", "-1", "0000-01-01", "0001-01-01", "2262-04-11", "2263-01-01"]

CLI_CASES: dict[str, Case] = {
    **{f"status-as-of-{v or 'empty'}": Case(("status", "--as-of", v), f"as-of {v!r}") for v in AS_OF},
    **{
        f"report-as-of-{v or 'empty'}": Case(("report", "--as-of", v, "--out", "{tmp}/r.html"), f"as-of {v!r}")
        for v in ("", "NaT", "0001-01-01", "2263-01-01")
    },
    **{
        f"study-as-of-{v or 'empty'}": Case(("study", "--as-of", v), f"as-of {v!r}")
        for v in ("nan", "-1", "2262-04-11")
    },
    "update-series-empty": Case(("update", "--series", "", "--data-dir", "{dir}"), "--series is empty"),
    "update-series-commas": Case(("update", "--series", ",", "--data-dir", "{dir}"), "--series is empty"),
    "update-series-markup": Case(("update", "--series", "[/x]", "--data-dir", "{dir}"), "unknown series '[/x]'"),
    "update-since-2263": Case(
        ("update", "--series", "RUT", "--since", "2263-01-01", "--data-dir", "{dir}"),
        "--since 2263-01-01 is after today",
    ),
    "study-horizons-huge": Case(
        ("study", "--horizons", "1000000000"), "--horizons must be whole numbers from 1 to 3650"
    ),
    "study-horizons-zero": Case(("study", "--horizons", "0"), "from 1 to 3650, got '0'"),
    "study-horizons-text": Case(("study", "--horizons", "abc"), "--horizons must be comma-separated whole numbers"),
    "study-followers-empty": Case(("study", "--followers", ""), "--followers is empty"),
    "study-followers-commas": Case(("study", "--followers", " , "), "--followers is empty"),
    "study-followers-markup": Case(("study", "--followers", "[/x]"), "unknown series '[/x]'"),
    "study-leader-empty": Case(("study", "--leader", ""), "--leader is empty"),
    "study-leader-two": Case(("study", "--leader", "RUT,SPX"), "--leader takes one series id"),
    "study-start-far-future": Case(
        ("study", "--start", "9999-01-01"), "--start '9999-01-01' is outside the accepted range 1900-01-01"
    ),
    "study-end-year-one": Case(("study", "--end", "0001-01-01"), "--end '0001-01-01' is outside the accepted range"),
    "study-start-not-a-date": Case(("study", "--start", "[/x]"), "--start '[/x]' is not a date"),
    "study-scheduler-markup": Case(("study", "--scheduler", "[/x]"), "--scheduler must be 'local' or an address"),
    "study-grid": Case(("study", "--grid", "huge"), "--grid must be 'default' or 'full'"),
    "study-out-a-file": Case(("study", "--out", "{file}"), "is a file; give a directory"),
    "report-out-a-directory": Case(("report", "--out", "{dir}"), "is a directory; give a file path"),
    "report-out-under-a-file": Case(("report", "--out", "{file}/r.html"), "is a file, not a directory"),
    "watch-interval-empty": Case(("watch", "--once", "--interval", ""), "interval '' is not a duration"),
}

STORE_CASES: dict[str, Case] = {
    "status-db-a-directory": Case(("status", "--db", "{dir}"), "is a directory; give the store's .duckdb file"),
    "update-db-a-directory": Case(("update", "--db", "{dir}", "--data-dir", "{dir}"), "--db"),
    "series-db-garbage": Case(("series", "--db", "{tmp}/garbage.duckdb"), "not a valid DuckDB database file"),
    "status-db-truncated": Case(("status", "--db", "{tmp}/truncated.duckdb"), "cannot open store"),
}

CONFIG_CASES: dict[str, Case] = {
    "paths-db-int": Case((), "[paths] db: Input should be a valid string (got 5)", config="[paths]\ndb = 5\n"),
    "paths-db-empty": Case((), "[paths] db: String should have at least 1 character", config='[paths]\ndb = ""\n'),
    "paths-data-dir-int": Case((), "[paths] data_dir", config="[paths]\ndata_dir = 5\n"),
    "paths-catalog-string": Case(
        (), "[paths] catalog: Input should be a valid list", config='[paths]\ncatalog = "x.toml"\n'
    ),
    "paths-events-ints": Case(
        (), "[paths] events item 1: Input should be a valid string", config="[paths]\nevents = [1, 2]\n"
    ),
    "paths-misspelled-key": Case((), "[paths] dbb: unknown key; did you mean 'db'?", config='[paths]\ndbb = "x"\n'),
    "section-misspelled": Case((), "unknown sections ['pahts']; did you mean 'paths'?", config='[pahts]\ndb = "x"\n'),
    "paths-not-a-table": Case((), "[paths]: expected a table, got 5", config="paths = 5\n"),
    "config-not-utf8": Case((), "not UTF-8 text", config=b"\xff\xfe[paths]\n"),
    "config-not-toml": Case((), "not valid TOML", config="[paths\n"),
}

EVENT_CASES: dict[str, Case] = {
    "event-a-string": Case((), "event: Input should be a valid list (got 'x')", events='event = "x"\n'),
    "event-ints": Case((), "event 1: expected a table, got 1", events="event = [1, 2]\n"),
    "event-bad-date": Case(
        (),
        "event 1: date: month must be in 1..12",
        events='[[event]]\ndate = "2026-13-01"\nkind = "fed"\ntitle = "t"\n',
    ),
    "event-date-number": Case(
        (), "event 1: date: expected a date YYYY-MM-DD", events='[[event]]\ndate = 5\nkind = "fed"\ntitle = "t"\n'
    ),
    "event-date-9999": Case(
        (),
        "outside the accepted range 1900-01-01 .. 2199-12-31",
        events='[[event]]\ndate = "9999-12-31"\nkind = "fed"\ntitle = "t"\n',
    ),
    "event-bad-kind": Case(
        (),
        "event 1: kind: 'gossip' is not one of crypto, fed",
        events='[[event]]\ndate = "2026-01-01"\nkind = "gossip"\ntitle = "t"\n',
    ),
    "event-misspelled-key": Case(
        (),
        "event 1: titel: unknown key; did you mean 'title'?",
        events='[[event]]\ndate = "2026-01-01"\nkind = "fed"\ntitel = "t"\n',
    ),
    "event-unknown-key": Case(
        (),
        "event 1: colour: unknown key; known keys: date, end, kind, note, title",
        events='[[event]]\ndate = "2026-01-01"\nkind = "fed"\ntitle = "t"\ncolour = "red"\n',
    ),
    "event-misspelled-table": Case(
        (),
        "events: unknown key; did you mean 'event'?",
        events='[[events]]\ndate = "2026-01-01"\nkind = "fed"\ntitle = "t"\n',
    ),
    "event-title-number": Case(
        (),
        "event 1: title: Input should be a valid string (got 5)",
        events='[[event]]\ndate = "2026-01-01"\nkind = "fed"\ntitle = 5\n',
    ),
    "event-end-before-date": Case(
        (),
        "event 1: end 2025-01-01 is before date 2026-01-01",
        events='[[event]]\ndate = "2026-01-01"\nend = "2025-01-01"\nkind = "fed"\ntitle = "t"\n',
    ),
    "event-not-utf8": Case((), "not UTF-8 text", events=b"\xff\xfe[[event]]\n"),
}


@pytest.fixture(scope="module")
def store_copy(real_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the real store per module: commands that should refuse must leave it as it was."""
    path = tmp_path_factory.mktemp("bad-input") / "store.duckdb"
    shutil.copy(real_store_path, path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def places(tmp_path: Path, store_copy: Path, real_store_path: Path) -> Iterator[dict[str, str]]:
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "garbage.duckdb").write_bytes(b"\x00not a database" * 64)
    (tmp_path / "truncated.duckdb").write_bytes(real_store_path.read_bytes()[:5000])
    before = _digest(store_copy)
    yield {
        "db": str(store_copy),
        "dir": str(tmp_path / "a-directory"),
        "file": str(tmp_path / "a-file"),
        "tmp": str(tmp_path),
    }
    assert _digest(store_copy) == before, "a refused command changed the store"


def _run(case: Case, places: dict[str, str], tmp_path: Path, default_args: tuple[str, ...]) -> Result:
    env = {"RISKCURVE_CONFIG": None, "RISKCURVE_EVENTS": None, "RISKCURVE_CATALOG": None, "RISKCURVE_DB": None}
    for key, content in (("RISKCURVE_CONFIG", case.config), ("RISKCURVE_EVENTS", case.events)):
        if content is not None:
            path = tmp_path / f"{key.lower()}.toml"
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
            env[key] = str(path)
    args = [a.format(**places) for a in (case.args or default_args)]
    if "--db" not in args:
        args += ["--db", places["db"]]
    return runner.invoke(app, args, env=env)


def _assert_refused(result: Result, case: Case) -> None:
    text = " ".join(result.output.split())  # Rich wraps long lines at the terminal width
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and (result.exception is None or isinstance(result.exception, SystemExit))
    assert text.startswith("error:") and case.names in text, result.output


@pytest.mark.parametrize("case", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_bad_cli_argument_is_one_clear_line(case: Case, places: dict[str, str], tmp_path: Path) -> None:
    _assert_refused(_run(case, places, tmp_path, ()), case)


@pytest.mark.parametrize("case", STORE_CASES.values(), ids=STORE_CASES.keys())
def test_a_db_that_is_not_a_store_is_refused(case: Case, places: dict[str, str], tmp_path: Path) -> None:
    _assert_refused(_run(case, places, tmp_path, ()), case)


@pytest.mark.parametrize("case", CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_bad_config_file_names_file_key_and_type(case: Case, places: dict[str, str], tmp_path: Path) -> None:
    result = _run(case, places, tmp_path, ("series",))
    _assert_refused(result, case)
    assert "riskcurve_config.toml" in result.output


@pytest.mark.parametrize("case", EVENT_CASES.values(), ids=EVENT_CASES.keys())
def test_bad_event_file_names_file_event_and_key(case: Case, places: dict[str, str], tmp_path: Path) -> None:
    result = _run(case, places, tmp_path, ("status",))
    _assert_refused(result, case)
    assert "riskcurve_events.toml" in result.output


@pytest.mark.parametrize("command", ["status", "report", "study"])
def test_config_path_that_is_a_directory(command: str, places: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(app, [command, "--db", places["db"]], env={"RISKCURVE_CONFIG": places["dir"]})
    _assert_refused(result, Case((), f"{places['dir']} is a directory, not a TOML file"))


def test_event_path_that_is_a_directory(places: dict[str, str]) -> None:
    result = runner.invoke(app, ["status", "--db", places["db"]], env={"RISKCURVE_EVENTS": places["dir"]})
    _assert_refused(result, Case((), f"{places['dir']} is a directory, not a TOML file"))


def test_markup_in_a_store_path_prints_as_text(places: dict[str, str], tmp_path: Path) -> None:
    """A path like ``[red]/store.duckdb`` is text in the tables' titles, not a style that eats it."""
    marked = tmp_path / "[red]" / "s[bold].duckdb"
    marked.parent.mkdir()
    shutil.copy(places["db"], marked)
    result = runner.invoke(app, ["series", "--db", str(marked)])
    assert result.exit_code == 0, result.output
    assert "[red]/s[bold].duckdb" in "".join(result.output.split())


def test_a_valid_config_still_loads(tmp_path: Path) -> None:
    """The schema refuses mistakes only: every documented key loads, and the environment still wins."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[paths]\ndb = "~/rc.duckdb"\ndata_dir = "data"\ncatalog = ["a.toml", "b.toml"]\nevents = ["e.toml"]\n'
        "[board]\nreturn_window = 42\n[stages]\nconfirm_sessions = 5\n"
    )
    settings = load_settings({}, config_path=config)
    assert settings.db_path == Path("~/rc.duckdb").expanduser() and settings.data_dir == Path("data")
    assert settings.catalog_paths == (Path("a.toml"), Path("b.toml")) and settings.event_paths == (Path("e.toml"),)
    assert settings.section("board") == {"return_window": 42} and settings.section("stages") == {"confirm_sessions": 5}
    assert load_settings({"RISKCURVE_DB": "/x.duckdb"}, config_path=config).db_path == Path("/x.duckdb")
