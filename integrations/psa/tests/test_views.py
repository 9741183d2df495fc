"""The PSA pages: connect form from credential_fields (refusals at the form), the
connection page, the match review actions, conflicts, the client tab, the client list's
PSA column (constant queries)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import Client
from clients.tests.factories import ClientFactory
from integrations.psa.models import CompanyLink, Conflict, PsaConnection, PsaSyncRun
from integrations.psa.sync import connection_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(psa_emulator):
    emulated = psa_emulator["connectwise"]
    emulated.product.seed(companies=4, contacts_per_company=1, seed=3)
    return emulated


def _connect(web, cw, **override):
    data = {"base_url": cw.base_url, **cw.credentials, **override}
    return web.post(f"{reverse('settings:psa_connect')}?kind=connectwise", data)


def test_connect_form_is_driven_by_credential_fields_and_shows_refusals(web, msp, cw, scoped):
    page = web.get(f"{reverse('settings:psa_connect')}?kind=connectwise")
    html = page.content.decode()
    for name in ("company_id", "public_key", "private_key", "client_id"):
        assert f'name="{name}"' in html
    assert 'type="password"' in html
    refused = _connect(web, cw, private_key="nope")
    assert refused.status_code == 400
    assert "ConnectWise PSA refused" in refused.content.decode()
    assert not PsaConnection.objects.filter(msp=msp).exists()
    ok = _connect(web, cw)
    assert ok.status_code == 302
    conn = PsaConnection.objects.get(msp=msp)
    assert conn.status == "ok" and "private_key" not in conn.credentials
    assert cw.credentials["private_key"] not in web.get(ok["Location"]).content.decode()
    assert PsaSyncRun.objects.filter(msp=msp, trigger="connect").exists()


def test_review_page_actions_and_conflicts(web, msp, cw, user, scoped):
    ClientFactory(msp=msp, name=cw.product.company_fields(cw.product.ids("companies")[0])["name"])
    local = ClientFactory(msp=msp, name="Pushed From Here")
    _connect(web, cw)
    conn = PsaConnection.objects.get(msp=msp)
    PsaSyncRun.objects.filter(msp=msp).delete()
    connection_sync(msp=msp, connection=conn)
    url = reverse("settings:psa_review", args=[conn.pk])
    page = web.get(url)
    assert page.status_code == 200 and "same name" in page.content.decode()
    assert web.post(url, {"action": "confirm_all"}).status_code == 302
    assert CompanyLink.objects.filter(msp=msp, state="linked").count() == 1
    web.post(url, {"action": "import_all"})
    assert CompanyLink.objects.filter(msp=msp, state="linked").count() == 4
    web.post(url, {"action": "push", "client": local.pk})
    assert CompanyLink.objects.get(msp=msp, client=local).external_id in cw.product.ids("companies")
    assert web.post(url, {"action": "finish"}).status_code == 302
    conn.refresh_from_db()
    assert conn.stage == "syncing"
    link = CompanyLink.objects.filter(msp=msp, state="linked").first()
    conflict = Conflict.objects.create(msp=msp, connection=conn, entity="company", company=link, field="phone",
                                       ours="111", theirs="222", base_value="000")
    page = web.get(reverse("settings:psa_conflicts", args=[conn.pk])).content.decode()
    assert "111" in page and "222" in page
    web.post(reverse("settings:psa_conflicts", args=[conn.pk]), {"conflict": conflict.pk, "choice": "theirs"})
    conflict.refresh_from_db()
    assert conflict.state == "resolved"
    assert Client.objects.get(pk=link.client_id).phone_number == "222"
    tab = web.get(reverse("clients:psa", args=[link.client_id]))
    assert tab.status_code == 200 and f"#{link.external_id}" in tab.content.decode()
    settings_page = web.get(reverse("settings:psa_connection", args=[conn.pk]))
    assert settings_page.status_code == 200


def test_client_list_psa_column_constant_queries(web, msp, scoped, django_assert_max_num_queries):
    conn = PsaConnection.objects.create(msp=msp, kind="connectwise", base_url="https://cw.example")

    def add(n):
        for i in range(n):
            client = ClientFactory(msp=msp, name=f"Linked {i}-{n}", psa_id=f"{n}{i}")
            CompanyLink.objects.create(msp=msp, connection=conn, client=client, external_id=f"{n}{i}",
                                       state="linked")

    add(2)
    web.get(reverse("clients:list"))
    with django_assert_max_num_queries(40) as few:
        page = web.get(reverse("clients:list"))
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = web.get(reverse("clients:list"))
    html = page.content.decode()
    assert "ConnectWise" in html and "#200" in html
    filtered = web.get(reverse("clients:list") + "?psa=unlinked").content.decode()
    assert "Linked 0-2" not in filtered
