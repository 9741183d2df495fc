import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.mfa_helpers import step_up
from clients.models import Client, ClientMerge, DuplicateCandidate, DuplicateDismissal
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_archive_then_restore_through_the_pages(web, msp):
    client = ClientFactory(msp=msp, name="Globex")
    assert web.get(reverse("clients:archive", args=[client.pk])).status_code == 200
    response = web.post(reverse("clients:archive", args=[client.pk]), {"reason": "Left us"})
    assert response.status_code == 302
    page = web.get(reverse("clients:archived")).content.decode()
    assert "Globex" in page and "Left us" in page and "Restore" in page
    assert "Delete permanently" not in page  # Admin, not Super Admin
    web.post(reverse("clients:restore", args=[client.pk]))
    with msp_scope(msp):
        assert Client.objects.get(pk=client.pk).status == "active"


def test_technician_cannot_archive(login, make_user, msp):
    client = ClientFactory(msp=msp)
    web = login(make_user(role=Role.TECHNICIAN))
    assert web.post(reverse("clients:archive", args=[client.pk])).status_code == 403
    assert web.get(reverse("clients:delete", args=[client.pk])).status_code == 403


def test_delete_page_shows_impact_and_rechecks_the_name(login, make_user, msp):
    web = login(make_user(role=Role.SUPER_ADMIN))
    client = ClientFactory(msp=msp, name="Initech", status="archived", archived_at="2026-01-01T00:00:00Z")
    TicketFactory(msp=msp, client=client)
    page = web.get(reverse("clients:delete", args=[client.pk])).content.decode()
    assert 'data-typed-confirm="Initech"' in page and "disabled" in page and 'data-impact="tickets.ticket.client"' in page
    step_up(web)  # a permanent delete needs a fresh step-up (accounts.stepup)
    response = web.post(reverse("clients:delete", args=[client.pk]), {"typed_name": "initech"})
    assert response.status_code == 422 and "exact name" in response.content.decode()
    response = web.post(reverse("clients:delete", args=[client.pk]), {"typed_name": "Initech"})
    assert response.status_code == 302
    with msp_scope(msp):
        assert not Client.objects.filter(pk=client.pk).exists()


def test_merge_preview_start_and_redirect(web, msp, settings):
    target, source = ClientFactory(msp=msp, name="Acme"), ClientFactory(msp=msp, name="ACME Ltd")
    TicketFactory(msp=msp, client=source)
    url = reverse("clients:merge") + f"?ids={target.pk}&ids={source.pk}"
    page = web.get(url).content.decode()
    assert "What moves into Acme" in page and "Tickets" in page
    response = web.post(reverse("clients:merge"), {"ids": [target.pk, source.pk], "target": target.pk,
                                                   "field_name": source.pk})
    assert response.status_code == 302
    with msp_scope(msp):
        merge = ClientMerge.objects.get()
    from clients.merge import client_merge_execute

    with msp_scope(msp):
        client_merge_execute(msp=msp, merge=merge)
    status = web.get(reverse("clients:merge_status", args=[merge.pk])).content.decode()
    assert "Undo merge" in status
    # The old client's pages redirect to the target.
    response = web.get(reverse("clients:tickets", args=[source.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("clients:tickets", args=[target.pk])
    with msp_scope(msp):
        assert Client.objects.get(pk=target.pk).name == "ACME Ltd"
    web.post(reverse("clients:merge_undo", args=[merge.pk]))
    assert web.get(reverse("clients:detail", args=[source.pk])).status_code == 200


def test_duplicates_page_and_dismiss(web, msp):
    a, b = ClientFactory(msp=msp, name="Hooli Ltd"), ClientFactory(msp=msp, name="HOOLI Limited")
    with msp_scope(msp):
        from clients.duplicates import duplicates_recompute

        duplicates_recompute(msp=msp)
        candidate = DuplicateCandidate.objects.get()
    page = web.get(reverse("clients:duplicates")).content.decode()
    assert "Hooli Ltd" in page and "100%" in page and f"ids={a.pk}&amp;ids={b.pk}" in page
    web.post(reverse("clients:duplicate_dismiss", args=[candidate.pk]))
    with msp_scope(msp):
        assert DuplicateDismissal.objects.filter(client_a=a, client_b=b).exists()


def test_deleted_contacts_view_is_super_admin_only(login, make_user, web, msp):
    contact = ContactFactory(msp=msp, first_name="Zed")
    web.post(reverse("contacts:delete", args=[contact.pk]))
    assert web.get(reverse("contacts:deleted")).status_code == 403  # Admin
    root = login(make_user(role=Role.SUPER_ADMIN))
    assert "Zed" in root.get(reverse("contacts:deleted")).content.decode()
    root.post(reverse("contacts:restore", args=[contact.pk]))
    with msp_scope(msp):
        assert Contact.objects.alive().filter(pk=contact.pk).exists()
