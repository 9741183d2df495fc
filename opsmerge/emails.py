"""Templated email: every message has a plain-text and an HTML part, rendered from
`<name>_subject.txt`, `<name>.txt` and `<name>.html`, and goes through Django's email
framework (EMAIL_URL picks SMTP, console or file backend)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send_templated(*, template: str, to: list[str], context: dict, reply_to: list[str] | None = None,
                   headers: dict[str, str] | None = None,
                   attachments: list[tuple[str, bytes | str, str]] | None = None) -> None:
    """`headers` are added to (and may override) the defaults, e.g. a Message-ID that
    names a ticket, or Auto-Submitted: auto-replied for an acknowledgement.
    `attachments`: (filename, content, mimetype), e.g. an invoice document."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=to,
        reply_to=reply_to or None,
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    message.send()
