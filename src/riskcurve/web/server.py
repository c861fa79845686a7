"""Run the app under uvicorn, refusing to expose it beyond this machine without a token.

The default address is the loopback interface. Any other address makes the dashboard reachable from
the network, so it then needs ``RISKCURVE_TOKEN`` (checked on every request); the token is kept out of
the access log in any encoding. A Host allow-list (loopback names and ``--host``) keeps a token-less
loopback server out of reach of DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from urllib.parse import unquote

import uvicorn

from riskcurve.errors import RiskcurveError
from riskcurve.service import Riskcurve
from riskcurve.web.app import create_app

MIN_TOKEN_LENGTH = 16


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


WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(host: str) -> tuple[str, ...] | None:
    """The names a request's Host header may carry when serving on ``host``: loopback and ``host``.
    None (any) for a wildcard address: the machine's names are unknown, and a token is required."""
    if host.strip() in WILDCARD_HOSTS:
        return None
    return (*LOOPBACK_NAMES, host.strip())


def _decoded(text: str) -> str:
    """``text`` percent-decoded until it no longer changes (``%2574oken`` is ``token`` twice over)."""
    for _ in range(8):
        once = unquote(text)
        if once == text:
            break
        text = once
    return text


def redact_target(target: str, secret: str | None = None) -> str:
    """A request target fit for a log: the value of any query parameter whose name decodes to
    something with 'token' in it is blanked, and a target that still holds ``secret`` in any
    encoding is not shown at all."""
    path, sep, query = target.partition("?")
    pairs = [
        f"{name}=***" if "token" in _decoded(name).lower() else f"{name}{eq}{value}"
        for name, eq, value in (pair.partition("=") for pair in query.split("&"))
    ]
    shown = path + sep + "&".join(pairs) if sep else path
    if secret and secret in _decoded(shown):
        return "<target redacted: it held the token>"
    return shown


class RedactQueryToken(logging.Filter):
    """Redact the token from uvicorn's access-log lines (the request target is one of the arguments),
    whether it came as ``token=``, ``%74oken=``, ``%2574oken=`` or anywhere else in the target."""

    def __init__(self, secret: str | None = None) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(arg) if isinstance(arg, str) else arg for arg in record.args)
        record.msg = self._clean(str(record.msg))
        return True

    def _clean(self, text: str) -> str:
        return " ".join(redact_target(word, self.secret) for word in text.split(" "))


def serve(rc: Riskcurve, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and dashboard over ``rc`` until interrupted (see the module doc for the token rule)."""
    token = token_for(host)
    app = create_app(rc, token=token, hosts=allowed_hosts(host))
    config = uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False)
    logging.getLogger("uvicorn.access").addFilter(RedactQueryToken(token))  # after Config set logging up
    uvicorn.Server(config).run()
