"""Run the app under uvicorn, refusing to expose it beyond this machine without a token.

The default address is the loopback interface. Any other address makes the dashboard reachable from
the network, so it then needs ``RISKCURVE_TOKEN`` (checked on every request); the token is kept out of
the access log, which would otherwise record it whenever it is passed as ``?token=``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping

import uvicorn

from riskcurve.errors import RiskcurveError
from riskcurve.service import Riskcurve
from riskcurve.web.app import create_app

MIN_TOKEN_LENGTH = 16
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"]*")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost': addresses only this machine can reach."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def token_for(host: str, env: Mapping[str, str] | None = None) -> str | None:
    """The token the server must demand, or an error when it is needed and missing or too short."""
    env = os.environ if env is None else env
    token = env.get("RISKCURVE_TOKEN") or None
    if token is None and not is_loopback(host):
        raise RiskcurveError(
            f"refusing to listen on {host} without a token: set RISKCURVE_TOKEN (anyone who can reach this "
            "address could read the dashboard), or use the default --host 127.0.0.1"
        )
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise RiskcurveError(f"RISKCURVE_TOKEN is too short: use at least {MIN_TOKEN_LENGTH} random characters")
    return token


class RedactQueryToken(logging.Filter):
    """Blank ``token=...`` in uvicorn's access-log lines (the request path is one of the arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_QUERY.sub(r"\1***", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        record.msg = _TOKEN_IN_QUERY.sub(r"\1***", str(record.msg))
        return True


def serve(rc: Riskcurve, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and dashboard over ``rc`` until interrupted (see the module doc for the token rule)."""
    token = token_for(host)
    app = create_app(rc, token=token)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False)
    logging.getLogger("uvicorn.access").addFilter(RedactQueryToken())  # after Config set logging up
    uvicorn.Server(config).run()
