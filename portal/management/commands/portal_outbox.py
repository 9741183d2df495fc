"""Show the latest emails of the demo outbox (EMAIL_URL=filemail://, files in
EMAIL_FILE_PATH, default var/outbox/) with their links, so sign-in links can be
used without a mail server:  python manage.py portal_outbox [--limit 5] [--to ADDR]"""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

SEPARATOR = re.compile(rb"\r?\n-{79}\r?\n")
LINK = re.compile(r"https?://[^\s<>\"]+")


def outbox_messages(path: Path) -> list[email.message.EmailMessage]:
    """Messages of the file backend's outbox, oldest first."""
    messages = []
    for log in sorted(path.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for chunk in SEPARATOR.split(log.read_bytes()):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(), policy=policy.default))
    return messages


def plain_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


class Command(BaseCommand):
    help = "Print the latest emails in the file outbox (recipients, subject, links)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=5)
        parser.add_argument("--to", default="", help="Only messages to this address.")
        parser.add_argument("--body", action="store_true", help="Print the plain-text body too.")

    def handle(self, *args, limit, to, body, **options):
        path = Path(settings.EMAIL_FILE_PATH)
        if settings.EMAIL_BACKEND != "django.core.mail.backends.filebased.EmailBackend":
            self.stderr.write(f"Note: EMAIL_BACKEND is {settings.EMAIL_BACKEND}; set EMAIL_URL=filemail:// to "
                              f"write emails to {path}.")
        messages = outbox_messages(path) if path.is_dir() else []
        if to:
            messages = [m for m in messages if to.lower() in str(m["To"]).lower()]
        if not messages:
            self.stdout.write(f"No emails in {path}.")
            return
        for message in messages[-limit:]:
            text = plain_text(message)
            self.stdout.write(self.style.MIGRATE_HEADING(f"{message['Date']}  To: {message['To']}"))
            self.stdout.write(f"  {message['Subject']}")
            for link in dict.fromkeys(LINK.findall(text)):
                self.stdout.write(f"  → {link}")
            if body:
                self.stdout.write(text)
            self.stdout.write("")
