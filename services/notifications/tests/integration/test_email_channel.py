"""The email channel against real SMTP servers: what arrives, byte for byte where it matters."""

import email
import email.policy
import ipaddress
import ssl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack.mail_sink import MailSink
from devstack.testing.fixtures import free_port
from services.notifications.email_channel import EmailChannel
from services.notifications.settings import NotificationsSettings

SUBJECT = "Rendez-vous confirmé : Prise de sang, jeudi 26 novembre 2026 à 19 h 33 (CLSC de Verdun)"
BODY = "Bonjour Léa,\n\nVotre rendez-vous est confirmé.\n\nAnnuler : https://portail.example/appointments/x\n"


class RawCapture:
    """An SMTP server keeping each transaction's envelope and raw bytes (aiosmtpd handler protocol), announcing
    PIPELINING or not (the channel then sends a transaction in two writes, or with aiosmtplib's four)."""

    def __init__(self, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.sessions = 0
        self.received: list[tuple[str, list[str], list[str], bytes]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:  # noqa: N802
        self.sessions += 1
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802 - aiosmtpd's name
        if address.startswith("refused@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd calls it by this name
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options), envelope.original_content)
        )
        return "250 OK"


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def raw_server(request: pytest.FixtureRequest) -> Iterator[tuple[RawCapture, int]]:
    capture = RawCapture(pipelining=request.param)
    controller = Controller(capture, hostname="127.0.0.1", port=free_port(), decode_data=False)
    controller.start()
    yield capture, controller.port
    controller.stop()


def settings_for(port: int) -> NotificationsSettings:
    return NotificationsSettings(environment="test", smtp_port=port)


async def test_a_message_arrives_with_its_headers_and_body_intact(mail_sink: MailSink):
    channel = EmailChannel(settings_for(mail_sink.port))
    delivery_id = str(uuid.uuid4())
    try:
        message_id = await channel.send(delivery_id, "lea.roy+rdv@example.org", SUBJECT, BODY)
        # A resend of the same delivery (e.g. after a crash before the commit) carries the same Message-ID.
        again = await channel.send(delivery_id, "lea.roy+rdv@example.org", SUBJECT, BODY)
    finally:
        await channel.close()
    assert message_id == again == f"<{delivery_id}@notifications.rendezvous-sante>"
    first, second = mail_sink.transmissions()
    assert (first.message_id, second.message_id) == (message_id, message_id)
    assert len(mail_sink.messages()) == 1
    assert first.sender == "no-reply@rendezvous-sante.example"
    assert first.recipients == ["lea.roy+rdv@example.org"]
    assert first.subject == SUBJECT
    assert first.body.replace("\r\n", "\n") == BODY


async def test_the_raw_message_is_well_formed_utf8_mime(raw_server):
    capture, port = raw_server
    channel = EmailChannel(settings_for(port))
    long_link = "Confirmer : https://portail.example/appointments/" + "a1b2c3d4" * 12 + "/confirm?token=é\n"
    try:
        await channel.send(str(uuid.uuid4()), "lea@example.org", SUBJECT, BODY)
        await channel.send(str(uuid.uuid4()), "lea@example.org", "Code", long_link)
    finally:
        await channel.close()
    (sender, recipients, options, raw), (_, _, _, raw_long) = capture.received
    assert (sender, recipients) == ("no-reply@rendezvous-sante.example", ["lea@example.org"])
    assert "BODY=8BITMIME" in options
    assert f"SIZE={len(raw)}" in options
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["From"]) == "Rendez-vous santé <no-reply@rendezvous-sante.example>"
    assert str(parsed["To"]) == "lea@example.org"
    assert str(parsed["Subject"]) == SUBJECT
    assert parsed["Date"].datetime is not None
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().replace("\r\n", "\n") == BODY
    assert parsed.defects == []
    long = email.message_from_bytes(raw_long, policy=email.policy.default)
    assert long["Content-Transfer-Encoding"] == "quoted-printable"
    assert raw_long.isascii()
    assert all(len(line) <= 78 for line in raw_long.split(b"\r\n"))
    assert long.get_content().replace("\r\n", "\n") == long_link


