"""The technicians' tickets list's table (opsmerge.tables)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import localtime

from opsmerge.tables import DASH, Column, Table, ago
from opsmerge.templatetags.ui import pk_url

from .models import Ticket
from .sla.state import is_breached

STATUS_BADGES = {Ticket.Status.NEW: "badge-info", Ticket.Status.OPEN: "badge-accent",
                 Ticket.Status.WAITING: "badge-warning", Ticket.Status.RESOLVED: "badge-success"}
PRIORITY_BADGES = {Ticket.Priority.URGENT: ("badge-danger", "Urgent"), Ticket.Priority.HIGH: ("badge-warning", "High")}


def ticket_badges(ticket: Ticket) -> str:
    """Status, and the priority when high or urgent (as tickets/_badges.html)."""
    status = format_html('<span class="badge {}">{}</span>', STATUS_BADGES.get(ticket.status, ""),
                         ticket.get_status_display())
    priority = PRIORITY_BADGES.get(ticket.priority)
    return status + (format_html('\n<span class="badge {}">{}</span>', *priority) if priority else "")


class TicketTable(Table):
    """Rows need `client`, `contact`, `site` and `assigned_to` (tickets.selectors.ticket_list)."""

    number = Column("#", sort=("number",), css="num", td_css="mono")
    subject = Column("Subject", td_css="primary-cell")
    client = Column("Client")
    contact = Column("Contact")
    status = Column("Status", td_css="nowrap")
    source = Column("Source")
    assignee = Column("Assignee")
    due = Column("SLA due", sort=("sla_next_due",), td_css="nowrap")
    created = Column("Created", sort=("created_at",), td_css="nowrap")
    default_sort = "-created"

    def render_number(self, ticket):
        return ticket.number

    def render_subject(self, ticket):
        site = format_html('<div class="cell-sub">{}</div>', ticket.site.name) if ticket.site else ""
        return format_html('<a href="{}">{}</a>{}', pk_url("tickets:detail", ticket.pk), ticket.subject, site)

    def render_client(self, ticket):
        return escape(ticket.client.name) if ticket.client else DASH

    def render_contact(self, ticket):
        if not ticket.contact:
            return DASH
        vip = mark_safe(' <span class="badge badge-vip">VIP</span>') if ticket.contact.is_vip else ""
        return format_html("{}{}", ticket.contact.display_name, vip)

    def render_status(self, ticket):
        return ticket_badges(ticket)

    def render_source(self, ticket):
        return escape(ticket.get_source_display())

    def render_assignee(self, ticket):
        return escape(ticket.assigned_to.full_name if ticket.assigned_to and ticket.assigned_to.full_name else "—")

    def render_due(self, ticket):
        """The next due time (first response, then resolution): how far off in wall-clock
        time, the exact time on hover; a breached badge; "Paused" while waiting."""
        breached = mark_safe('<span class="badge badge-danger">Breached</span> ') if is_breached(ticket) else ""
        due = ticket.sla_next_due
        if due is None:
            if ticket.is_open and ticket.sla_paused_at is not None:
                return format_html('{}<span class="badge">Paused</span>', breached)
            return breached or DASH
        exact = date_format(localtime(due), "DATETIME_FORMAT")
        if due <= timezone.now():
            return format_html('{}<span class="sla-overdue" title="{}">{} ago</span>', breached, exact, timesince(due, depth=1))
        return format_html('{}<span title="{}">in {}</span>', breached, exact, timeuntil(due, depth=1))

    def render_created(self, ticket):
        return ago(ticket.created_at)
