"""`riskcurve watch`: alerts, all delivered by apprise, to a local webhook receiver and a local STARTTLS SMTP
server (the payloads they really receive), never twice."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_string
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import riskcurve
from riskcurve.alerts import (
    AlertConfigError,
    DeliveryError,
    NotifyChannel,
    RedactingFormatter,
    Redactor,
    RuleInputs,
    SmtpSettings,
    Watcher,
    alerts_for,
    channels_from,
    email_channel,
    parse_interval,
    rule_alerts,
    webhook_channel,
)
from riskcurve.cli import app
from riskcurve.config import AlertRule
from riskcurve.data.store import Store
from riskcurve.stages import RuleEvidence, StageEvidence, Status
from tests.conftest import last_date, read_data
from tests.show_helpers import copy_store, free_port

SECRET = "XyZsecretHookToken123"
PASSWORD = "pa55-w0rd-never-logged"


class Receiver:
    """A webhook endpoint on 127.0.0.1 that fails the first ``fail_first`` requests with HTTP 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.requests += 1
                receiver.paths.append(self.path)
                failing = receiver.requests <= receiver.fail_first
                if not failing:
                    receiver.bodies.append(body)
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/{SECRET}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


# A past moment with both kinds of alert: the 2026-08-21 close, 9 days after the Russell's 2026-08-12
# rolling-high breakout over 3,036.98 (the data's last session when these tests were written). Rows
# appended to the data later cannot change a status at a past moment, unlike 'latest'.
AS_OF = "2026-08-21T20:00:00+00:00"
BREAKOUT = "breakout:2026-08-12:rolling_high:3036.98"


@pytest.fixture(scope="module")
def status_doc(real_store_path: Path) -> Status:
    status = riskcurve.open(real_store_path).status(AS_OF)
    # The stage run the status reports: stage 3 since its start (derived from the data, see the timeline).
    assert status.stage == 3 and status.name == "Small caps lead" and f"{status.session:%Y-%m-%d}" == "2026-08-21"
    last_run = status.timeline.iloc[-1]
    assert last_run["stage"] == 3 and last_run["start"] <= status.confirmed_since <= status.session
    return status


def since(status: Status) -> str:
    assert status.confirmed_since is not None
    return f"{status.confirmed_since:%Y-%m-%d}"


def stage_key(status: Status) -> str:
    return f"stage:{status.stage}:{since(status)}"


def watcher(db: Path, channels: list[Any], data_dir: Path | None = None, **kwargs: Any) -> Watcher:
    rc = riskcurve.open(db, data_dir=data_dir)
    return Watcher(rc, channels, backoff=0.01, breakout_days=10, **kwargs)


def test_alerts_from_a_real_status(status_doc: Status) -> None:
    keys = [a.key for a in alerts_for(status_doc, breakout_days=10)]
    assert keys == [stage_key(status_doc), BREAKOUT]
    assert [a.key for a in alerts_for(status_doc)] == [stage_key(status_doc)]  # 9 days old: history
    stage = alerts_for(status_doc)[0]
    assert f"stage 3 (Small caps lead) confirmed since {since(status_doc)}, data as of the 2026-08-21 close" in (
        stage.text
    )
    assert "(data the 2026-08-21 close)" in stage.subject
    assert "2026-09-11 .. 2026-11-10" in stage.text


def test_stale_data_are_announced_not_a_stage(real_store_path: Path, data_dir: Path) -> None:
    """Weeks after the newest close the stage is unknown: the alert says so, with the data date, once."""
    rc = riskcurve.open(real_store_path)
    now = rc.status(None)
    newest = f"{last_date(data_dir, 'equities/RUT.csv'):%Y-%m-%d}"
    assert now.stage is None and f"{now.leader_close:%Y-%m-%d}" == newest
    alerts = alerts_for(now)
    assert [a.key for a in alerts] == [f"stale:{newest}"]
    assert f"newest: the {newest} close" in alerts[0].subject and newest in alerts[0].text
    a_week_earlier = rc.status(now.as_of - pd.Timedelta(days=7))  # another session, the same dead feed
    assert a_week_earlier.session != now.session and [a.key for a in alerts_for(a_week_earlier)] == [f"stale:{newest}"]


