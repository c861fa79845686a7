"""Chart builders on small hand-built inputs with known answers."""

from __future__ import annotations

import pandas as pd

from riskcurve.report.charts import log_ticks, timeline_chart


def test_log_ticks_are_1_2_5_then_thinned() -> None:
    assert log_ticks(100, 2600) == [100, 200, 500, 1000, 2000]
    assert log_ticks(1, 1e6) == [1, 10, 100, 1e3, 1e4, 1e5, 1e6]  # 1-2-5 would be 19 labels, 1-5 thirteen
    assert log_ticks(0, 10) == [] and log_ticks(5, 5) == []


def test_timeline_bands_cover_their_runs_and_unknown_is_hatched() -> None:
    runs = pd.DataFrame(
        {
            "start": pd.to_datetime(["2026-01-02", "2026-01-12"]),
            "end": pd.to_datetime(["2026-01-09", "2026-01-16"]),
            "stage": pd.array([2, None], dtype="Int64"),
            "name": ["Large caps rally", "unknown"],
            "sessions": [6, 5],
        }
    )
    known, unknown = timeline_chart(runs).data
    assert known.name == "2 Large caps rally (6 sessions)" and unknown.name.startswith("unknown (no Russell 2000")
    assert list(known.width) == [8 * 86_400_000]  # 2026-01-02 through the end of 2026-01-09
    assert list(known.x) == ["2026-01-06T00:00:00"]  # centred on its run
    assert unknown.marker.pattern.shape == "/" and known.marker.pattern.shape == ""
