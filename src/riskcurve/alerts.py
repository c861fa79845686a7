"""`riskcurve watch`: update, classify, and tell someone when the stage changes or the Russell breaks out.

An alert has a stable key (``stage:<n>:<since>``, ``breakout:<date>:<kind>:<level>``); each channel's
delivery of it is recorded in the store's ``app_state`` table only after it succeeded, so a restart,
a cron run or a second cycle never sends it again, and a delivery that failed is retried on the next
cycle. Within a cycle a failed delivery is retried with exponential backoff and logged.

Every answer comes from the service (``riskcurve.service``): its ``update`` downloads with the store
closed, and the store is opened read-write only to plan, to apply and to record deliveries, never
while waiting on a network, so the dashboard (read-only connections) keeps reading meanwhile.

Every alert states the date of the data it rests on (the last session and the newest close), and a
status whose inputs are stale says so instead of announcing a stage.

Secrets (the webhook URL, which embeds its credential, and the SMTP password) are never logged:
messages go through ``Redactor`` and the CLI installs a formatter that redacts whole records.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

import h11
import pandas as pd
import tenacity

from riskcurve.config import AlertRule
from riskcurve.errors import RiskcurveError, StoreBusy, unknown_key_hint
from riskcurve.service import Riskcurve
from riskcurve.stages import Status

log = logging.getLogger(__name__)

BREAKOUT_DAYS = 7  # a breakout older than this at the first cycle that sees it is history, not news
MESSAGE_LIMIT = 1900  # Discord rejects content over 2000 characters
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class AlertConfigError(RiskcurveError):
    """The alert channels are misconfigured (missing SMTP host, bad URL, bad interval)."""


class DeliveryError(RiskcurveError):
    """One attempt to deliver an alert failed (the message is already redacted)."""


def parse_interval(text: str) -> float:
    """'90s', '15m', '1h', '1d' or plain seconds -> seconds (at least one minute: providers rate-limit)."""
    match = _INTERVAL.match(text)
    if not match:
        raise AlertConfigError(f"interval {text!r} is not a duration like 30m, 1h or 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 60:
        raise AlertConfigError(f"interval {text!r} is shorter than one minute")
    return seconds


class Redactor:
    """Replaces known secrets in text with '***' (longest first, so a URL goes before its parts)."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class RedactingFormatter(logging.Formatter):
    """A log formatter that redacts secrets from the whole formatted record, tracebacks included."""

    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))


@dataclass(frozen=True)
class Alert:
    key: str
    subject: str
    text: str


def _fmt(value: Any, spec: str = ",.2f") -> str:
    return "-" if value is None else format(value, spec)


def _data_date(status: Status) -> str:
    """The date the data reach, in words ("the 2026-10-09 close"): the leader's newest real close."""
    return f"the {status.leader_close:%Y-%m-%d} close" if status.leader_close is not None else "no close yet"


