from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from riskcurve.errors import CatalogError
from riskcurve.events import events_near, load_events


def test_packaged_calendar_has_the_thesis_catalysts() -> None:
    titles = {(e.date.isoformat(), e.kind) for e in load_events()}
    assert ("2025-12-12", "fed") in titles and ("2026-01-08", "fiscal") in titles
    assert ("2025-10-10", "crypto") in titles and ("2026-01-01", "regulation") in titles


def test_events_near_includes_open_windows() -> None:
    events = load_events()
    near = events_near(events, date(2026, 2, 15), days=10)
    assert [e.title for e in near if e.kind == "regulation"]  # Q1 window open on 2026-02-15
    clarity = next(e for e in near if e.kind == "regulation")
    assert clarity.distance_days(date(2026, 2, 15)) == 0
    assert clarity.distance_days(date(2025, 12, 25)) == 7


def test_user_events_extend_and_bad_ones_fail(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('[[event]]\ndate = "2026-09-30"\nkind = "market"\ntitle = "Quarter end"\n')
    assert any(e.title == "Quarter end" for e in load_events([mine]))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[event]]\ndate = "2026-09-30"\nkind = "gossip"\ntitle = "x"\n')
    with pytest.raises(CatalogError, match=r"bad\.toml: event 1: kind: 'gossip' is not one of crypto, fed"):
        load_events([bad])
    bad.write_text('[[event]]\ndate = "2026-09-31"\nkind = "fed"\ntitle = "x"\n')
    with pytest.raises(CatalogError, match="event 1"):
        load_events([bad])
