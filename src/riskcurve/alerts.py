"""`riskcurve watch`: update, classify, and tell someone when the stage changes, the Russell breaks out,
or one of the user's ``[[alerts.rules]]`` fires (a level crossed, a stage rule turning, a forward-ledger
window completing).

Every channel is an apprise URL (``NotifyChannel``): --webhook and --email are translated to one, so
there is one delivery path and one retry policy (the watcher's tenacity loop; apprise's own is off).

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

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import SplitResult, parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import pandas as pd
import tenacity

from riskcurve.config import LEVEL_KEYS, AlertRule
from riskcurve.errors import RiskcurveError, StoreBusy, unknown_key_hint
from riskcurve.service import Riskcurve
from riskcurve.stages import Rule, StageEvidence, Status, _run_start
from riskcurve.study.ledger import Ledger, LedgerEntry

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
        rules = "; ".join(f"{s.number} {s.name}: {s.state}" for s in status.stages)
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


#: How each level key reads in an alert.
_SIDES = {"above": "above", "below": "below", "at_least": "at or above", "at_most": "at or below"}


@dataclass(frozen=True)
class RuleInputs:
    """What the user's rules are evaluated on, all as known at one moment (the watcher's status)."""

    board: pd.DataFrame | None = None  # the board's frame: metric and stage-rule histories
    stages: Sequence[StageEvidence] = ()  # the status's stage rules, thresholds as configured
    series: Mapping[str, pd.Series] = field(default_factory=dict)  # catalog series on their own dates
    ledger: Ledger | None = None
    recent_days: int = BREAKOUT_DAYS  # a stage-rule crossing or window older than this is history


def rule_alerts(rules: Sequence[AlertRule], inputs: RuleInputs, *, source: str = "the config") -> list[Alert]:
    """The alerts the user's ``[[alerts.rules]]`` call for; a name they got wrong is an error naming
    the file, the rule and the nearest known name."""
    alerts: list[Alert] = []
    for number, rule in enumerate(rules, start=1):
        where = f"{source}: [alerts] rules item {number}"
        if rule.metric is not None:
            alerts += _level_alerts(rule, _column(inputs.board, rule.metric, where), rule.metric)
        elif rule.series is not None:
            alerts += _level_alerts(rule, inputs.series[rule.series], rule.series)
        elif rule.stage_rule is not None:
            alerts += _stage_rule_alerts(rule, inputs, where)
        elif inputs.ledger is not None:
            alerts += _ledger_alerts(rule, inputs.ledger, inputs.recent_days, where)
    return alerts


def _column(board: pd.DataFrame | None, metric: str, where: str) -> pd.Series:
    if board is None or metric not in board.columns:
        hint = unknown_key_hint(metric, sorted(map(str, board.columns)) if board is not None else [])
        raise AlertConfigError(f"{where} metric: unknown board metric; {hint}")
    return board[metric]


def _level_alerts(rule: AlertRule, values: pd.Series, what: str) -> list[Alert]:
    """One alert per run of ``values`` beyond the rule's level: the key carries the run's first date,
    so a value that stays there is announced once and a new crossing again."""
    values = values.dropna()
    if values.empty:
        return []
    key, level = rule.level
    holds = {">": values > level, "<": values < level, ">=": values >= level, "<=": values <= level}[LEVEL_KEYS[key]]
    start = _run_start(holds)
    if start is None:
        return []
    side, day, since = _SIDES[key], f"{values.index[-1]:%Y-%m-%d}", f"{start:%Y-%m-%d}"
    return [
        Alert(
            key=f"rule:{rule.name}:{since}",
            subject=f"[riskcurve] {rule.name}: {what} {side} {level:g} since {since} (data {day})",
            text=f"riskcurve: {rule.name}: {what} is {_reading(values.iloc[-1])}, {side} {level:g} since {since}; "
            f"data as of {day}.",
        )
    ]


def _reading(value: float) -> str:
    """A level rule's value as people read it: "73,030.12" for a price, "0.0394" for a return."""
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"


