"""The lifecycle, merge and duplicates pages are reachable from the technician UI,
with controls by role: the client's danger zone and archived banner, the list's
links and "Merge…" bulk action, Undo on merge events, the contact page's actions."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import MspFactory
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.audit import audit_record
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


def page(web, url_name, *args, **params):
    response = web.get(reverse(url_name, args=args), params)
    assert response.status_code == 200
    return response.content.decode()


def archived_client(msp, user, **kwargs):
    return ClientFactory(msp=msp, status="archived", archived_at="2026-03-02T10:00:00Z", archived_by=user,
                         archive_reason="Contract ended", **kwargs)


def test_danger_zone_offers_merge_and_archive_to_an_admin(web, msp):
    client = ClientFactory(msp=msp, name="Globex")
    html = page(web, "clients:detail", client.pk)
    assert 'id="danger-zone"' in html
    assert f'{reverse("clients:merge")}?ids={client.pk}' in html
    assert f'action="{reverse("clients:archive", args=[client.pk])}"' in html and 'name="reason"' in html
    assert reverse("clients:delete", args=[client.pk]) not in html  # only for archived clients


def test_archive_from_the_danger_zone_keeps_the_reason(web, msp, user):
    client = ClientFactory(msp=msp, name="Globex")
    response = web.post(reverse("clients:archive", args=[client.pk]), {"reason": "Went in-house"})
    assert response.status_code == 302
    html = page(web, "clients:detail", client.pk)
    assert "data-archived-banner" in html and "Went in-house" in html and f"by {user}" in html
    assert f'action="{reverse("clients:restore", args=[client.pk])}"' in html


@pytest.mark.parametrize("role,ops", [
    (Role.SUPER_ADMIN, {"restore", "delete"}),
    (Role.ADMIN, {"restore"}),
    (Role.TECHNICIAN, set()),
])
def test_archived_client_page_by_role(login, make_user, msp, user, role, ops):
    client = archived_client(msp, user, name="Initech")
    html = page(login(make_user(role=role)), "clients:detail", client.pk)
    assert "data-archived-banner" in html and "Contract ended" in html and f"by {user}" in html
    assert (f'action="{reverse("clients:restore", args=[client.pk])}"' in html) == ("restore" in ops)
    assert (reverse("clients:delete", args=[client.pk]) in html) == ("delete" in ops)
    assert f'{reverse("clients:merge")}?ids=' not in html  # an archived client cannot be a merge target
    assert reverse("clients:edit", args=[client.pk]) not in html
    assert ('id="danger-zone"' in html) == ("delete" in ops)  # Restore is in the banner


def test_read_only_sees_no_danger_zone(login, make_user, msp):
    client = ClientFactory(msp=msp)
    html = page(login(make_user(role=Role.READ_ONLY)), "clients:detail", client.pk)
    assert 'id="danger-zone"' not in html and reverse("clients:archive", args=[client.pk]) not in html


def test_clients_list_links_to_archived_and_duplicates(web, msp):
    ClientFactory(msp=msp)
    html = page(web, "clients:list")
    assert f'href="{reverse("clients:archived")}"' in html and f'href="{reverse("clients:duplicates")}"' in html
    assert 'value="merge"' in html and 'data-min-count="2"' in html
    html = page(web, "clients:archived")
    assert f'href="{reverse("clients:list")}"' in html


def test_technician_has_no_merge_bulk_action(login, make_user, msp):
    ClientFactory(msp=msp)
    html = page(login(make_user(role=Role.TECHNICIAN)), "clients:list")
    assert 'value="merge"' not in html
    response = login(make_user(role=Role.TECHNICIAN)).post(reverse("clients:bulk"), {"action": "merge", "pk": ["1"]})
    assert response.status_code == 403


def test_bulk_merge_hands_the_selection_to_the_preview(web, msp):
    a, b = ClientFactory(msp=msp, name="Acme"), ClientFactory(msp=msp, name="ACME Ltd")
    response = web.post(reverse("clients:bulk"), {"action": "merge", "pk": [str(b.pk), str(a.pk)]})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('clients:merge')}?ids={a.pk}&ids={b.pk}"
    assert "What moves into Acme" in web.get(response["Location"]).content.decode()


def test_bulk_merge_needs_two_to_twenty_clients(web, msp):
    clients = ClientFactory.create_batch(21, msp=msp)
    for chosen in (clients[:1], clients):
        response = web.post(reverse("clients:bulk"), {"action": "merge", "pk": [str(c.pk) for c in chosen]},
                            follow=True)
        html = response.content.decode()
        assert "Merge: select 2 to 20 clients" in html and f"({len(chosen)} selected)" in html
        assert response.redirect_chain[-1][0] == reverse("clients:list")


def test_bulk_merge_ignores_other_msps_ids(web, msp):
    mine = ClientFactory(msp=msp)
    theirs = ClientFactory(msp=MspFactory())
    response = web.post(reverse("clients:bulk"), {"action": "merge", "pk": [str(mine.pk), str(theirs.pk)]})
    assert response["Location"] == reverse("clients:list")  # one client of mine: not enough to merge


def test_merge_with_picks_the_other_client(web, msp):
    client = ClientFactory(msp=msp, name="Acme Tech")
    ClientDomainFactory(msp=msp, client=client, domain="acme.example")
    twin = ClientFactory(msp=msp, name="ACME-Tech Limited")
    other = ClientFactory(msp=msp, name="Globex")
    ClientDomainFactory(msp=msp, client=other, domain="globex.example")
    gone = ClientFactory(msp=msp, name="Globex Old", status="archived", archived_at="2026-01-01T00:00:00Z")
    html = page(web, "clients:merge", ids=client.pk)
    assert "Merge Acme Tech with…" in html and "ACME-Tech Limited" in html
    assert f"?ids={client.pk}&amp;ids={twin.pk}" in html
    html = page(web, "clients:merge", ids=client.pk, q="globex")
    assert f'data-merge-match="{other.pk}"' in html and f'data-merge-match="{gone.pk}"' not in html
    html = page(web, "clients:merge", ids=client.pk, q="globex.ex")  # by domain too
    assert f'data-merge-match="{other.pk}"' in html


def test_merge_events_offer_undo_on_both_activity_pages(web, msp, user):
    client = ClientFactory(msp=msp, name="Acme")
    with msp_scope(msp):
        audit_record(msp=msp, actor=user, action="client.merge", obj=client, client=client,
                     changes={"merge_id": 4242, "sources": [1]})
        audit_record(msp=msp, actor=user, action="client.update", obj=client, changes={"name": ["A", "Acme"]})
    undo = reverse("clients:merge_status", kwargs={"merge_pk": 4242})
    for html in (page(web, "clients:activity", client.pk), page(web, "activity")):
        assert html.count(undo) == 1 and "Undo merge" in html


def test_contact_page_actions_by_role(login, make_user, msp):
    contact = ContactFactory(msp=msp, is_portal_user=True, portal_last_sign_in_at=None)
    html = page(login(make_user(role=Role.TECHNICIAN)), "contacts:detail", contact.pk)
    assert reverse("contacts:delete", args=[contact.pk]) in html
    assert f'{reverse("contacts:merge")}?ids={contact.pk}' in html
    assert "Pending setup" in html and reverse("portal_invites:send", args=[contact.pk]) in html
    html = page(login(make_user(role=Role.READ_ONLY)), "contacts:detail", contact.pk)
    assert reverse("contacts:delete", args=[contact.pk]) not in html and reverse("contacts:merge") not in html
    assert reverse("portal_invites:send", args=[contact.pk]) not in html


def test_deleted_contacts_link_for_super_admin_only(login, make_user, msp):
    ContactFactory(msp=msp)
    deleted = reverse("contacts:deleted")
    assert deleted in page(login(make_user(role=Role.SUPER_ADMIN)), "contacts:list")
    assert deleted in page(login(make_user(role=Role.SUPER_ADMIN)), "contacts:list", view="grouped")
    assert deleted not in page(login(make_user(role=Role.ADMIN)), "contacts:list")


def test_contact_merge_with_lists_same_client_contacts(web, msp):
    client = ClientFactory(msp=msp)
    me = ContactFactory(msp=msp, client=client, first_name="Jo", last_name="Bloggs")
    twin = ContactFactory(msp=msp, client=client, first_name="jo", last_name="BLOGGS")
    colleague = ContactFactory(msp=msp, client=client, first_name="Al", last_name="Ant")
    stranger = ContactFactory(msp=msp, first_name="Jo", last_name="Bloggs")  # another client
    html = page(web, "contacts:merge", ids=me.pk)
    assert f'value="{twin.pk}" id="pick-{twin.pk}" checked' in html
    assert f'value="{colleague.pk}" id="pick-{colleague.pk}">' in html
    assert f'id="pick-{stranger.pk}"' not in html
    assert html.index(f"pick-{twin.pk}") < html.index(f"pick-{colleague.pk}")  # same name first
    html = page(web, "contacts:merge", ids=me.pk, q="ant")
    assert f'id="pick-{colleague.pk}"' in html and f'id="pick-{twin.pk}"' not in html
    html = page(web, "contacts:merge", ids=[me.pk, twin.pk])  # next step: who stays
    assert 'name="winner"' in html


def test_contacts_bulk_merge_hands_off(web, msp):
    client = ClientFactory(msp=msp)
    a, b = ContactFactory(msp=msp, client=client), ContactFactory(msp=msp, client=client)
    response = web.post(reverse("contacts:bulk"), {"action": "merge", "pk": [str(a.pk), str(b.pk)]})
    assert response["Location"] == f"{reverse('contacts:merge')}?ids={min(a.pk, b.pk)}&ids={max(a.pk, b.pk)}"


def test_merge_pickers_refuse_other_msps_ids(web, msp):
    other = MspFactory()
    theirs = ClientFactory(msp=other)
    their_contact = ContactFactory(msp=other, client=theirs)
    assert web.get(reverse("clients:merge"), {"ids": theirs.pk}).status_code == 404
    assert web.get(reverse("contacts:merge"), {"ids": their_contact.pk}).status_code == 404
    mine = ClientFactory(msp=msp, name="Mine")
    html = page(web, "clients:merge", ids=mine.pk, q=theirs.name)
    assert f'data-merge-match="{theirs.pk}"' not in html
