"""The shell: sidebar from the nav registry, global search, login page layout."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.tests.factories import ContactFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_sidebar_lists_defined_destinations_only(web):
    body = web.get(reverse("clients:list")).content.decode()
    assert 'class="sidebar"' in body
    assert reverse("clients:list") in body
    assert "data-global-search" in body


def test_login_page_renders_without_shell(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "bare-card" in body and 'class="sidebar"' not in body


def test_global_search_finds_each_kind(web, msp):
    acme = ClientFactory(msp=msp, name="Acme Holdings")
    ClientDomainFactory(msp=msp, client=acme, domain="zebra-mail.example")
    ContactFactory(msp=msp, client=acme, first_name="Zelda", last_name="Zebrowski", email="z@zebra-mail.example")
    SiteFactory(msp=msp, client=acme, name="Zebra House")
    AssetFactory(msp=msp, client=acme, name="LAP-01", serial_number="ZEBRA123")
    ClientFactory(msp=msp, name="Zebra Archived", status="archived", archived_at="2026-01-01T00:00:00Z")
    body = web.get(reverse("search"), {"q": "zebra"}).content.decode()
    assert "Acme Holdings" in body  # by domain
    assert "Zelda Zebrowski" in body
    assert "Zebra House" in body
    assert "LAP-01" in body  # by serial
    assert "Zebra Archived" not in body  # archived clients are hidden from search (seed 003)


def test_search_requires_sign_in(client):
    response = client.get(reverse("search"), {"q": "zz"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_read_only_user_sees_no_settings_entry(login, make_user):
    body = login(make_user(role=Role.READ_ONLY)).get(reverse("search")).content.decode()
    assert "Settings" not in body.split('class="sidebar-nav"')[1].split("</nav>")[0]
