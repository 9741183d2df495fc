"""Account emails: rendered in the request, delivered by a Celery task (accounts.tasks)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send_later(*, template: str, to: list[str], context: dict) -> None:
    """`<template>_subject.txt`, `.txt` and (if present) `.html`, queued for delivery."""
    from django.template import TemplateDoesNotExist

    from .tasks import auth_email_send

    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    try:
        html = render_to_string(f"{template}.html", context)
    except TemplateDoesNotExist:
        html = None
    auth_email_send.delay(subject=subject, body=body, to=to, html=html)


def lockout(*, email: str, limit, what: str) -> None:
    """Tell the account's owner (if the account exists) that `what` is paused."""
    from .models import User

    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return
    send_later(template="accounts/email/lockout", to=[user.email], context={
        "user": user, "attempts": limit.max_attempts, "minutes": limit.window_seconds // 60, "what": what})
    logger.warning("auth throttle: %s paused for user %s", what, user.pk)
