"""Show it: the charts, the one-file HTML report and the snapshot they share with the dashboard."""

from riskcurve.report.html import ReportInfo, build_report

__all__ = ["ReportInfo", "build_report"]