def _stage_rule_alerts(rule: AlertRule, inputs: RuleInputs, where: str) -> list[Alert]:
    """A stage rule (or every one, ``"*"``) that started passing or failing in the last days, at its
    configured threshold; a rule that has not changed since its history began never crossed."""
    known = [(stage, ev) for stage in inputs.stages for ev in stage.rules]
    metrics = sorted({ev.metric for _, ev in known})
    if rule.stage_rule != "*" and rule.stage_rule not in metrics:
        hint = unknown_key_hint(str(rule.stage_rule), metrics)
        raise AlertConfigError(f"{where} stage_rule: not a stage rule (or '*' for all); {hint}")
    alerts = []
    for stage, ev in known:
        if rule.stage_rule not in ("*", ev.metric):
            continue
        history = _column(inputs.board, ev.metric, where)
        verdicts = Rule(ev.metric, ev.op, ev.threshold, ev.label, ev.percent).evaluate(history).dropna().astype(bool)
        if verdicts.empty:
            continue
        passing = bool(verdicts.iloc[-1])
        start = _run_start(verdicts == passing)
        day = verdicts.index[-1]
        if start is None or start == verdicts.index[0] or start < day - pd.Timedelta(days=inputs.recent_days):
            continue
        state, since = ("passes" if passing else "no longer passes"), f"{start:%Y-%m-%d}"
        value_day = f"{ev.date:%Y-%m-%d}" if ev.date is not None else f"{day:%Y-%m-%d}"
        test = f"{ev.op} {ev.formatted(ev.threshold)}"
        alerts.append(
            Alert(
                key=f"rule:{rule.name}:{ev.metric}:{'pass' if passing else 'fail'}:{since}",
                subject=f"[riskcurve] {rule.name}: stage {stage.number} rule {ev.metric} {state} "
                f"since {since} (data {value_day})",
                text=f'riskcurve: {rule.name}: stage {stage.number} ({stage.name}) rule "{ev.label}" '
                f"({test}) {state} since {since}: {ev.formatted()}; data as of {value_day}.",
            )
        )
    return alerts


