"""One settings object, read from a TOML file and environment variables; no module-level state.

Precedence: explicit arguments (CLI flags) > environment > config file > defaults. The config file is
``RISKCURVE_CONFIG`` or ``<user config dir>/riskcurve/config.toml`` when it exists.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir

from riskcurve.errors import ConfigError, RiskcurveError


@dataclass(frozen=True)
class Settings:
    """Where things live, plus the raw ``[board]`` and ``[stages]`` tables (the service parses them once
    into typed configurations, see ``riskcurve.service.parse_sections``)."""

    db_path: Path
    data_dir: Path | None = None
    config_path: Path | None = None  # the TOML file the sections came from (named in config errors)
    catalog_paths: tuple[Path, ...] = ()
    event_paths: tuple[Path, ...] = ()
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    def with_overrides(self, *, db_path: Path | None = None, data_dir: Path | None = None) -> Settings:
        return replace(
            self,
            db_path=db_path if db_path is not None else self.db_path,
            data_dir=data_dir if data_dir is not None else self.data_dir,
        )


SECTIONS = frozenset({"paths", "board", "stages"})


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


def load_settings(env: Mapping[str, str] | None = None, *, config_path: Path | None = None) -> Settings:
    """Settings from the config file (``config_path``, else the default one) and the environment
    (``RISKCURVE_DB``, ``RISKCURVE_DATA_DIR``, ``RISKCURVE_CATALOG``, ``RISKCURVE_EVENTS``)."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if config_path is not None and not config_path.exists():
        raise RiskcurveError(f"config file {config_path} does not exist")
    path = config_path or _config_file(env)
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - SECTIONS)
    if unknown:
        raise ConfigError(f"{path}: unknown sections {unknown}; known: {sorted(SECTIONS)}")
    for name, value in raw.items():
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [{name}] must be a table of settings, got {value!r}")
    paths = raw.get("paths", {})
    db = env.get("RISKCURVE_DB") or paths.get("db")
    data_dir = env.get("RISKCURVE_DATA_DIR") or paths.get("data_dir")
    catalogs = env.get("RISKCURVE_CATALOG")
    catalog_paths = catalogs.split(os.pathsep) if catalogs else list(paths.get("catalog", []))
    events = env.get("RISKCURVE_EVENTS")
    event_paths = events.split(os.pathsep) if events else list(paths.get("events", []))
    return Settings(
        db_path=Path(db).expanduser() if db else default_db_path(),
        data_dir=Path(data_dir).expanduser() if data_dir else None,
        config_path=path,
        catalog_paths=tuple(Path(p).expanduser() for p in catalog_paths if p),
        event_paths=tuple(Path(p).expanduser() for p in event_paths if p),
        sections={k: v for k, v in raw.items() if k != "paths"},
    )
