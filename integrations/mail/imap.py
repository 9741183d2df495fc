"""Polling the MSP's mailbox over IMAP (stdlib imaplib). The folder is opened
read-only (EXAMINE): we never change the customer's mailbox; what was processed is
remembered by UID (with UIDVALIDITY) on the Mailbox and by Message-ID on each
InboundMessage, so a killed poll re-run duplicates nothing."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import InboundMessage, Mailbox
from .services import inbound_receive_many

log = logging.getLogger("opsmerge.mail")

FETCH_BATCH = 50
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")


@dataclass
class PollResult:
    fetched: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    skipped: bool = False


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in connection, or ValidationError with what went wrong in words."""
    timeout = settings.MAIL_IMAP_TIMEOUT_SECONDS
    try:
        if mailbox.use_tls:
            context = ssl.create_default_context(cafile=settings.MAIL_IMAP_CA_FILE or None)
            imap = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=context, timeout=timeout)
        else:
            imap = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
    except ssl.SSLError as exc:
        raise ValidationError(f"TLS with {mailbox.host}:{mailbox.port} failed: {exc.reason or exc}") from None
    except OSError as exc:
        raise ValidationError(f"Cannot reach {mailbox.host}:{mailbox.port}: {exc.strerror or exc}") from None
    try:
        imap.login(mailbox.username, mailbox.password)
    except imaplib.IMAP4.error as exc:
        _close(imap)
        raise ValidationError(f"The server refused the sign-in: {_text(exc)}") from None
    return imap


def _text(exc: Exception) -> str:
    value = exc.args[0] if exc.args else exc
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _close(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        imap.logout()


def _select(imap: imaplib.IMAP4, folder: str) -> tuple[int, int]:
    """(UIDVALIDITY, message count) of the folder opened read-only."""
    status, data = imap.select(_quote(folder), readonly=True)
    if status != "OK":
        raise ValidationError(f"The folder {folder!r} cannot be opened: {_text(Exception(data[0]))}")
    uidvalidity = imap.response("UIDVALIDITY")[1]
    value = int(uidvalidity[0]) if uidvalidity and uidvalidity[0] else 0
    return value, int(data[0] or 0)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_test(*, mailbox: Mailbox) -> int:
    """Sign in and open the folder; returns how many messages it holds."""
    imap = connect(mailbox)
    try:
        return _select(imap, mailbox.folder)[1]
    except imaplib.IMAP4.error as exc:
        raise ValidationError(f"The server refused: {_text(exc)}") from None
    finally:
        _close(imap)


def _new_uids(imap: imaplib.IMAP4, after: int) -> list[int]:
    status, data = imap.uid("SEARCH", f"UID {after + 1}:*")
    if status != "OK":
        raise ValidationError("UID SEARCH failed.")
    # "n:*" always names the newest message, even when its UID is below n.
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > after)


def _fetch(imap: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    status, data = imap.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    if status != "OK":
        raise ValidationError("UID FETCH failed.")
    messages = []
    for item in data:
        if isinstance(item, tuple):
            match = _FETCH_UID.search(item[0])
            if match:
                messages.append((int(match.group(1)), item[1]))
    return sorted(messages)


def mailbox_poll(*, msp, mailbox: Mailbox, limit: int | None = None) -> PollResult:
    """Fetch the messages above the last UID and receive each. One poll per mailbox
    at a time (a cache lock); progress (last_uid) is saved after every batch."""
    result = PollResult()
    lock = f"mail-poll:{msp.pk}"
    if not cache.add(lock, "1", timeout=15 * 60):
        result.skipped = True
        return result
    try:
        imap = connect(mailbox)
        try:
            uidvalidity, _ = _select(imap, mailbox.folder)
            if mailbox.uidvalidity != uidvalidity:
                # A new folder (or a rebuilt one): start over; Message-IDs stop duplicates.
                mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
            uids = _new_uids(imap, mailbox.last_uid)
            if limit is not None:
                uids = uids[:limit]
            own = frozenset(a.lower() for a in [mailbox.address, mailbox.username] if a and "@" in a)
            for start in range(0, len(uids), FETCH_BATCH):
                fetched = _fetch(imap, uids[start:start + FETCH_BATCH])
                batch = inbound_receive_many(msp=msp, messages=[(raw, uid) for uid, raw in fetched],
                                             source=InboundMessage.Source.IMAP, uidvalidity=uidvalidity,
                                             own_addresses=own)
                for (uid, _), received in zip(fetched, batch, strict=True):
                    result.fetched += 1
                    status = received.message.status if received.created else "duplicate"
                    result.counts[status] = result.counts.get(status, 0) + 1
                    mailbox.last_uid = max(mailbox.last_uid, uid)
                Mailbox.objects.filter(msp=msp, pk=mailbox.pk).update(uidvalidity=mailbox.uidvalidity,
                                                                      last_uid=mailbox.last_uid)
        finally:
            _close(imap)
        mailbox.last_error = ""
    except (ValidationError, imaplib.IMAP4.error, OSError) as exc:
        result.error = " ".join(exc.messages) if isinstance(exc, ValidationError) else _text(exc)
        mailbox.last_error = result.error[:2000]
        log.warning("mail poll for MSP %s failed: %s", msp.pk, result.error)
    finally:
        cache.delete(lock)
    mailbox.last_polled_at = timezone.now()
    Mailbox.objects.filter(msp=msp, pk=mailbox.pk).update(
        uidvalidity=mailbox.uidvalidity, last_uid=mailbox.last_uid, last_polled_at=mailbox.last_polled_at,
        last_error=mailbox.last_error)
    return result
