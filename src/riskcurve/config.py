"""One settings object, read from a TOML file and environment variables; no module-level state.

Precedence: explicit arguments (CLI flags) > environment > config file > defaults. The config file is
``RISKCURVE_CONFIG`` or ``<user config dir>/riskcurve/config.toml`` when it exists.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from riskcurve.errors import ConfigError, RiskcurveError, unknown_key_hint


@dataclass(frozen=True)
class Settings:
    """Where things live, plus the raw ``[board]`` and ``[stages]`` tables (the service parses them once
    into typed configurations, see ``riskcurve.service.parse_sections``)."""

    db_path: Path
    data_dir: Path | None = None
    config_path: Path | None = None  # the TOML file the sections came from (named in config errors)
    catalog_paths: tuple[Path, ...] = ()
    event_paths: tuple[Path, ...] = ()
    claim_paths: tuple[Path, ...] = ()
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    def with_overrides(self, *, db_path: Path | None = None, data_dir: Path | None = None) -> Settings:
        return replace(
            self,
            db_path=db_path if db_path is not None else self.db_path,
            data_dir=data_dir if data_dir is not None else self.data_dir,
        )


FilePath = typing.Annotated[str, Field(min_length=1)]


class PathsSection(BaseModel):
    """``[paths]``: a misspelled key is an error (silently ignored, it would point riskcurve elsewhere)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    db: FilePath | None = None
    data_dir: FilePath | None = None
    catalog: list[FilePath] = []
    events: list[FilePath] = []
    claims: list[FilePath] = []


#: A level rule's keys and what each means: strictly above/below, or at least/at most the level.
LEVEL_KEYS: dict[str, str] = {"above": ">", "below": "<", "at_least": ">=", "at_most": "<="}


class AlertRule(BaseModel):
    """``[[alerts.rules]]``: one alert per crossing, or per forward-ledger window completing.

    Exactly one subject: ``metric`` (a board metric: ``altseason``, ``hy_oas_level``, ``spx_ret``...)
    or ``series`` (a catalog series on its own dates, e.g. ``BTC``), each with exactly one level
    (``above``/``below``: strictly; ``at_least``/``at_most``: inclusive); ``stage_rule`` (a stage rule's
    metric, or ``"*"`` for all: it starts passing or failing at its configured threshold); or
    ``ledger = true`` (a 30/60/90-day window of a signal since the claim date completes; ``horizons``
    narrows it). Metric, series and horizon names are checked when `watch` first evaluates the rule."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1)
    metric: str | None = Field(default=None, min_length=1)
    series: str | None = Field(default=None, min_length=1)
    stage_rule: str | None = Field(default=None, min_length=1)
    ledger: bool = False
    horizons: list[int] | None = None
    above: float | None = None
    below: float | None = None
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_subject_one_level(self) -> AlertRule:
        subjects = [k for k in ("metric", "series", "stage_rule", "ledger") if getattr(self, k)]
        if len(subjects) != 1:
            raise ValueError("give exactly one of 'metric', 'series', 'stage_rule' or 'ledger = true'")
        levels = [k for k in LEVEL_KEYS if getattr(self, k) is not None]
        if subjects[0] in ("metric", "series") and len(levels) != 1:
            raise ValueError("give exactly one of 'above', 'below', 'at_least' or 'at_most' (the level it crosses)")
        if subjects[0] in ("stage_rule", "ledger") and levels:
            raise ValueError(f"'{subjects[0]}' takes no level ('{levels[0]}'): its threshold is the rule's own")
        if self.horizons is not None and not self.ledger:
            raise ValueError("'horizons' belongs to a 'ledger = true' rule")
        return self

    @property
    def level(self) -> tuple[str, float]:
        """The level key ("above", "at_least", ...) and its value (level rules only)."""
        key = next(k for k in LEVEL_KEYS if getattr(self, k) is not None)
        return key, float(getattr(self, key))


class AlertsSection(BaseModel):
    """``[alerts]``: the user's own rules, beside the built-in stage and breakout alerts."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rules: list[AlertRule] = []


