"""The editable calendar of dated catalysts (Fed programmes, fiscal directives, crypto events, FOMC)."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from riskcurve.config import describe_errors, read_toml
from riskcurve.errors import CatalogError


@dataclass(frozen=True)
class CalendarEvent:
    date: dt.date
    kind: str
    title: str
    note: str = ""
    end: dt.date | None = None

    def distance_days(self, when: dt.date) -> int:
        """Signed days from ``when`` to the event (0 while a window is open; negative = past)."""
        last = self.end or self.date
        if self.date <= when <= last:
            return 0
        return (self.date - when).days if when < self.date else (last - when).days

    def to_dict(self, when: dt.date | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date": self.date.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "kind": self.kind,
            "title": self.title,
            "note": self.note,
        }
        if when is not None:
            out["days_from_as_of"] = self.distance_days(when)
        return out


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)  # pandas stops at 2262; later is a typo


def iso_date(value: object) -> dt.date:
    """A TOML date or a 'YYYY-MM-DD' text within EARLIEST..LATEST (a number is not a date)."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ValueError("expected a date YYYY-MM-DD")
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{day} is outside the accepted range {EARLIEST} .. {LATEST}")
    return day


EVENT_KINDS = frozenset({"fed", "fomc", "fiscal", "crypto", "regulation", "market"})


def _known_kind(kind: str) -> str:
    if kind not in EVENT_KINDS:
        raise ValueError(f"{kind!r} is not one of {', '.join(sorted(EVENT_KINDS))}")
    return kind


EventDate = Annotated[dt.date, BeforeValidator(iso_date)]
Kind = Annotated[str, AfterValidator(_known_kind)]


class EventEntry(BaseModel):
    """One ``[[event]]`` table; an unknown key (``titel``) is an error, not a silently empty title."""

    model_config = ConfigDict(extra="forbid", strict=True)

    date: EventDate
    end: EventDate | None = None
    kind: Kind
    title: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _window(self) -> EventEntry:
        if self.end is not None and self.end < self.date:
            raise ValueError(f"end {self.end} is before date {self.date}")
        return self


class EventFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    event: list[EventEntry] = []


def _event_label(loc: tuple[int | str, ...]) -> str:
    """``event 2: title`` (1-based, as a reader counts the tables)."""
    parts = [f"event {p + 1}" if isinstance(p, int) else str(p) for p in loc if p != "event" or len(loc) == 1]
    return ": ".join(parts)


def _parse(raw: dict[str, Any], where: str) -> list[CalendarEvent]:
    try:
        parsed = EventFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{where}: {describe_errors(exc, EventFile, _event_label)}") from None
    return [CalendarEvent(e.date, e.kind, e.title, e.note, e.end) for e in parsed.event]


def load_events(extra: Iterable[Path] = ()) -> list[CalendarEvent]:
    """The packaged calendar plus the user's files, sorted by date."""
    text = resources.files("riskcurve").joinpath("events.toml").read_text(encoding="utf-8")
    try:
        events = _parse(tomllib.loads(text), "events.toml")
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"events.toml: not valid TOML: {exc}") from None
    for path in extra:
        if not path.exists():
            raise CatalogError(f"event file {path} does not exist")
        events.extend(_parse(read_toml(path, CatalogError), str(path)))
    return sorted(events, key=lambda e: (e.date, e.title))


def events_near(events: Sequence[CalendarEvent], when: dt.date, days: int = 45) -> list[CalendarEvent]:
    """Events within ``days`` of ``when`` (either side), windows open at ``when`` included."""
    window = dt.timedelta(days=days)
    return [e for e in events if (e.date - window) <= when <= ((e.end or e.date) + window)]
