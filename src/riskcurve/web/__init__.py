"""The dashboard and read-only API (FastAPI), served by uvicorn through `riskcurve serve`."""

from riskcurve.web.app import create_app
from riskcurve.web.server import serve

__all__ = ["create_app", "serve"]
