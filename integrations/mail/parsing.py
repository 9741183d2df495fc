"""Reading an RFC 5322 message with the stdlib email package (policy=default): who
sent it, what it answers, whether a machine wrote it, its text and its files.
Nothing here touches the database."""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses

from django.utils.html import strip_tags

from tickets.notifications import MESSAGE_ID_REFERENCE, SUBJECT_REFERENCE

_MSGID = re.compile(r"<[^<>\s]+>")
# Where the quoted earlier message starts in a reply (Gmail, Outlook, Apple Mail).
_QUOTE_START = re.compile(
    r"^(On .{0,200}wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|From: .+\n(Sent|Date): |_{10,}\s*$)",
    re.IGNORECASE | re.MULTILINE,
)
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_MACHINE_SENDERS = {"mailer-daemon", "postmaster"}


class Unreadable(Exception):
    """The message cannot be read (malformed MIME, unknown charset …): stored as failed."""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    body: str
    references: list[str] = field(default_factory=list)
    auto_reason: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2]

    def subject_numbers(self) -> list[int]:
        return [int(n) for n in SUBJECT_REFERENCE.findall(self.subject)]

    def referenced_ticket_numbers(self, msp_id: int) -> list[int]:
        """Ticket numbers named by our Message-IDs this message answers (newest first)."""
        numbers = []
        for ref in reversed(self.references):
            match = MESSAGE_ID_REFERENCE.search(ref)
            if match and int(match.group(1)) == msp_id:
                numbers.append(int(match.group(2)))
        return numbers


def message_key(raw: bytes, message_id: str) -> str:
    """The row key of a message: its Message-ID, else (none, or too long) a digest of
    its bytes, so the same message delivered twice is recognised either way."""
    if message_id and len(message_id) <= 255:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot even decode: treat as absent
        return ""
    return str(value).strip() if value is not None else ""


def auto_reason(msg: EmailMessage, from_address: str) -> str:
    """Why this message is machine-written (never a ticket, never answered), or ""."""
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _header(msg, name):
            return f"{name} header"
    if msg.get_content_type() == "multipart/report":
        return "Delivery status notification (multipart/report)"
    if from_address.partition("@")[0] in _MACHINE_SENDERS:
        return f"Sent by {from_address.partition('@')[0]}"
    if _header(msg, "Return-Path") == "<>":
        return "Empty Return-Path (a bounce)"
    return ""


def _text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError) as exc:  # unknown charset: keep what decodes
        payload = part.get_payload(decode=True) or b""
        if not payload:
            raise Unreadable(f"Unreadable body: {exc}") from None
        content = payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _text(part)
    if part.get_content_type() == "text/html":
        text = strip_tags(re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text))
    return text.replace("\r\n", "\n").strip()


def strip_quoted(body: str) -> str:
    """A reply without the earlier message it quotes."""
    match = _QUOTE_START.search(body)
    if match:
        body = body[:match.start()]
    lines = [line for line in body.splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip()


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.iter_attachments():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        found.append(Attachment(name=name, content_type=part.get_content_type(), data=data))
    return found


def parse(raw: bytes) -> Parsed:
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        sender = getaddresses([_header(msg, "From")])
        from_name, from_address = sender[0] if sender else ("", "")
        from_address = from_address.strip().lower()
        message_id = (_MSGID.findall(_header(msg, "Message-ID")) or [""])[0]
        references = list(dict.fromkeys(_MSGID.findall(_header(msg, "References"))
                                         + _MSGID.findall(_header(msg, "In-Reply-To"))))
        subject = " ".join(_header(msg, "Subject").split())
        reason = auto_reason(msg, from_address)
        body = "" if reason else _body(msg)
        attachments = [] if reason else _attachments(msg)
    except Unreadable:
        raise
    except Exception as exc:  # the parser's defects surface as many exception types
        raise Unreadable(f"Malformed message: {type(exc).__name__}: {exc}") from None
    return Parsed(message_id=message_id, from_address=from_address, from_name=from_name, subject=subject,
                  body=body, references=references, auto_reason=reason, attachments=attachments)