def _ledger_alerts(rule: AlertRule, ledger: Ledger, recent_days: int, where: str) -> list[Alert]:
    """One alert per signal, horizon and end date whose forward window completed in the last days:
    each follower's realised simple return and its excess over the follower's own baseline."""
    horizons = tuple(rule.horizons or ledger.horizons)
    if set(horizons) - set(ledger.horizons):
        raise AlertConfigError(f"{where} horizons: the ledger scores {list(ledger.horizons)}-day windows only")
    first = ledger.as_of.tz_localize(None).normalize() - pd.Timedelta(days=recent_days)
    done: dict[tuple[pd.Timestamp, int, pd.Timestamp], list[LedgerEntry]] = {}
    for entry in ledger.entries:
        complete = entry.outcome != "pending" and entry.end_date is not None and entry.end_date >= first
        if complete and entry.horizon in horizons:
            done.setdefault((entry.signal_date, entry.horizon, entry.end_date), []).append(entry)
    signals = {s.date: s for s in ledger.signals}
    alerts = []
    for (signal_date, horizon, end), entries in done.items():
        signal, day, ended = signals[signal_date], f"{signal_date:%Y-%m-%d}", f"{end:%Y-%m-%d}"
        results = "; ".join(f"{e.follower} {e.text()}" for e in entries)
        alerts.append(
            Alert(
                key=f"ledger:{day}:{horizon}d:{ended}",
                subject=f"[riskcurve] {rule.name}: {horizon}-day window after the {day} {ledger.leader} "
                f"signal complete (data {ended})",
                text=f"riskcurve: {rule.name}: the {horizon}-day window after the {day} {ledger.leader} "
                f"{signal.kind} {signal.level:,.0f} signal completed on {ended}: {results} (simple returns; "
                f"excess over the follower's median {horizon}-day return of the four years before); "
                f"data as of the {ended} close.",
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
class NotifyChannel:
    """Any service apprise knows, by one URL syntax: ``json://host/path``, ``slack://...``,
    ``tgram://bot-token/chat-id``, ``ntfy://topic``, ``mailtos://user:pass@host?to=...`` and the rest
    (https://github.com/caronc/apprise/wiki). Every channel, --webhook and --email included, is one.

    One attempt is one apprise notification with apprise's own retries off: the watcher's tenacity
    policy is the only retry. apprise bounds each connect and read (URL parameters ``cto``/``rto``),
    not the attempt as a whole.
    """

    url: str = field(repr=False)
    ledger_name: str | None = None  # the ledger's name (kept "webhook"/"email" for the old flags)
    label: str | None = None  # what the logs call it; never holds a secret
    extra_secrets: tuple[str, ...] = field(default=(), repr=False)  # e.g. the SMTP password, unquoted

    def __post_init__(self) -> None:
        if "retry" in parse_qs(urlsplit(self.url).query):
            raise AlertConfigError(
                f"{self.describe()}: drop retry= from the URL; riskcurve retries a failed delivery itself"
            )
        if _plugin(self.url) is None:
            raise AlertConfigError(
                f"--notify: {self.describe()} is not a URL apprise can deliver to (see the apprise wiki for the syntax)"
            )

    @property
    def name(self) -> str:
        """The ledger's name for this channel: scheme plus a digest, never the URL (it holds tokens)."""
        if self.ledger_name is not None:
            return self.ledger_name
        return f"notify-{urlsplit(self.url).scheme}-{hashlib.sha256(self.url.encode()).hexdigest()[:8]}"

    def describe(self) -> str:
        return self.label or f"{urlsplit(self.url).scheme}://*** (apprise)"

    def secrets(self) -> tuple[str, ...]:
        """The URL and its parts that may hold a token (apprise puts them anywhere: ``tgram://TOKEN/``),
        or, for a channel built from --webhook/--email, the URL and the parts its builder named."""
        parts = urlsplit(self.url)
        found = (parts.netloc, parts.path, parts.query) if self.ledger_name is None else ()
        return tuple(s for s in (self.url, *found, *self.extra_secrets) if len(s) > 3)

    def send(self, alert: Alert) -> None:

        plugin = _plugin(self.url)
        if plugin is None:  # checked at construction; apprise's registry cannot lose it meanwhile
            raise DeliveryError(f"{self.describe()}: apprise no longer knows this URL")
        plugin.retry = 0  # one retry policy: the watcher's
        with _apprise_log() as captured:
            delivered = plugin.notify(title=alert.subject, body=alert.text[:MESSAGE_LIMIT])
        if not delivered:
            reason = " ".join(str(captured.getvalue()).split()) or "no reason given"
            raise DeliveryError(Redactor(self.secrets())(f"{self.describe()} did not deliver: {reason}"))


@contextmanager
def _apprise_log() -> Iterator[Any]:
    """apprise's warnings captured (the reason a delivery failed, redacted before it is logged); its
    and urllib3's records kept from the root logger, whose last-resort handler would print them
    unredacted (urllib3 names the full URL, token included, when a response's headers are bad)."""
    import apprise

    loggers = [logging.getLogger(name) for name in ("apprise", "urllib3")]
    kept = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.propagate = False
    try:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            yield captured
    finally:
        for logger, propagate in zip(loggers, kept, strict=True):
            logger.propagate = propagate


def _plugin(url: str) -> Any:
    """apprise's plugin for ``url`` (native Slack/Discord webhook URLs included), or None."""
    import apprise

    with _apprise_log():  # "Unparseable URL" for an http(s) URL no plugin claims is no error here
        return apprise.Apprise.instantiate(url)


def webhook_channel(url: str) -> NotifyChannel:
    """--webhook URL through apprise: a Slack or Discord webhook URL by its own plugin (apprise reads
    them natively), any other http(s) URL as apprise's JSON POST with the text under ``text`` (what
    Slack-compatible receivers read) and the subject under ``title``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AlertConfigError("the webhook URL must be an http(s) URL")
    target = url if _plugin(url) is not None else _json_url(parts)
    values = [value for _, value in parse_qsl(parts.query)]
    secrets = (url, parts.path, parts.query, unquote(parts.password or ""), parts.password or "", *values)
    label = f"webhook {parts.scheme}://{parts.hostname}/***"
    return NotifyChannel(target, ledger_name="webhook", label=label, extra_secrets=secrets)


def _json_url(parts: SplitResult) -> str:
    """The webhook as an apprise ``json(s)://`` URL: its own query parameters passed on (apprise's
    ``-key=value``) and the body's ``message`` renamed ``text`` (``:message=text``)."""
    passed_on = [(f"-{key}", value) for key, value in parse_qsl(parts.query, keep_blank_values=True)]
    scheme = "jsons" if parts.scheme == "https" else "json"
    return urlunsplit((scheme, parts.netloc, parts.path or "/", urlencode([*passed_on, (":message", "text")]), ""))


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP from the environment: RISKCURVE_SMTP_HOST, _PORT (587), _USER, _PASSWORD, _FROM, and
    optionally _TLS ('starttls', or 'ssl' for implicit TLS, the default on port 465). There is no
    plaintext mode. A private CA goes in SSL_CERT_FILE (OpenSSL's variable, which apprise's TLS reads)."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    tls: Literal["starttls", "ssl"] = "starttls"
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        host = env.get("RISKCURVE_SMTP_HOST")
        if not host:
            raise AlertConfigError("--email needs RISKCURVE_SMTP_HOST (and usually _PORT, _USER, _PASSWORD, _FROM)")
        if env.get("RISKCURVE_SMTP_CAFILE"):
            raise AlertConfigError(
                "RISKCURVE_SMTP_CAFILE is no longer read: put the CA bundle in SSL_CERT_FILE instead"
            )
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
        mode: Literal["starttls", "ssl"] = "ssl" if tls == "ssl" else "starttls"
        return cls(host=host, port=port, user=user, password=password, sender=sender, tls=mode)

    def apprise_url(self, to: str) -> str:
        """The same mail as an apprise ``mailtos://`` URL (TLS always: starttls or ssl)."""
        login = f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@" if self.user else ""
        query = urlencode({"to": to, "from": self.sender or "", "mode": self.tls, "cto": f"{self.timeout:g}"})
        return f"mailtos://{login}{self.host}:{self.port}/?{query}"


def email_channel(to: str, env: Mapping[str, str]) -> NotifyChannel:
    """--email ADDRESS with SMTP from ``RISKCURVE_SMTP_*``, through apprise's email plugin."""
    smtp = SmtpSettings.from_env(env)
    return NotifyChannel(
        smtp.apprise_url(to),
        ledger_name="email",
        label=f"email to {to} via {smtp.host}:{smtp.port} ({smtp.tls})",
        extra_secrets=(smtp.password, quote(smtp.password, safe="")) if smtp.password else (),
    )


def channels_from(
    webhook: str | None, email: str | None, env: Mapping[str, str], notify: Sequence[str] = ()
) -> list[NotifyChannel]:
    """The configured channels, all delivered by apprise: --webhook (or RISKCURVE_WEBHOOK_URL), --email
    with SMTP from env, and --notify apprise URLs (or RISKCURVE_NOTIFY, several separated by spaces)."""
    channels: list[NotifyChannel] = []
    url = webhook or env.get("RISKCURVE_WEBHOOK_URL")
    if url:
        channels.append(webhook_channel(url))
    if email:
        channels.append(email_channel(email, env))
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
            alerts += rule_alerts(self.rules, self.rule_inputs(status), source=self.rules_source)
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

    def rule_inputs(self, status: Status) -> RuleInputs:
        """What the configured rules need, as of the status's moment; each only when a rule asks."""
        when = status.as_of
        board = None
        if any(r.metric or r.stage_rule for r in self.rules):
            board = self._busy_retry(lambda: self.rc.board(when)).frame
        series = {}
        for number, rule in enumerate(self.rules, start=1):
            if rule.series is not None and rule.series not in series:
                if rule.series not in self.rc.catalog:
                    hint = unknown_key_hint(rule.series, list(self.rc.catalog))
                    raise AlertConfigError(f"{self.rules_source}: [alerts] rules item {number} series: unknown; {hint}")
                series[rule.series] = self._series(rule.series, when)
        ledger = self._busy_retry(lambda: self.rc.ledger(when)) if any(r.ledger for r in self.rules) else None
        return RuleInputs(board, status.stages, series, ledger, self.breakout_days)

    def _series(self, series_id: str, when: pd.Timestamp) -> pd.Series:
        values: pd.Series = self._busy_retry(lambda: self.rc.values(series_id, as_of=when))
        return values

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
