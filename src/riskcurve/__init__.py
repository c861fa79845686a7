"""riskcurve: monitor and test the thesis that liquidity rotates down the risk curve.

Layers, left to right (a layer imports only from layers to its left):
sources -> store -> panel -> measures -> stages -> study -> service -> cli / report / web / alerts.

The Python API is the service: ``riskcurve.open(db) -> Riskcurve`` (imported on first use, so
``import riskcurve`` stays cheap for the CLI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Riskcurve", "StudyRequest", "open"]

if TYPE_CHECKING:
    from riskcurve.service import Riskcurve, StudyRequest, open


def __getattr__(name: str) -> Any:
    if name in __all__:
        from riskcurve import service

        return getattr(service, name)
    raise AttributeError(f"module 'riskcurve' has no attribute {name!r}")
