"""Alert intake for RMM / monitoring tools (issue 17 item 3): an alert opens a
ticket addressed to the client's technical contact (seed 000: "default for
RMM/alerting communications"; the primary contact when none), deduplicated by the
tool's alert key: while that ticket is open, the same key adds a note to it; a
"resolved" alert notes and resolves it. Once resolved or closed, the key opens a new
ticket next time it fires."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import Contact
from tickets.models import Ticket
from tickets.services import ticket_comment_add, ticket_create, ticket_update

from .models import AlertTicket

SEVERITY_PRIORITY = {
    "info": Ticket.Priority.LOW,
    "warning": Ticket.Priority.NORMAL,
    "error": Ticket.Priority.HIGH,
    "critical": Ticket.Priority.URGENT,
}
FIRING, RESOLVED = "firing", "resolved"


def alert_contact(*, msp, client) -> Contact | None:
    """The client's technical contact, else its primary contact (live and active)."""
    return (Contact.objects.filter(msp=msp, client=client, deleted_at__isnull=True, is_active=True)
            .filter(is_technical=True) .order_by("pk").first()
            or Contact.objects.filter(msp=msp, client=client, deleted_at__isnull=True, is_active=True,
                                      is_primary=True).first())


def _lock(msp_id: int, client_id: int, key: str) -> None:
    """Serialise alerts of one key: two deliveries at once never open two tickets."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"alert:{msp_id}:{client_id}:{key}"])


@transaction.atomic
def alert_receive(*, msp, client, alert_key: str, title: str, description: str = "", severity: str = "warning",
                  status: str = FIRING, source_name: str = "", actor=None) -> tuple[str, AlertTicket | None]:
    """Returns (what happened: "created" / "updated" / "resolved" / "ignored", the link)."""
    alert_key = alert_key.strip()
    if not alert_key:
        raise ValidationError({"alert_key": "Give the alert's key (the same for every event of one alert)."})
    if severity not in SEVERITY_PRIORITY:
        raise ValidationError({"severity": f"One of: {', '.join(SEVERITY_PRIORITY)}."})
    if status not in (FIRING, RESOLVED):
        raise ValidationError({"status": "firing or resolved."})
    if client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    _lock(msp.pk, client.pk, alert_key)
    link = (AlertTicket.objects.filter(msp=msp, client=client, alert_key=alert_key,
                                       ticket__status__in=Ticket.OPEN_STATUSES)
            .select_related("ticket").order_by("-pk").first())
    label = f"{source_name}: " if source_name else ""
    if status == RESOLVED:
        if link is None:
            return "ignored", None
        ticket_comment_add(msp=msp, ticket=link.ticket, is_internal=True,
                           body=f"{label}alert resolved.\n\n{description}".strip())
        ticket_update(msp=msp, ticket=link.ticket, actor=actor, status=Ticket.Status.RESOLVED)
        AlertTicket.objects.filter(msp=msp, pk=link.pk).update(last_seen_at=timezone.now())
        return "resolved", link
    if link is not None:
        ticket_comment_add(msp=msp, ticket=link.ticket, is_internal=True,
                           body=f"{label}alert fired again ({severity}): {title}\n\n{description}".strip())
        link.occurrences += 1
        link.last_seen_at = timezone.now()
        link.save(update_fields=["occurrences", "last_seen_at"])
        return "updated", link
    ticket = ticket_create(msp=msp, client=client, contact=alert_contact(msp=msp, client=client),
                           subject=f"{label}{title}"[:255], description=description,
                           priority=SEVERITY_PRIORITY[severity], source=Ticket.Source.ALERT, actor=actor)
    link = AlertTicket.objects.create(msp=msp, client=client, alert_key=alert_key[:255], ticket=ticket,
                                      source_name=source_name[:100],
                                      created_by=actor if getattr(actor, "_meta", None) else None)
    return "created", link
