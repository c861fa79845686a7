"""TEMP stub until core-edges merges."""
import pandas as pd

LEADER = "RUT"
STUDY_HORIZONS = (7, 30, 60, 90, 180)
STALE_AFTER = {"daily": pd.Timedelta(days=5), "weekly": pd.Timedelta(days=12), "monthly": pd.Timedelta(days=95)}