def test_webhook_retries_with_backoff_and_never_sends_twice(
    receiver: Receiver, status_doc: Status, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_first = 2
    db = tmp_path / "alerts.duckdb"
    caplog.set_level(logging.INFO, logger="riskcurve")
    result = watcher(db, [webhook_channel(receiver.url)]).dispatch(status_doc)
    assert result.sent == [f"webhook:{stage_key(status_doc)}", f"webhook:{BREAKOUT}"]
    assert result.ok and receiver.requests == 4 and len(receiver.bodies) == 2
    # apprise's JSON POST, the text under "text" (Slack-compatible receivers) and the subject as title
    assert all(body["text"].startswith("riskcurve:") for body in receiver.bodies)
    assert receiver.bodies[0]["title"].startswith("[riskcurve] stage 3") and "message" not in receiver.bodies[0]
    assert "data as of the 2026-08-21 close" in receiver.bodies[0]["text"]
    assert "attempt 1/4" in caplog.text and "attempt 2/4" in caplog.text and "retrying in 0.02 s" in caplog.text
    assert "error=500" in caplog.text and SECRET not in caplog.text

    again = watcher(db, [webhook_channel(receiver.url)]).dispatch(status_doc)  # a restart: new objects
    assert again.sent == [] and receiver.requests == 4
    with Store(db, read_only=True) as store:
        state = json.loads(store.get_state(f"alert:webhook:{stage_key(status_doc)}") or "{}")
    assert state["subject"].startswith("[riskcurve] stage 3")


def test_a_webhooks_own_query_reaches_the_receiver(receiver: Receiver, status_doc: Status) -> None:
    webhook_channel(f"{receiver.url}?token={SECRET}&x=1").send(_alert(status_doc))
    assert receiver.paths == [f"/services/T000/B000/{SECRET}?token={SECRET}&x=1"]


def test_undelivered_alerts_wait_for_the_next_cycle(receiver: Receiver, status_doc: Status, tmp_path: Path) -> None:
    receiver.fail_first = 1000
    db = tmp_path / "alerts.duckdb"
    failed = watcher(db, [webhook_channel(receiver.url)], attempts=2).dispatch(status_doc)
    assert not failed.ok and len(failed.failed) == 2 and receiver.requests == 4
    assert riskcurve.open(db).undelivered([("webhook", stage_key(status_doc))]) == {("webhook", stage_key(status_doc))}
    receiver.fail_first = 0
    retried = watcher(db, [webhook_channel(receiver.url)]).dispatch(status_doc)
    assert retried.ok and len(retried.sent) == 2 and len(receiver.bodies) == 2


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it through SSL_CERT_FILE)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "riskcurve test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content.decode())
        return "250 OK"


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Mailbox, dict[str, str]]]:
    """aiosmtpd on loopback requiring STARTTLS and AUTH; yields the mailbox and the client's environment
    (its self-signed certificate trusted through OpenSSL's SSL_CERT_FILE, which apprise's TLS reads)."""
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and data.login == b"bot" and data.password == PASSWORD.encode()
        return AuthResult(success=ok)

    mailbox = Mailbox()
    port = free_port()
    controller = controller_mod.Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    env = {
        "RISKCURVE_SMTP_HOST": "127.0.0.1",
        "RISKCURVE_SMTP_PORT": str(port),
        "RISKCURVE_SMTP_USER": "bot",
        "RISKCURVE_SMTP_PASSWORD": PASSWORD,
        "RISKCURVE_SMTP_FROM": "riskcurve@example.org",
    }
    try:
        yield mailbox, env
    finally:
        controller.stop()


