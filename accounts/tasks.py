"""Celery tasks of staff accounts."""

from celery import shared_task


@shared_task(name="accounts.auth_email_send")
def auth_email_send(*, subject: str, body: str, to: list[str], html: str | None = None) -> None:
    """Deliver an already-rendered account email (password reset, lockout, new device).
    Not an MspTask: staff identities are global. Sending off the request keeps a known
    address's answer as fast as an unknown one's (no enumeration by timing)."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(subject=subject, body=body, to=to, headers={"Auto-Submitted": "auto-generated"})
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