def alerts_for(status: Status, *, breakout_days: int = BREAKOUT_DAYS) -> list[Alert]:
    """The alerts a status calls for: its current stage (or that its inputs are stale), and breakouts
    of the last days.

    The stage alert's key changes exactly when the confirmed stage (or the start of its run) changes,
    so it fires on a change and once when watching starts; the stale alert's key is the last session,
    so stale data are announced once, not every cycle.
    """
    alerts = []
    when = _data_date(status)
    if status.stage is None:
        alerts.append(
            Alert(
                # Keyed on the newest close, not the session: a dead feed is announced once, not daily.
                key=f"stale:{status.leader_close:%Y-%m-%d}" if status.leader_close is not None else "stale:none",
                subject=f"[riskcurve] stage unknown: data stale (newest: {when})",
                text=f"riskcurve: stage unknown as of {status.as_of:%Y-%m-%d %H:%M} UTC. {status.unknown_reason}",
            )
        )
    elif status.confirmed_since is not None:
        since = f"{status.confirmed_since:%Y-%m-%d}"
        rules = "; ".join(
            f"{s.number} {s.name}: {s.state}" for s in status.stages
        )
        text = f"riskcurve: stage {status.stage} ({status.name}) confirmed since {since}, data as of {when}. {rules}."
        if status.stale:
            text += f" Stale series (newest observation older than its frequency allows): {', '.join(status.stale)}."
        window = status.follow_window
        if window:
            text += (
                f" Crypto follow window after the {window['breakout_date']} breakout: "
                f"{window['opens']} .. {window['closes']} ({window['state']})."
            )
        alerts.append(
            Alert(
                key=f"stage:{status.stage}:{since}",
                subject=f"[riskcurve] stage {status.stage}: {status.name} since {since} (data {when})",
                text=text,
            )
        )
    if status.session is not None:
        first = status.session - pd.Timedelta(days=breakout_days)
        for event in status.breakouts:
            if event.date < first:
                continue
            held = "pending" if event.held is None else ("yes" if event.held else "no")
            day = f"{event.date:%Y-%m-%d}"
            alerts.append(
                Alert(
                    key=f"breakout:{day}:{event.kind}:{event.level:.2f}",
                    subject=f"[riskcurve] {event.series} breakout ({event.kind}) on {day}",
                    text=(
                        f"riskcurve: {event.series} breakout ({event.kind}) on {day}: close "
                        f"{_fmt(event.close)} above {_fmt(event.level)}; held: {held}; volume x average: "
                        f"{_fmt(_finite(event.confirmations.get('volume_ratio')))}; data as of {when}."
                    ),
                )
            )
    return list({a.key: a for a in alerts}.values())


def rule_alerts(rules: Sequence[AlertRule], board: pd.DataFrame, *, source: str = "the config") -> list[Alert]:
    """The user's ``[[alerts.rules]]`` that hold on the board's newest value of their metric, one alert
    per crossing: the key carries the first date of the current run above (or below) the level, so a
    metric that stays there is announced once and a new crossing again."""
    alerts = []
    for number, rule in enumerate(rules, start=1):
        if rule.metric not in board.columns:
            hint = unknown_key_hint(rule.metric, sorted(map(str, board.columns)))
            raise AlertConfigError(f"{source}: [alerts] rules item {number} metric: unknown board metric; {hint}")
        values = board[rule.metric].dropna()
        if values.empty:
            continue
        holds = values > rule.above if rule.above is not None else values < (rule.below or 0.0)
        if not holds.iloc[-1]:
            continue
        breaks = holds.index[~holds.to_numpy()]
        start = holds.index[holds.index > breaks[-1]][0] if len(breaks) else holds.index[0]
        side, level = ("above", rule.above) if rule.above is not None else ("below", rule.below)
        day, since = f"{values.index[-1]:%Y-%m-%d}", f"{start:%Y-%m-%d}"
        alerts.append(
            Alert(
                key=f"rule:{rule.name}:{since}",
                subject=f"[riskcurve] {rule.name}: {rule.metric} {side} {level:g} since {since} (data {day})",
                text=(
                    f"riskcurve: {rule.name}: {rule.metric} is {values.iloc[-1]:,.4g}, {side} {level:g} "
                    f"since {since}; data as of {day}."
                ),
            )
        )
    return alerts


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and pd.notna(value) else None