def test_email_over_starttls_once(
    smtp: tuple[Mailbox, dict[str, str]],
    status_doc: Status,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox, env = smtp
    caplog.set_level(logging.INFO, logger="riskcurve")
    channel = email_channel("me@example.org", env)
    assert PASSWORD not in repr(channel) and PASSWORD not in channel.describe()
    db = tmp_path / "alerts.duckdb"
    result = watcher(db, [channel]).dispatch(status_doc)
    assert result.ok and len(mailbox.messages) == 2
    first = message_from_string(mailbox.messages[0])
    subject = f"[riskcurve] stage 3: Small caps lead since {since(status_doc)} (data the 2026-08-21 close)"
    assert " ".join(first["Subject"].split()) == subject  # long headers are folded
    assert first["To"] == "me@example.org" and "riskcurve@example.org" in first["From"]
    plain = next(part for part in first.walk() if part.get_content_type() == "text/plain")
    assert "data as of the 2026-08-21 close" in plain.get_payload(decode=True).decode()
    assert watcher(db, [channel]).dispatch(status_doc).sent == []
    assert len(mailbox.messages) == 2 and PASSWORD not in caplog.text


def test_email_never_falls_back_to_plaintext(
    status_doc: Status, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    mailbox = Mailbox()
    controller = controller_mod.Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        env = {"RISKCURVE_SMTP_HOST": "127.0.0.1", "RISKCURVE_SMTP_PORT": str(controller.port)}
        env["RISKCURVE_SMTP_FROM"] = "riskcurve@example.org"
        channel = email_channel("me@example.org", env)
        result = watcher(tmp_path / "a.duckdb", [channel], attempts=1).dispatch(status_doc)
    finally:
        controller.stop()
    assert not result.ok and mailbox.messages == []  # the server offers no STARTTLS: nothing is sent
    assert "did not deliver" in caplog.text and "giving up until the next cycle" in caplog.text


def test_watch_cycle_then_a_new_process_sends_nothing_twice(
    receiver: Receiver, real_store_path: Path, data_dir: Path, tmp_path: Path
) -> None:
    db = copy_store(real_store_path, tmp_path)
    first = watcher(db, [webhook_channel(receiver.url)], data_dir=data_dir).cycle()
    assert first.ok and first.update_failed == [] and len(first.sent) == 1
    # As of now the shared data are weeks old: the one alert says the stage is unknown, not a stage.
    assert first.sent[0].startswith("webhook:stale:") and len(receiver.bodies) == 1

    env = {**os.environ, "RISKCURVE_WEBHOOK_URL": receiver.url}
    again = subprocess.run(
        [sys.executable, "-m", "riskcurve.cli", "watch", "--once", "--data-dir", str(data_dir), "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "no new alerts" in again.stderr and SECRET not in again.stderr + again.stdout
    assert len(receiver.bodies) == 1 and receiver.requests == 1


def test_configuration_errors_are_clear() -> None:
    assert parse_interval("1h") == 3600 and parse_interval("90s") == 90 and parse_interval("1.5d") == 129600
    for bad in ("soon", "5s", "1w", ""):
        with pytest.raises(AlertConfigError):
            parse_interval(bad)
    with pytest.raises(AlertConfigError, match="RISKCURVE_SMTP_HOST"):
        SmtpSettings.from_env({"RISKCURVE_SMTP_FROM": "a@b.c"})
    with pytest.raises(AlertConfigError, match="both"):
        SmtpSettings.from_env({"RISKCURVE_SMTP_HOST": "h", "RISKCURVE_SMTP_USER": "u"})
    with pytest.raises(AlertConfigError, match="never sent in clear"):
        SmtpSettings.from_env(
            {"RISKCURVE_SMTP_HOST": "h", "RISKCURVE_SMTP_FROM": "a@b.c", "RISKCURVE_SMTP_TLS": "none"}
        )
    assert (
        SmtpSettings.from_env(
            {"RISKCURVE_SMTP_HOST": "h", "RISKCURVE_SMTP_PORT": "465", "RISKCURVE_SMTP_FROM": "a"}
        ).tls
        == "ssl"
    )
    with pytest.raises(AlertConfigError, match="nothing to send alerts to"):
        channels_from(None, None, {})
    with pytest.raises(AlertConfigError, match="http"):
        channels_from("ftp://example.org/x", None, {})
    hooked = channels_from(None, None, {"RISKCURVE_WEBHOOK_URL": f"https://hooks.example.org/services/{SECRET}"})
    assert SECRET not in hooked[0].describe() and SECRET not in repr(hooked[0])
    assert hooked[0].url == f"jsons://hooks.example.org/services/{SECRET}?%3Amessage=text"  # apprise's JSON POST
    slack = webhook_channel(f"https://hooks.slack.com/services/T000/B000/{SECRET}")  # apprise's Slack plugin
    assert slack.url.startswith("https://hooks.slack.com/") and slack.name == "webhook"
    with pytest.raises(AlertConfigError, match="drop retry= from the URL"):
        channels_from(None, None, {}, ["json://127.0.0.1:9/a?retry=3"])

    runner = CliRunner()
    result = runner.invoke(app, ["watch", "--once", "--db", "x.duckdb"], env={"RISKCURVE_WEBHOOK_URL": ""})
    assert result.exit_code == 2 and "nothing to send alerts to" in result.output
    bad = runner.invoke(app, ["watch", "--interval", "often", "--webhook", "https://example.org/h"])
    assert bad.exit_code == 2 and "not a duration" in bad.output


def test_redaction_covers_messages_and_tracebacks() -> None:
    redact = Redactor([f"https://hooks.example.org/services/{SECRET}", f"/services/{SECRET}", PASSWORD, ""])
    assert redact(f"POST https://hooks.example.org/services/{SECRET} failed") == "POST *** failed"
    assert redact(f"path /services/{SECRET}?x=1, password {PASSWORD}") == "path ***?x=1, password ***"
    formatter = RedactingFormatter(redact, "%(message)s")
    try:
        raise RuntimeError(f"login failed with {PASSWORD}")
    except RuntimeError:
        record = logging.LogRecord("riskcurve", logging.ERROR, __file__, 1, "boom %s", (SECRET,), sys.exc_info())
    text = formatter.format(record)
    assert "RuntimeError" in text and PASSWORD not in text and SECRET in text  # only known secrets are redacted


class RawReceiver:
    """A one-connection socket server on 127.0.0.1 that answers with ``chunks`` (bytes, pauses in
    between), then closes: to play receivers that trickle or cut their response."""

    def __init__(self, chunks: list[bytes], pause: float = 0.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook/{SECRET}"
        self.chunks, self.pause = chunks, pause
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            _read_request(conn)
            for chunk in self.chunks:
                try:
                    conn.sendall(chunk)
                except OSError:  # the client gave up: stop trickling
                    return
                time.sleep(self.pause)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=15)


def _read_request(conn: socket.socket) -> bytes:
    """The whole request (headers and the body its Content-Length declares): closing on unread
    bytes would reset the connection and fail the client for the wrong reason."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536) or b"\r\n\r\n"
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0]) if lengths else 0
    while len(body) < length:
        more = conn.recv(65536)
        if not more:
            break
        body += more
    return head + body


def _alert(status: Status) -> Any:
    return alerts_for(status, breakout_days=10)[0]


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab",  # body shorter than declared
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # chunked body cut
        b"",  # closed without a word
    ],
)
def test_only_a_complete_response_counts_as_sent(
    status_doc: Status, response: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = RawReceiver([response])
    try:
        with pytest.raises(DeliveryError) as caught:
            webhook_channel(receiver.url).send(_alert(status_doc))
        assert SECRET not in str(caught.value) and SECRET not in caplog.text
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nok",  # HTTP/1.0: the body ends with the connection
    ],
)
def test_a_complete_2xx_response_is_sent(status_doc: Status, response: bytes) -> None:
    receiver = RawReceiver([response])
    try:
        webhook_channel(receiver.url).send(_alert(status_doc))
    finally:
        receiver.close()


def _apprise_json_url(receiver: Receiver) -> str:
    """apprise's ``json://`` plugin POSTs {"title", "message", ...} to this receiver's path."""
    return receiver.url.replace("http://", "json://")


def test_apprise_channel_delivers_retries_and_never_sends_twice(
    receiver: Receiver, status_doc: Status, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_first = 1
    db = tmp_path / "alerts.duckdb"
    caplog.set_level(logging.INFO, logger="riskcurve")
    channel = NotifyChannel(_apprise_json_url(receiver))
    result = watcher(db, [channel]).dispatch(status_doc)
    assert result.ok and result.sent == [f"{channel.name}:{stage_key(status_doc)}", f"{channel.name}:{BREAKOUT}"]
    assert receiver.requests == 3 and len(receiver.bodies) == 2  # one HTTP 500, retried, then two delivered
    stage_body = receiver.bodies[0]
    assert stage_body["title"].startswith("[riskcurve] stage 3")
    assert "(data the 2026-08-21 close)" in stage_body["title"]
    assert "data as of the 2026-08-21 close" in stage_body["message"]
    assert "attempt 1/4" in caplog.text and "retrying in 0.01 s" in caplog.text
    assert SECRET not in caplog.text and SECRET not in channel.name and SECRET not in channel.describe()

    again = watcher(db, [NotifyChannel(_apprise_json_url(receiver))]).dispatch(status_doc)
    assert again.sent == [] and receiver.requests == 3


def test_apprise_channel_gives_up_with_a_redacted_reason(
    receiver: Receiver, status_doc: Status, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_first = 1000
    caplog.set_level(logging.INFO, logger="riskcurve")
    result = watcher(tmp_path / "a.duckdb", [NotifyChannel(_apprise_json_url(receiver))], attempts=2).dispatch(
        status_doc
    )
    assert not result.ok and len(result.failed) == 2 and receiver.requests == 4
    assert "did not deliver" in caplog.text and "giving up until the next cycle" in caplog.text
    assert SECRET not in caplog.text


def test_notify_urls_from_the_environment_and_bad_ones_refused() -> None:
    channels = channels_from(None, None, {"RISKCURVE_NOTIFY": "json://127.0.0.1:9/a ntfy://riskcurve-topic"})
    assert [type(c) for c in channels] == [NotifyChannel, NotifyChannel]
    assert channels[0].name != channels[1].name and channels[1].name.startswith("notify-ntfy-")
    with pytest.raises(AlertConfigError, match="not a URL apprise can deliver to"):
        channels_from(None, None, {}, ["nosuchscheme://x"])
    help_text = " ".join(CliRunner().invoke(app, ["watch", "--help"]).output.replace("│", " ").split())
    assert "--notify URL" in help_text and "apprise" in help_text


def test_level_rules_fire_once_per_crossing_on_a_hand_built_board() -> None:
    days = pd.date_range("2026-01-05", periods=6, freq="D")
    board = pd.DataFrame({"altseason": [10.0, 80.0, 90.0, 40.0, 75.0, 77.0]}, index=days)
    on_board = RuleInputs(board=board)
    season = AlertRule(name="altseason", metric="altseason", at_least=75)
    (alert,) = rule_alerts([season], on_board)
    assert alert.key == "rule:altseason:2026-01-09"  # the second crossing, not the first run
    assert alert.subject == "[riskcurve] altseason: altseason at or above 75 since 2026-01-09 (data 2026-01-10)"
    assert "data as of 2026-01-10" in alert.text
    (strictly,) = rule_alerts([AlertRule(name="hot", metric="altseason", above=75)], on_board)
    assert strictly.key == "rule:hot:2026-01-10"  # 75 itself is not above 75
    assert rule_alerts([AlertRule(name="cold", metric="altseason", below=20)], on_board) == []
    (always,) = rule_alerts([AlertRule(name="warm", metric="altseason", above=5)], on_board)
    assert always.key == "rule:warm:2026-01-05"
    with pytest.raises(AlertConfigError, match=r"rules item 1 metric: unknown board metric.*altseason"):
        rule_alerts([AlertRule(name="typo", metric="altsaeson", above=75)], on_board)
    # A series on its own dates (gaps are not crossings): BTC under 60,000 since its 2026-01-07 close.
    btc = pd.Series([70_000.0, 59_000.0, None, 58_500.0], index=pd.date_range("2026-01-06", periods=4, freq="D"))
    (cheap,) = rule_alerts([AlertRule(name="cheap", series="BTC", below=60_000)], RuleInputs(series={"BTC": btc}))
    assert cheap.key == "rule:cheap:2026-01-07" and "BTC is 58,500.00, below 60000" in cheap.text
    assert "data as of 2026-01-09" in cheap.text


def _rule_evidence(metric: str, threshold: float, value: float, day: str) -> RuleEvidence:
    return RuleEvidence(
        metric,
        f"{metric} rule",
        ">=",
        threshold,
        value,
        pd.Timestamp(day),
        value >= threshold,
        None,
        None,
        percent=True,
    )


def test_stage_rule_crossings_on_a_hand_built_board() -> None:
    """ETH's return crosses its 5% threshold on 2026-01-08; the altseason rule never changed state."""
    days = pd.date_range("2026-01-05", periods=6, freq="D")
    board = pd.DataFrame(
        {"eth_ret": [0.01, 0.02, 0.03, 0.06, 0.07, 0.08], "altseason": [60.0, 61, 62, 63, 64, 65]}, index=days
    )
    stage = StageEvidence(
        4,
        "Crypto follows",
        True,
        True,
        None,
        (_rule_evidence("eth_ret", 0.05, 0.08, "2026-01-10"), _rule_evidence("altseason", 50, 65, "2026-01-10")),
    )
    inputs = RuleInputs(board=board, stages=[stage], recent_days=7)
    (alert,) = rule_alerts([AlertRule(name="any rule", stage_rule="*")], inputs)
    assert alert.key == "rule:any rule:eth_ret:pass:2026-01-08"
    assert alert.subject == "[riskcurve] any rule: stage 4 rule eth_ret passes since 2026-01-08 (data 2026-01-10)"
    assert '"eth_ret rule" (>= +5.0%) passes since 2026-01-08: +8.0%; data as of 2026-01-10.' in alert.text
    (same,) = rule_alerts([AlertRule(name="eth", stage_rule="eth_ret")], inputs)
    assert same.key == "rule:eth:eth_ret:pass:2026-01-08"
    assert rule_alerts([AlertRule(name="old", stage_rule="*")], replace(inputs, recent_days=1)) == []  # history
    failing = board.assign(eth_ret=[0.06, 0.07, 0.08, 0.09, 0.04, 0.03])
    (lost,) = rule_alerts([AlertRule(name="eth", stage_rule="eth_ret")], replace(inputs, board=failing))
    assert lost.key == "rule:eth:eth_ret:fail:2026-01-09" and "no longer passes since 2026-01-09" in lost.text
    with pytest.raises(AlertConfigError, match=r"stage_rule: not a stage rule.*eth_ret"):
        rule_alerts([AlertRule(name="typo", stage_rule="eth_rte")], inputs)


def _ledger(as_of: str, eth_end: str | None) -> Any:
    """The 2,600 signal's ledger with ETH's and BTC's 30-day windows complete on ``eth_end`` (None: pending)."""
    from riskcurve.measures.breakout import BreakoutEvent
    from riskcurve.study.ledger import Ledger, LedgerEntry

    signal = BreakoutEvent("RUT", pd.Timestamp("2026-01-08"), "round_level", 2600.0, 2603.91)
    nan, end = float("nan"), pd.Timestamp(eth_end or "2026-02-08")

    def entry(follower: str, horizon: int, outcome: Any, end: pd.Timestamp, realised: float, reason: str = "") -> Any:
        return LedgerEntry(
            signal.date, follower, horizon, outcome, pd.Timestamp("2026-01-09"), end, realised, 0.05, reason
        )

    done = eth_end is not None
    entries = (
        entry("ETH", 30, "realised" if done else "pending", end, -0.25 if done else nan),
        entry("BTC", 30, "unknown" if done else "pending", end, nan, f"no BTC close on {eth_end}" if done else ""),
        entry("ETH", 60, "pending", pd.Timestamp("2026-03-10"), nan),
    )
    return Ledger("RUT", signal.date, pd.Timestamp(as_of, tz="UTC"), (30, 60, 90), (signal,), entries)


def test_ledger_window_completing_on_a_hand_built_ledger() -> None:
    """The 30-day window completes on 2026-02-08: one alert with ETH's realised simple return (-25%)
    and excess (-30 pts over a +5% baseline) and BTC's unknown with its reason, once."""
    rule = AlertRule(name="forward test", ledger=True)
    assert rule_alerts([rule], RuleInputs(ledger=_ledger("2026-02-07T23:00:00", None))) == []  # still pending
    (alert,) = rule_alerts([rule], RuleInputs(ledger=_ledger("2026-02-09T12:00:00", "2026-02-08")))
    assert alert.key == "ledger:2026-01-08:30d:2026-02-08"
    assert alert.subject == (
        "[riskcurve] forward test: 30-day window after the 2026-01-08 RUT signal complete (data 2026-02-08)"
    )
    assert "round_level 2,600 signal completed on 2026-02-08: ETH -25.0% (excess -30.0 pts); " in alert.text
    assert "BTC unknown: no BTC close on 2026-02-08" in alert.text and alert.text.endswith(
        "data as of the 2026-02-08 close."
    )
    assert rule_alerts([rule], RuleInputs(ledger=_ledger("2026-03-01", "2026-02-08"))) == []  # weeks later: history
    only_60 = AlertRule(name="60", ledger=True, horizons=[60])
    assert rule_alerts([only_60], RuleInputs(ledger=_ledger("2026-02-09", "2026-02-08"))) == []
    with pytest.raises(AlertConfigError, match=r"horizons: the ledger scores \[30, 60, 90\]-day windows only"):
        rule_alerts([AlertRule(name="x", ledger=True, horizons=[45])], RuleInputs(ledger=_ledger("2026-02-09", None)))


def test_the_2600_events_30_day_window_completes_on_the_real_data(real_store_path: Path, data_dir: Path) -> None:
    """As of the day the seeds' 2,600 signal's 30-day ETH window ends (from the ledger, not pinned) the
    alert fires with the return the ETH file gives; the day before it is pending."""
    rc = riskcurve.open(real_store_path)
    first = rc.ledger("latest").signals[0]
    assert f"{first.date:%Y-%m-%d}" == "2026-01-08" and first.level == 2600
    eth = next(e for e in rc.ledger("latest").entries if e.follower == "ETH" and e.horizon == 30)
    assert eth.outcome == "realised" and eth.end_date is not None and eth.entry_date is not None
    closes = read_data(data_dir / "crypto/ETH.csv").set_index("date")["close"]
    expected = closes[eth.end_date] / closes[eth.entry_date] - 1
    rule = AlertRule(name="ledger", ledger=True, horizons=[30])
    before = rc.ledger(f"{eth.end_date - pd.Timedelta(days=1):%Y-%m-%d}")
    assert rule_alerts([rule], RuleInputs(ledger=before)) == []
    after = rc.ledger(f"{eth.end_date + pd.Timedelta(days=1):%Y-%m-%d}")
    (alert,) = rule_alerts([rule], RuleInputs(ledger=after))
    end = f"{eth.end_date:%Y-%m-%d}"
    assert alert.key == f"ledger:2026-01-08:30d:{end}" and f"data as of the {end} close" in alert.text
    assert f"ETH {expected:+.1%} (excess " in alert.text


def test_rules_in_the_config_are_validated_and_delivered(
    receiver: Receiver,
    status_doc: Status,
    real_store_path: Path,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[alerts.rules]]\nname = "hy"\nmetric = "hy_oas_level"\nabove = 4\nbelow = 3\n')
    with pytest.raises(riskcurve.errors.ConfigError, match=r"bad.toml: \[alerts\] rules item 1: give exactly one"):
        riskcurve.open(tmp_path / "x.duckdb", config=bad)
    for body, problem in [
        ('stage_rule = "eth_ret"\nabove = 1', "takes no level"),
        ("above = 1", "give exactly one of 'metric', 'series'"),
        ('series = "BTC"\nledger = true\nbelow = 1', "give exactly one of 'metric', 'series'"),
        ('metric = "spx_ret"\nabove = 1\nhorizons = [30]', "'horizons' belongs to a 'ledger = true' rule"),
    ]:
        bad.write_text(f'[[alerts.rules]]\nname = "r"\n{body}\n')
        with pytest.raises(riskcurve.errors.ConfigError, match=problem):
            riskcurve.open(tmp_path / "x.duckdb", config=bad)
    config = tmp_path / "config.toml"
    config.write_text(
        '[[alerts.rules]]\nname = "spx above -100%"\nmetric = "spx_ret"\nabove = -1\n'
        '[[alerts.rules]]\nname = "btc"\nseries = "BTC"\nabove = 0\n'
        '[[alerts.rules]]\nname = "rules"\nstage_rule = "*"\n'
        '[[alerts.rules]]\nname = "ledger"\nledger = true\n'
    )
    monkeypatch.setenv("RISKCURVE_CONFIG", str(config))
    db = tmp_path / "alerts.duckdb"
    db.write_bytes(real_store_path.read_bytes())
    result = watcher(db, [webhook_channel(receiver.url)]).dispatch(status_doc)
    rule_keys = [key for key in result.alerts if key.startswith("rule:spx above -100%:")]
    assert len(rule_keys) == 1 and result.ok
    texts = [body["text"] for body in receiver.bodies if "spx above -100%" in body["text"]]
    assert len(texts) == 1 and "data as of 2026-08-21" in texts[0]
    # BTC's own last close by then: 2026-08-20's (a UTC day's close is known when the day ends, after
    # this 20:00 UTC moment), and every alert of every rule says its data date
    btc = read_data(data_dir / "crypto/BTC.csv").set_index("date")["close"].loc[:"2026-08-20"].dropna()
    (btc_text,) = [body["text"] for body in receiver.bodies if body["text"].startswith("riskcurve: btc:")]
    assert f"BTC is {btc.iloc[-1]:,.2f}, above 0 since {btc.index[0]:%Y-%m-%d}; data as of 2026-08-20" in btc_text
    assert all("data as of" in body["text"] for body in receiver.bodies)

    config.write_text('[[alerts.rules]]\nname = "typo"\nseries = "BTCC"\nabove = 0\n')
    with pytest.raises(AlertConfigError, match=r"rules item 1 series: unknown.*BTC"):
        watcher(db, [webhook_channel(receiver.url)]).dispatch(status_doc)
