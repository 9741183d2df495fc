"""Technician ticket pages: list filters and constant queries, detail, reply, notes,
updates, downloads, permissions."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import unscoped
from sites.tests.factories import SiteFactory
from tickets.models import Ticket, TicketComment
from tickets.tests.factories import TicketCommentFactory, TicketFactory

pytestmark = pytest.mark.django_db
LIST = "/tickets/"


@pytest.fixture
def board(msp):
    acme = ClientFactory(msp=msp, name="Acme Ltd")
    globex = ClientFactory(msp=msp, name="Globex")
    hq = SiteFactory(msp=msp, client=acme, name="Acme HQ", is_hq=True)
    pat = ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Portal", email="pat@acme.example",
                         is_portal_user=True)
    return {
        "acme": acme, "globex": globex, "hq": hq, "pat": pat,
        "portal": TicketFactory(msp=msp, client=acme, contact=pat, site=hq, subject="Portal printer jam",
                                source="portal", status="new", priority="normal"),
        "urgent": TicketFactory(msp=msp, client=globex, subject="Globex server down", source="email",
                                status="open", priority="urgent"),
        "done": TicketFactory(msp=msp, client=acme, subject="Old password reset", source="technician",
                              status="closed", priority="low"),
    }


def subjects(response):
    return {t.subject for t in response.context["tickets"]}


def test_list_shows_portal_tickets(web, board):
    response = web.get(LIST)
    assert response.status_code == 200
    assert subjects(response) == {"Portal printer jam", "Globex server down", "Old password reset"}
    assert "Portal" in response.content.decode()


@pytest.mark.parametrize("query, expected", [
    ("status=open", {"Globex server down"}),
    ("status=new&status=closed", {"Portal printer jam", "Old password reset"}),
    ("priority=urgent", {"Globex server down"}),
    ("source=portal", {"Portal printer jam"}),
    ("q=printer", {"Portal printer jam"}),
])
def test_list_filters(web, board, query, expected):
    assert subjects(web.get(f"{LIST}?{query}")) == expected


def test_list_filters_by_client_and_site(web, board):
    assert subjects(web.get(f"{LIST}?client={board['globex'].pk}")) == {"Globex server down"}
    response = web.get(f"{LIST}?client={board['acme'].pk}&site={board['hq'].pk}")
    assert subjects(response) == {"Portal printer jam"}
    assert "Acme HQ" in response.content.decode()  # the site picker appears once a client is chosen


def test_list_filter_ignores_other_msps_ids(web, board, two_msps):
    _alpha, bravo = two_msps
    response = web.get(f"{LIST}?client={bravo.objects['client'].pk}")
    assert response.status_code == 200 and "BravoTicket" not in response.content.decode()


def test_list_query_count_is_constant(web, msp, board, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        web.get(LIST)
    for i in range(30):
        contact = ContactFactory(msp=msp, client=board["acme"], email=f"c{i}@acme.example")
        TicketFactory(msp=msp, client=board["acme"], contact=contact, site=board["hq"], subject=f"T{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        web.get(LIST + "?source=technician")


def test_detail_shows_the_conversation(web, board, user):
    ticket = board["portal"]
    TicketCommentFactory(msp=ticket.msp, ticket=ticket, author_contact=board["pat"], body="Any news?")
    TicketCommentFactory(msp=ticket.msp, ticket=ticket, author_user=user, body="Checking logs", is_internal=True)
    body = web.get(reverse("tickets:detail", kwargs={"pk": ticket.pk})).content.decode()
    assert "Any news?" in body and "Checking logs" in body and "Internal note" in body


def test_public_reply_emails_the_contact_with_a_portal_link(web, board, django_capture_on_commit_callbacks):
    ticket = board["portal"]
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("tickets:reply", kwargs={"pk": ticket.pk}),
                            {"body": "A new toner is on its way", "attachments": [
                                SimpleUploadedFile("fix.pdf", b"%PDF-1.4 test")]})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["pat@acme.example"] and f"#{ticket.number}" in message.subject
    assert "A new toner is on its way" in message.body
    assert f"/portal/tickets/{ticket.number}/" in message.body


def test_internal_note_is_not_emailed(web, board, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("tickets:reply", kwargs={"pk": board["portal"].pk}), {"body": "hmm", "is_internal": "on"})
    assert mail.outbox == []
    with unscoped("test"):
        assert TicketComment.objects.get().is_internal


def test_empty_reply_is_a_field_error(web, board):
    response = web.post(reverse("tickets:reply", kwargs={"pk": board["portal"].pk}), {"body": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_update_status_priority_assignee_is_audited(web, board, make_user, user):
    tech = make_user(full_name="Tia Tech")
    ticket = board["portal"]
    response = web.post(reverse("tickets:update", kwargs={"pk": ticket.pk}),
                        {"status": "resolved", "priority": "high", "assigned_to": tech.pk})
    assert response.status_code == 302
    with unscoped("test"):
        ticket.refresh_from_db()
        event = AuditEvent.objects.get(action="ticket.update")
    assert (ticket.status, ticket.priority, ticket.assigned_to_id) == ("resolved", "high", tech.pk)
    assert ticket.resolved_at is not None
    assert event.actor_id == user.pk and event.changes["status"] == ["new", "resolved"]


def test_cannot_assign_another_msps_user(web, board, two_msps):
    _alpha, bravo = two_msps
    response = web.post(reverse("tickets:update", kwargs={"pk": board["portal"].pk}),
                        {"status": "open", "priority": "normal", "assigned_to": bravo.user.pk})
    assert response.status_code == 400
    with unscoped("test"):
        assert Ticket.objects.get(pk=board["portal"].pk).assigned_to_id is None


def test_read_only_can_view_but_not_reply_or_update(login, make_user, board):
    client = login(make_user(role=Role.READ_ONLY))
    ticket = board["portal"]
    page = client.get(reverse("tickets:detail", kwargs={"pk": ticket.pk}))
    assert page.status_code == 200 and 'action="/tickets/' not in page.content.decode()
    assert client.post(reverse("tickets:reply", kwargs={"pk": ticket.pk}), {"body": "x"}).status_code == 403
    assert client.post(reverse("tickets:update", kwargs={"pk": ticket.pk}),
                       {"status": "closed", "priority": "low"}).status_code == 403


def test_attachment_download(web, board):
    ticket = board["portal"]
    web.post(reverse("tickets:reply", kwargs={"pk": ticket.pk}),
             {"body": "log attached", "is_internal": "on",
              "attachments": [SimpleUploadedFile("app.log", b"line 1\nline 2\n")]})
    with unscoped("test"):
        attachment = ticket.attachments.get()
    response = web.get(reverse("tickets:attachment", kwargs={"pk": ticket.pk, "attachment_pk": attachment.pk}))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"line 1\nline 2\n"
    assert response["Content-Disposition"].startswith('attachment; filename="app.log"')
    other = board["urgent"]
    assert web.get(reverse("tickets:attachment", kwargs={"pk": other.pk, "attachment_pk": attachment.pk})
                   ).status_code == 404