class ConfigFile(BaseModel):
    """The whole file; ``[board]`` and ``[stages]`` keys are checked by ``service.parse_sections``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    paths: PathsSection = PathsSection()
    alerts: AlertsSection = AlertsSection()
    board: dict[str, Any] = {}
    stages: dict[str, Any] = {}


SECTIONS = frozenset(ConfigFile.model_fields)


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model that holds the key at ``loc`` (list indexes skipped), for naming its known keys."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        inner = _inner_model(info.annotation) if info else None
        if inner is None:
            return None
        model = inner
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        return annotation if issubclass(annotation, BaseModel) else None
    return next((m for arg in typing.get_args(annotation) if (m := _inner_model(arg))), None)


def describe_errors(exc: ValidationError, model: type[BaseModel], label: Callable[[tuple[int | str, ...]], str]) -> str:
    """pydantic's errors as one line: where (``label`` of the key's location), what was expected, what came."""
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            holder = _model_at(model, loc)
            hint = unknown_key_hint(str(loc[-1]), sorted(holder.model_fields) if holder else [])
            problems.append(f"{label(loc)}: unknown key; {hint}")
        else:
            problems.append(f"{label(loc)}: {_expected(error)}")
    return "; ".join(problems)


def _expected(error: Any) -> str:
    """What was expected, and the offending value when it is a single value (not the whole table)."""
    if error["type"] == "missing":
        return "missing (required)"
    if error["type"] in ("model_type", "dict_type"):
        return f"expected a table, got {_cut(error.get('input'))}"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    return message if isinstance(value, dict) else f"{message} (got {_cut(value)})"


def _cut(value: object, limit: int = 80) -> str:
    """A bad value as the file holds it, cut so a huge cell cannot flood the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def read_toml(path: Path, error: type[RiskcurveError]) -> dict[str, Any]:
    """A TOML file's tables, or ``error`` naming the file when it cannot be read or parsed."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a TOML file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def _config_label(loc: tuple[int | str, ...]) -> str:
    """``[paths] db`` (as the file spells it), ``[pahts]`` for a section."""
    section, *rest = loc
    return " ".join([f"[{section}]", *(f"item {p + 1}" if isinstance(p, int) else str(p) for p in rest)])


def default_db_path() -> Path:
    return Path(user_data_dir("riskcurve", appauthor=False)) / "riskcurve.duckdb"


def _config_file(env: Mapping[str, str]) -> Path | None:
    if "RISKCURVE_CONFIG" in env:
        path = Path(env["RISKCURVE_CONFIG"]).expanduser()
        if not path.exists():
            raise RiskcurveError(f"RISKCURVE_CONFIG points at {path}, which does not exist")
        return path
    path = Path(user_config_dir("riskcurve", appauthor=False)) / "config.toml"
    return path if path.exists() else None


def _parse_file(path: Path) -> ConfigFile:
    raw = read_toml(path, ConfigError)
    unknown = sorted(set(raw) - SECTIONS)
    if unknown:
        hints = dict.fromkeys(unknown_key_hint(name, sorted(SECTIONS)) for name in unknown)
        raise ConfigError(f"{path}: unknown sections {unknown}; {'; '.join(hints)}")
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_errors(exc, ConfigFile, _config_label)}") from None


def load_settings(env: Mapping[str, str] | None = None, *, config_path: Path | None = None) -> Settings:
    """Settings from the config file (``config_path``, else the default one) and the environment
    (``RISKCURVE_DB``, ``RISKCURVE_DATA_DIR``, ``RISKCURVE_CATALOG``, ``RISKCURVE_EVENTS``,
    ``RISKCURVE_CLAIMS``)."""
    env = os.environ if env is None else env
    if config_path is not None and not config_path.exists():
        raise RiskcurveError(f"config file {config_path} does not exist")
    path = config_path or _config_file(env)
    parsed = _parse_file(path) if path is not None else ConfigFile()
    paths = parsed.paths
    db = env.get("RISKCURVE_DB") or paths.db
    data_dir = env.get("RISKCURVE_DATA_DIR") or paths.data_dir
    catalogs = env.get("RISKCURVE_CATALOG")
    catalog_paths = catalogs.split(os.pathsep) if catalogs else paths.catalog
    events = env.get("RISKCURVE_EVENTS")
    event_paths = events.split(os.pathsep) if events else paths.events
    claims = env.get("RISKCURVE_CLAIMS")
    claim_paths = claims.split(os.pathsep) if claims else paths.claims
    return Settings(
        db_path=Path(db).expanduser() if db else default_db_path(),
        data_dir=Path(data_dir).expanduser() if data_dir else None,
        config_path=path,
        catalog_paths=tuple(Path(p).expanduser() for p in catalog_paths if p),
        event_paths=tuple(Path(p).expanduser() for p in event_paths if p),
        claim_paths=tuple(Path(p).expanduser() for p in claim_paths if p),
        sections={"board": parsed.board, "stages": parsed.stages, "alerts": parsed.alerts.model_dump()},
    )
