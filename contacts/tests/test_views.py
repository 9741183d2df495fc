"""Contacts web UI: constant queries, grouped view with "No client assigned", role
flags and inactive through the services, bulk actions, roles on the server."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from clients.models import Tag
from clients.tests.factories import ClientFactory, TagFactory
from contacts.models import Contact, ContactTag
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import unscoped
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _populate(msp, n, tag):
    for i in range(n):
        client = ClientFactory(msp=msp)
        contact = ContactFactory(msp=msp, client=client, is_vip=i % 2 == 0)
        TicketFactory(msp=msp, client=client, contact=contact)
        AssetFactory(msp=msp, client=client, contact=contact)
        with unscoped("setup"):
            ContactTag.objects.create(msp=msp, contact=contact, tag=tag)


def _queries(web, url):
    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", ["/contacts/", "/contacts/?view=grouped"])
def test_contacts_list_query_count_is_constant(web, msp, url):
    tag = TagFactory(msp=msp, name="vip-care")
    _populate(msp, 3, tag)
    few = _queries(web, url)
    _populate(msp, 30, tag)
    assert _queries(web, url) == few
    assert few <= 15


def test_grouped_view_has_a_no_client_group_last(web, msp):
    acme = ClientFactory(msp=msp, name="Acme")
    ContactFactory(msp=msp, client=acme, first_name="Ann")
    ContactFactory(msp=msp, client=None, first_name="Val", last_name="Vendor")
    response = web.get("/contacts/?view=grouped")
    groups = response.context["groups"]
    assert [g["client__name"] for g in groups] == ["Acme", None]
    assert "No client assigned" in response.content.decode()
    assert [c.first_name for c in groups[1]["contacts"]] == ["Val"]


def test_flat_filters_and_counts(web, msp):
    acme = ClientFactory(msp=msp, name="Acme")
    vip = ContactFactory(msp=msp, client=acme, first_name="Vera", is_vip=True, phone="+44 20 7946 0001")
    ContactFactory(msp=msp, client=acme, first_name="Norm", is_active=False)
    TicketFactory.create_batch(2, msp=msp, client=acme, contact=vip)
    rows = list(web.get("/contacts/?role=vip").context["object_list"])
    assert [c.first_name for c in rows] == ["Vera"] and rows[0].ticket_count == 2
    assert [c.first_name for c in web.get("/contacts/?is_active=false").context["object_list"]] == ["Norm"]
    body = web.get("/contacts/").content.decode()
    assert "Inactive" in body and "VIP" in body


def test_make_primary_moves_the_flag(web, msp):
    client = ClientFactory(msp=msp)
    old = ContactFactory(msp=msp, client=client, is_primary=True)
    new = ContactFactory(msp=msp, client=client)
    assert web.post(reverse("contacts:make_primary", kwargs={"pk": new.pk})).status_code == 302
    with unscoped("assert"):
        assert list(Contact.objects.filter(client=client, is_primary=True)) == [Contact.objects.get(pk=new.pk)]
        assert not Contact.objects.get(pk=old.pk).is_primary


def test_create_person_linked_to_organisation_and_mark_inactive(web, msp):
    client = ClientFactory(msp=msp)
    org = ContactFactory(msp=msp, client=client, kind="organisation", organisation_name="Accountants LLP",
                         first_name="", last_name="")
    response = web.post(reverse("contacts:create"), {
        "kind": "person", "client": client.pk, "organisation": org.pk, "first_name": "Ivy", "last_name": "Ledger",
        "email": "ivy@acct.example", "is_active": "on", "tags": "finance"})
    assert response.status_code == 302
    with unscoped("assert"):
        ivy = Contact.objects.get(first_name="Ivy")
        assert ivy.organisation_id == org.pk and list(ivy.tags.values_list("name", flat=True)) == ["finance"]
    web.post(reverse("contacts:set_active", kwargs={"pk": ivy.pk}), {"active": "0"})
    with unscoped("assert"):
        assert not Contact.objects.get(pk=ivy.pk).is_active


def test_contact_form_refuses_foreign_client(web, msp, two_msps):
    _, bravo = two_msps
    response = web.post(reverse("contacts:create"), {"kind": "person", "client": bravo.objects["client"].pk,
                                                     "first_name": "X", "is_active": "on"})
    assert response.status_code == 200 and "client" in response.context["form"].errors


def test_bulk_tag_and_mark_inactive(web, msp):
    client = ClientFactory(msp=msp)
    a, b = ContactFactory(msp=msp, client=client), ContactFactory(msp=msp, client=client)
    web.post("/contacts/bulk/", {"action": "tag_add", "pk": [a.pk, b.pk], "confirm": "1", "tags": "newsletter"})
    web.post("/contacts/bulk/", {"action": "mark_inactive", "all": "1", "filter": f"client={client.pk}",
                                 "expected_count": "2", "confirm": "1"})
    with unscoped("assert"):
        assert ContactTag.objects.filter(tag=Tag.objects.get(name="newsletter")).count() == 2
        assert not Contact.objects.filter(client=client, is_active=True).exists()


def test_read_only_cannot_write(login, make_user, msp):
    reader = login(make_user(role=Role.READ_ONLY))
    contact = ContactFactory(msp=msp)
    assert reader.post(reverse("contacts:make_primary", kwargs={"pk": contact.pk})).status_code == 403
    assert reader.post(reverse("contacts:set_active", kwargs={"pk": contact.pk}), {"active": "0"}).status_code == 403
    assert reader.get(reverse("contacts:edit", kwargs={"pk": contact.pk})).status_code == 403
    assert reader.post("/contacts/bulk/", {"action": "tag_add", "pk": [contact.pk], "confirm": "1",
                                           "tags": "x"}).status_code == 403


def test_grouped_view_shows_the_first_contacts_of_each_group_in_order(web, msp, monkeypatch):
    from contacts.views import contacts as views

    monkeypatch.setattr(views, "CONTACTS_PER_GROUP", 3)
    acme, beta = ClientFactory(msp=msp, name="Acme"), ClientFactory(msp=msp, name="Beta")
    for last in ["Young", "Adams", "Mills", "Brown"]:
        ContactFactory(msp=msp, client=acme, first_name="A", last_name=last)
    ContactFactory(msp=msp, client=acme, first_name="P", last_name="Zed", is_primary=True)
    ContactFactory(msp=msp, client=acme, first_name="Gone", last_name="Aaron", deleted_at=timezone.now())
    ContactFactory(msp=msp, client=beta, first_name="B", last_name="Only")
    groups = web.get("/contacts/?view=grouped").context["groups"]
    assert [g["client__name"] for g in groups] == ["Acme", "Beta"]
    acme_group = groups[0]
    assert [c.last_name for c in acme_group["contacts"]] == ["Zed", "Adams", "Brown"]  # primary first, then A–Z
    assert acme_group["n"] == 5
    assert [c.last_name for c in groups[1]["contacts"]] == ["Only"] and groups[1]["n"] == 1


def test_grouped_view_applies_the_filters_to_groups_rows_and_counts(web, msp):
    tag = TagFactory(msp=msp, name="tier:gold")
    acme, beta = ClientFactory(msp=msp, name="Acme"), ClientFactory(msp=msp, name="Beta")
    gold = ContactFactory(msp=msp, client=acme, first_name="Gold", last_name="One")
    ContactFactory(msp=msp, client=acme, first_name="Plain", last_name="Two")
    ContactFactory(msp=msp, client=beta, first_name="Plain", last_name="Three")
    with unscoped("setup"):
        ContactTag.objects.create(msp=msp, contact=gold, tag=tag)
    response = web.get("/contacts/?view=grouped&tag=tier:gold")
    groups = response.context["groups"]
    assert [(g["client__name"], g["n"], [c.pk for c in g["contacts"]]) for g in groups] == [("Acme", 1, [gold.pk])]
    body = response.content.decode()
    assert reverse("contacts:detail", kwargs={"pk": gold.pk}) in body
    assert reverse("contacts:edit", kwargs={"pk": gold.pk}) in body
    assert reverse("clients:detail", kwargs={"pk": acme.pk}) in body


def test_pk_url_matches_reverse():
    from opsmerge.templatetags.ui import pk_url

    for name in ("contacts:detail", "contacts:edit", "contacts:make_primary", "clients:detail"):
        assert pk_url(name, 42) == reverse(name, kwargs={"pk": 42})
    with pytest.raises((TypeError, ValueError)):
        pk_url("contacts:detail", "1/../x")


@pytest.mark.parametrize("url", ["/contacts/", "/contacts/?view=grouped"])
def test_contact_rows_escape_what_users_typed(web, msp, url):
    acme = ClientFactory(msp=msp, name="Acme")
    contact = ContactFactory(msp=msp, client=acme, first_name="<script>x</script>", job_title='CTO "&"')
    with unscoped("setup"):
        ContactTag.objects.create(msp=msp, contact=contact, tag=TagFactory(msp=msp, name="a&b <i>"))
    body = web.get(url).content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "CTO &quot;&amp;&quot;" in body
    assert '?tag=a%26b%20%3Ci%3E">a&amp;b &lt;i&gt;</a>' in body
    make_primary = reverse("contacts:make_primary", kwargs={"pk": contact.pk})
    assert f'action="{make_primary}"' in body and 'name="csrfmiddlewaretoken"' in body
