"""The editable calendar of dated catalysts (Fed programmes, fiscal directives, crypto events, FOMC)."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from riskcurve.errors import CatalogError

EVENT_KINDS = frozenset({"fed", "fomc", "fiscal", "crypto", "regulation", "market"})


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


def _parse(text: str, where: str) -> list[CalendarEvent]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    events = []
    for i, entry in enumerate(raw.get("event", []), start=1):
        at = f"{where} event {i}"
        try:
            start = dt.date.fromisoformat(str(entry["date"]))
            end = dt.date.fromisoformat(str(entry["end"])) if "end" in entry else None
            kind, title = str(entry["kind"]), str(entry["title"])
        except KeyError as exc:
            raise CatalogError(f"{at}: missing key {exc}") from None
        except ValueError as exc:
            raise CatalogError(f"{at}: {exc}") from None
        if kind not in EVENT_KINDS:
            raise CatalogError(f"{at}: kind {kind!r} is not one of {', '.join(sorted(EVENT_KINDS))}")
        if end is not None and end < start:
            raise CatalogError(f"{at}: end {end} is before date {start}")
        events.append(CalendarEvent(start, kind, title, str(entry.get("note", "")), end))
    return events


def load_events(extra: Iterable[Path] = ()) -> list[CalendarEvent]:
    """The packaged calendar plus the user's files, sorted by date."""
    text = resources.files("riskcurve").joinpath("events.toml").read_text(encoding="utf-8")
    events = _parse(text, "events.toml")
    for path in extra:
        if not path.exists():
            raise CatalogError(f"event file {path} does not exist")
        events.extend(_parse(path.read_text(encoding="utf-8"), str(path)))
    return sorted(events, key=lambda e: (e.date, e.title))


def events_near(events: Sequence[CalendarEvent], when: dt.date, days: int = 45) -> list[CalendarEvent]:
    """Events within ``days`` of ``when`` (either side), windows open at ``when`` included."""
    window = dt.timedelta(days=days)
    return [e for e in events if (e.date - window) <= when <= ((e.end or e.date) + window)]
