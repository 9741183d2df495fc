"""What tickets add to other apps' pages (opsmerge.registry): per-row counts, the
ticket cards of the contact, site and asset pages, the open-tickets figure of the
client overview."""

from __future__ import annotations

from django.urls import reverse

from opsmerge.db import count_subquery

from .models import Ticket


def open_tickets_count():
    return count_subquery(Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES), "client")


def contact_ticket_count():
    return count_subquery(Ticket.objects.all(), "contact")


def site_open_ticket_count():
    return count_subquery(Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES), "site")


def contact_tickets(*, msp, obj) -> dict:
    return {"tickets": Ticket.objects.filter(msp=msp, contact=obj).order_by("-created_at")[:10],
            "tickets_title": "Tickets", "tickets_empty": "No tickets from this contact.", "tickets_dated": True}


def site_tickets(*, msp, obj) -> dict:
    return {"tickets": Ticket.objects.filter(msp=msp, site=obj, status__in=Ticket.OPEN_STATUSES)
            .select_related("contact")[:50],
            "tickets_title": "Open tickets", "tickets_empty": "No open tickets.",
            "tickets_more_url": reverse("clients:tickets", kwargs={"pk": obj.client_id}) + f"?site={obj.pk}&state=all",
            "tickets_more_label": "All tickets of this site →"}


def asset_tickets(*, msp, obj) -> dict:
    return {"tickets": Ticket.objects.filter(msp=msp, asset=obj).order_by("-created_at")[:10],
            "tickets_title": "Tickets", "tickets_empty": "No tickets about this device."}