class Channel(Protocol):
    """Somewhere alerts go. ``describe`` is safe to log; ``secrets`` must never be."""

    @property
    def name(self) -> str: ...

    def send(self, alert: Alert) -> None: ...

    def describe(self) -> str: ...

    def secrets(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class WebhookChannel:
    """POST ``{"text": ..., "content": ...}``: Slack reads ``text``, Discord ``content``."""

    url: str = field(repr=False)
    timeout: float = 10.0  # for the whole attempt: connect, send, and the complete response
    name: str = "webhook"

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AlertConfigError("the webhook URL must be an http(s) URL")

    def describe(self) -> str:
        parts = urlsplit(self.url)
        return f"webhook {parts.scheme}://{parts.hostname}/***"

    def secrets(self) -> tuple[str, ...]:
        parts = urlsplit(self.url)
        return tuple(s for s in (self.url, parts.path, parts.query, parts.password or "") if len(s) > 1)

    def send(self, alert: Alert) -> None:
        """One attempt, over within ``timeout`` seconds whatever the receiver does; it counts only when
        a complete response (status line, headers, the body as declared) says 2xx."""
        text = alert.text[:MESSAGE_LIMIT]
        try:
            status = _post_json(self.url, {"text": text, "content": text}, time.monotonic() + self.timeout)
        except TimeoutError:
            raise DeliveryError(f"no complete response from {self.describe()} within {self.timeout:g} s") from None
        except (OSError, h11.ProtocolError) as exc:  # its message can carry the URL: redact
            raise DeliveryError(Redactor(self.secrets())(f"{type(exc).__name__}: {exc}")) from None
        if status >= 300:
            raise DeliveryError(f"HTTP {status} from {self.describe()}")


RESPONSE_LIMIT = 1 << 20  # bytes of a webhook's response body we are willing to read


def _post_json(url: str, payload: dict[str, str], deadline: float) -> int:
    """POST ``payload`` as JSON and read the whole response before ``deadline`` (time.monotonic);
    its status. A per-read timeout is no bound (a receiver sending a byte a second holds it for
    ever) and http.client takes a response cut inside its headers for a complete one, so this speaks
    HTTP/1.1 through h11 (uvicorn's parser) over a socket whose timeout is the time left. No proxy."""
    parts = urlsplit(url)
    body = json.dumps(payload).encode()
    headers = [
        ("Host", parts.netloc.rpartition("@")[2]),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        ("User-Agent", "riskcurve"),
    ]
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers.append(("Authorization", "Basic " + base64.b64encode(user_pass).decode()))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = h11.Connection(h11.CLIENT)
    with _open_socket(parts.scheme, parts.hostname or "", parts.port, deadline) as sock:
        request = conn.send(h11.Request(method="POST", target=target, headers=headers)) or b""
        sock.settimeout(_left(deadline))
        sock.sendall(request + (conn.send(h11.Data(data=body)) or b"") + (conn.send(h11.EndOfMessage()) or b""))
        return _read_response(conn, sock, deadline)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _open_socket(scheme: str, host: str, port: int | None, deadline: float) -> socket.socket:
    sock = socket.create_connection((host, port or (443 if scheme == "https" else 80)), timeout=_left(deadline))
    if scheme != "https":
        return sock
    try:
        sock.settimeout(_left(deadline))
        return ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


def _read_response(conn: h11.Connection, sock: socket.socket, deadline: float) -> int:
    """The final status of the response, once h11 has seen all of it (a cut one raises)."""
    status: int | None = None
    size = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            sock.settimeout(_left(deadline))
            conn.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > RESPONSE_LIMIT:
                raise h11.RemoteProtocolError(f"response body over {RESPONSE_LIMIT} bytes")
        elif isinstance(event, h11.EndOfMessage) and status is not None:
            return status
        elif isinstance(event, h11.ConnectionClosed):
            raise h11.RemoteProtocolError("connection closed before a complete response")


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP from the environment: RISKCURVE_SMTP_HOST, _PORT (587), _USER, _PASSWORD, _FROM, and
    optionally _TLS ('starttls', or 'ssl' for implicit TLS, the default on port 465) and _CAFILE
    (a CA bundle for a private mail server). There is no plaintext mode."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    tls: Literal["starttls", "ssl"] = "starttls"
    cafile: str | None = None
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        host = env.get("RISKCURVE_SMTP_HOST")
        if not host:
            raise AlertConfigError("--email needs RISKCURVE_SMTP_HOST (and usually _PORT, _USER, _PASSWORD, _FROM)")
        try:
            port = int(env.get("RISKCURVE_SMTP_PORT", "587"))
        except ValueError:
            raise AlertConfigError("RISKCURVE_SMTP_PORT must be a number") from None
        tls = env.get("RISKCURVE_SMTP_TLS", "ssl" if port == 465 else "starttls").lower()
        if tls not in ("starttls", "ssl"):
            raise AlertConfigError("RISKCURVE_SMTP_TLS must be 'starttls' or 'ssl' (mail is never sent in clear)")
        user, password = env.get("RISKCURVE_SMTP_USER") or None, env.get("RISKCURVE_SMTP_PASSWORD") or None
        if bool(user) != bool(password):
            raise AlertConfigError("set both RISKCURVE_SMTP_USER and RISKCURVE_SMTP_PASSWORD, or neither")
        sender = env.get("RISKCURVE_SMTP_FROM") or user
        if not sender:
            raise AlertConfigError("set RISKCURVE_SMTP_FROM (the sender address)")
        return cls(
            host=host,
            port=port,
            user=user,
            password=password,
            sender=sender,
            tls="ssl" if tls == "ssl" else "starttls",
            cafile=env.get("RISKCURVE_SMTP_CAFILE") or None,
        )


@dataclass(frozen=True)
class EmailChannel:
    """Mail over SMTP with STARTTLS or implicit TLS, certificate checked (see SmtpSettings)."""

    smtp: SmtpSettings
    to: str
    name: str = "email"

    def describe(self) -> str:
        return f"email to {self.to} via {self.smtp.host}:{self.smtp.port} ({self.smtp.tls})"

    def secrets(self) -> tuple[str, ...]:
        return (self.smtp.password,) if self.smtp.password else ()

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = alert.subject
        message["From"] = self.smtp.sender or ""
        message["To"] = self.to
        message.set_content(alert.text)
        context = ssl.create_default_context(cafile=self.smtp.cafile)
        try:
            client: smtplib.SMTP
            if self.smtp.tls == "ssl":
                client = smtplib.SMTP_SSL(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout, context=context)
            else:
                client = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout)
            with client:
                if self.smtp.tls == "starttls":
                    client.starttls(context=context)  # raises if the server cannot: never falls back to clear
                if self.smtp.user and self.smtp.password:
                    client.login(self.smtp.user, self.smtp.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(Redactor(self.secrets())(f"{type(exc).__name__}: {exc}")) from None


@dataclass(frozen=True)
class NotifyChannel:
    """Any service apprise knows, by one URL syntax: ``json://host/path``, ``slack://...``,
    ``tgram://bot-token/chat-id``, ``ntfy://topic``, ``mailtos://user:pass@host?to=...`` and the rest
    (https://github.com/caronc/apprise/wiki).

    Unlike :class:`WebhookChannel` (its own HTTP client, one total deadline per attempt, a complete
    response required), apprise's plugins bound each connect and read (URL parameters ``cto``/``rto``),
    not the attempt as a whole: use ``--webhook`` where that guarantee matters.
    """

    url: str = field(repr=False)

    def __post_init__(self) -> None:
        import apprise

        if apprise.Apprise.instantiate(self.url) is None:
            raise AlertConfigError(
                f"--notify: {self.describe()} is not a URL apprise can deliver to (see the apprise wiki for the syntax)"
            )

    @property
    def name(self) -> str:
        """The ledger's name for this channel: scheme plus a digest, never the URL (it holds tokens)."""
        return f"notify-{urlsplit(self.url).scheme}-{hashlib.sha256(self.url.encode()).hexdigest()[:8]}"

    def describe(self) -> str:
        return f"{urlsplit(self.url).scheme}://*** (apprise)"

    def secrets(self) -> tuple[str, ...]:
        parts = urlsplit(self.url)
        return tuple(s for s in (self.url, parts.netloc, parts.path, parts.query) if len(s) > 3)

    def send(self, alert: Alert) -> None:
        import apprise

        notifier = apprise.Apprise()
        notifier.add(self.url)
        with apprise.LogCapture(level=logging.WARNING) as captured:  # apprise's reasons, redacted below
            delivered = notifier.notify(title=alert.subject, body=alert.text[:MESSAGE_LIMIT])
        if not delivered:
            reason = " ".join(str(captured.getvalue()).split()) or "no reason given"
            raise DeliveryError(Redactor(self.secrets())(f"{self.describe()} did not deliver: {reason}"))


def channels_from(
    webhook: str | None, email: str | None, env: Mapping[str, str], notify: Sequence[str] = ()
) -> list[WebhookChannel | EmailChannel | NotifyChannel]:
    """The configured channels: --webhook (or RISKCURVE_WEBHOOK_URL), --email with SMTP from env, and
    --notify apprise URLs (or RISKCURVE_NOTIFY, several separated by spaces)."""
    channels: list[WebhookChannel | EmailChannel | NotifyChannel] = []
    url = webhook or env.get("RISKCURVE_WEBHOOK_URL")
    if url:
        channels.append(WebhookChannel(url))
    if email:
        channels.append(EmailChannel(SmtpSettings.from_env(env), email))
    channels.extend(NotifyChannel(u) for u in (notify or env.get("RISKCURVE_NOTIFY", "").split()))
    if not channels:
        raise AlertConfigError(
            "nothing to send alerts to: give --webhook URL (or RISKCURVE_WEBHOOK_URL), --email, "
            "or --notify URL (or RISKCURVE_NOTIFY)"
        )
    return channels


@dataclass
class CycleResult:
    """What one watch cycle did."""

    stage: int | None = None
    alerts: list[str] = field(default_factory=list)  # keys the status called for
    sent: list[str] = field(default_factory=list)  # "<channel>:<key>" delivered this cycle
    failed: list[str] = field(default_factory=list)  # "<channel>:<key>" still undelivered
    update_failed: list[str] = field(default_factory=list)  # series the update could not refresh

    @property
    def ok(self) -> bool:
        return not self.failed


class Watcher:
    """Runs update -> status -> alerts, once (``cycle``) or on an interval (``run``)."""

    def __init__(
        self,
        rc: Riskcurve,
        channels: Sequence[Channel],
        *,
        attempts: int = 4,
        backoff: float = 2.0,
        open_attempts: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        breakout_days: int = BREAKOUT_DAYS,
        on_cycle: Callable[[CycleResult], None] | None = None,
    ) -> None:
        self.rc = rc
        self.on_cycle = on_cycle
        self.channels = list(channels)
        self.attempts = attempts
        self.backoff = backoff
        self.open_attempts = open_attempts
        self.sleep = sleep
        self.breakout_days = breakout_days
        self.redact = Redactor([s for c in self.channels for s in c.secrets()])
        self.rules = [AlertRule.model_validate(r) for r in rc.settings.section("alerts").get("rules", [])]
        self.rules_source = str(rc.settings.config_path or "the config")

    def _busy_retry(self, step: Callable[[], Any]) -> Any:
        """Run ``step``, retrying while another process (the dashboard, an update) holds the store."""

        def note(state: tenacity.RetryCallState) -> None:
            log.info("store busy (attempt %d/%d); retrying", state.attempt_number, self.open_attempts)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.open_attempts),
            wait=tenacity.wait_exponential(multiplier=0.5, max=5.0),
            retry=tenacity.retry_if_exception_type(StoreBusy),
            sleep=self.sleep,
            before_sleep=note,
            reraise=True,
        )
        return retrying(step)

    def update(self) -> list[str]:
        """Fetch new data through the service (CSV directory when configured, else live providers)."""
        report = self._busy_retry(self.rc.update)
        new = sum(r.new_rows for r in report.results)
        log.info("update %s: %d new rows, %d series failed", report.run_id, new, len(report.failed))
        for failure in report.failed:
            log.warning("update failed for %s: %s", failure.series_id, self.redact(failure.message))
        return [r.series_id for r in report.failed]

    def status(self) -> Status:
        """The status as of now, as `riskcurve status` computes it (data caveats logged, not printed)."""
        status: Status = self._busy_retry(self.rc.status)
        for note in status.notes:
            log.info("note: %s", note)
        return status

    def cycle(self) -> CycleResult:
        """One update, one status, and the alerts it calls for."""
        update_failed = self.update()
        result = self.dispatch(self.status())
        result.update_failed = update_failed
        return result

    def dispatch(self, status: Status) -> CycleResult:
        """Send every alert of ``status`` (and of the user's rules, on the board as of the same moment)
        that a channel has not delivered yet, and record the deliveries."""
        alerts = alerts_for(status, breakout_days=self.breakout_days)
        if self.rules:
            board = self._busy_retry(lambda: self.rc.board(status.as_of))
            alerts += rule_alerts(self.rules, board.frame, source=self.rules_source)
        result = CycleResult(stage=status.stage, alerts=[a.key for a in alerts])
        pairs = [(c, a) for a in alerts for c in self.channels]
        pending = self._busy_retry(lambda: self.rc.undelivered([(c.name, a.key) for c, a in pairs]))
        todo = [(c, a) for c, a in pairs if (c.name, a.key) in pending]
        if not todo:
            log.info("stage %s; no new alerts", status.stage)
            return result
        delivered = []
        for channel, alert in todo:
            if self.deliver(channel, alert):
                delivered.append((channel.name, alert.key, alert.subject))
                result.sent.append(f"{channel.name}:{alert.key}")
            else:
                result.failed.append(f"{channel.name}:{alert.key}")
        if delivered:
            self._busy_retry(lambda: self.rc.record_deliveries(delivered))
        return result
    def deliver(self, channel: Channel, alert: Alert) -> bool:
        """Try ``attempts`` times, waiting ``backoff`` then twice as long each time; True once delivered."""

        def failed(state: tenacity.RetryCallState, then: str) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "%s: delivering %s failed (attempt %d/%d): %s; %s",
                channel.describe(),
                alert.key,
                state.attempt_number,
                self.attempts,
                self.redact(str(error)),
                then,
            )

        def retrying_in(state: tenacity.RetryCallState) -> None:
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            failed(state, f"retrying in {wait:g} s")

        def give_up(state: tenacity.RetryCallState) -> bool:
            failed(state, "giving up until the next cycle")
            return False

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)),
            wait=tenacity.wait_exponential(multiplier=self.backoff, min=self.backoff),
            retry=tenacity.retry_if_exception_type(DeliveryError),
            sleep=self.sleep,
            before_sleep=retrying_in,
            retry_error_callback=give_up,
        )
        if retrying(channel.send, alert) is False:  # ``send`` returns None; ``give_up`` False
            return False
        log.info("%s: sent %s", channel.describe(), alert.key)
        return True

    def run(self, interval: float, *, stop: Callable[[], bool] = lambda: False) -> None:
        """Cycle every ``interval`` seconds until ``stop()``; a failing cycle is logged, not fatal."""
        while not stop():
            started = time.monotonic()
            try:
                result = self.cycle()
                log.info("cycle done: stage %s, sent %d, failed %d", result.stage, len(result.sent), len(result.failed))
                if self.on_cycle is not None:
                    self.on_cycle(result)
            except Exception as exc:  # keep watching: the next cycle may find the provider back
                log.error("cycle failed: %s", self.redact(f"{type(exc).__name__}: {exc}"))
            self.sleep(max(0.0, interval - (time.monotonic() - started)))


def logging_handler(redactor: Redactor) -> logging.Handler:
    """A stderr handler whose records are redacted (used by `riskcurve watch`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(redactor, "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler
