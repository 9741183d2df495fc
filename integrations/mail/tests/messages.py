"""Raw RFC 5322 messages for tests and the benchmark, built with the stdlib."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone


def email_bytes(*, sender: str, subject: str, body: str = "Hello, the printer is jammed.", to: str = "support@msp.test",
                message_id: str | None = None, in_reply_to: str = "", headers: dict | None = None,
                attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain="sender.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def bounce_bytes(*, to: str, original_subject: str) -> bytes:
    """A delivery status notification (RFC 3464) from MAILER-DAEMON."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.client.test>\r\n"
        f"To: {to}\r\n"
        f"Subject: Undelivered Mail Returned to Sender: {original_subject}\r\n"
        f"Message-ID: {make_msgid(domain='mx.client.test')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. The message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.client.test\r\n\r\n"
        "Final-Recipient: rfc822; nobody@client.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b1--\r\n"
    ).encode()