async def test_an_address_that_needs_quoting_goes_through_the_email_package(mail_sink: MailSink):
    channel = EmailChannel(settings_for(mail_sink.port))
    try:
        await channel.send(str(uuid.uuid4()), '"lea roy"@example.org', SUBJECT, BODY)
    finally:
        await channel.close()
    [mail] = mail_sink.transmissions()
    assert mail.recipients == ['"lea roy"@example.org']
    assert mail.subject == SUBJECT
    assert mail.body.replace("\r\n", "\n") == BODY


async def test_a_line_break_in_the_subject_is_refused_and_nothing_is_sent(mail_sink: MailSink):
    channel = EmailChannel(settings_for(mail_sink.port))
    try:
        with pytest.raises(ValueError, match="linefeed or carriage return"):
            await channel.send(str(uuid.uuid4()), "lea@example.org", "Hello\r\nBcc: eve@example.org", BODY)
    finally:
        await channel.close()
    assert mail_sink.transmissions() == []


async def test_a_refused_recipient_raises_and_the_next_message_still_goes_out(raw_server):
    capture, port = raw_server
    channel = EmailChannel(settings_for(port))
    try:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await channel.send(str(uuid.uuid4()), "refused@example.org", SUBJECT, BODY)
        await channel.send(str(uuid.uuid4()), "lea@example.org", SUBJECT, BODY)
    finally:
        await channel.close()
    assert [recipients for _, recipients, _, _ in capture.received] == [["lea@example.org"]]


async def test_lines_starting_with_a_dot_and_many_messages_go_over_one_session(raw_server):
    capture, port = raw_server
    channel = EmailChannel(settings_for(port))
    body = ".hidden\n..two\nnormal\n.\nend\n"
    try:
        for n in range(20):
            await channel.send(str(uuid.uuid4()), f"lea{n}@example.org", SUBJECT, body)
    finally:
        await channel.close()
    assert capture.sessions == 1
    assert [recipients for _, recipients, _, _ in capture.received] == [[f"lea{n}@example.org"] for n in range(20)]
    for _, _, options, raw in capture.received:
        assert options == [f"SIZE={len(raw)}", "BODY=8BITMIME"]
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed.get_content().replace("\r\n", "\n") == body


async def test_an_address_to_quote_goes_out_beside_a_pipelined_session(raw_server):
    capture, port = raw_server
    channel = EmailChannel(settings_for(port))
    try:
        await channel.send(str(uuid.uuid4()), "lea@example.org", SUBJECT, BODY)
        await channel.send(str(uuid.uuid4()), '"lea roy"@example.org', SUBJECT, BODY)
        await channel.send(str(uuid.uuid4()), "leo@example.org", SUBJECT, BODY)
    finally:
        await channel.close()
    assert [recipients for _, recipients, _, _ in capture.received] == [
        ["lea@example.org"],
        ['"lea roy"@example.org'],
        ["leo@example.org"],
    ]


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as a relay's STARTTLS would present (the test trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay.pem", directory / "relay.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-command-at-a-time"])
async def test_over_starttls_messages_go_out_encrypted_on_one_session(
    pipelining: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A relay that requires STARTTLS (production's settings): aiosmtplib upgrades the session, then the
    pipelined transactions (or aiosmtplib's own) run over the encrypted transport."""
    cert_path, key_path = _self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the client trusts this relay's certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_path, key_path)
    capture = RawCapture(pipelining=pipelining)
    controller = Controller(
        capture, hostname="127.0.0.1", port=free_port(), decode_data=False, tls_context=tls, require_starttls=True
    )
    controller.start()
    settings = NotificationsSettings(environment="test", smtp_port=controller.port, smtp_starttls=True)
    channel = EmailChannel(settings)
    try:
        for n in range(3):
            await channel.send(str(uuid.uuid4()), f"lea{n}@example.org", SUBJECT, BODY)
        assert (channel._pipelined is not None) is pipelining  # the encrypted session, pipelined when announced
    finally:
        await channel.close()
        controller.stop()
    assert [recipients for _, recipients, _, _ in capture.received] == [[f"lea{n}@example.org"] for n in range(3)]
    assert capture.sessions == 2  # EHLO before STARTTLS and again after it, on one connection
