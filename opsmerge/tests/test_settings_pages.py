"""Settings (custom fields, tech groups), Activity, sites and assets pages."""

import pytest
from django.urls import reverse

from accounts.models import TechGroup
from accounts.roles import Role
from assets.models import Asset
from assets.tests.factories import AssetFactory
from clients.models import Client, CustomField
from clients.tests.factories import ClientFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import unscoped
from sites.models import Site
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_custom_field_defined_then_shown_on_the_client_form(web, msp):
    response = web.post(reverse("settings:custom_field_create"), {
        "applies_to": "client", "label": "Backup provider", "key": "backup", "field_type": "choice",
        "choices_text": "Veeam\nDatto", "position": 0})
    assert response.status_code == 302
    with unscoped("assert"):
        field = CustomField.objects.get(msp=msp, key="backup")
    assert field.choices == ["Veeam", "Datto"]
    assert "Backup provider" in web.get(reverse("clients:create")).content.decode()
    dup = web.post(reverse("settings:custom_field_create"), {
        "applies_to": "client", "label": "Again", "key": "backup", "field_type": "text", "position": 0})
    assert "already" in dup.content.decode()


def test_tech_group_crud_and_read_only_forbidden(web, msp, user, login, make_user):
    assert web.post(reverse("settings:tech_group_create"), {"name": "Service desk", "members": [user.pk]}).status_code == 302
    with unscoped("assert"):
        group = TechGroup.objects.get(msp=msp)
        assert AuditEvent.objects.filter(action="techgroup.create").exists()
    reader = login(make_user(role=Role.READ_ONLY))
    assert reader.get(reverse("settings:index")).status_code == 403
    assert reader.post(reverse("settings:tech_group_edit", kwargs={"tech_group_pk": group.pk}),
                       {"name": "X"}).status_code == 403


def test_activity_page_filters(web, msp):
    client = ClientFactory(msp=msp, name="Audited")
    with unscoped("setup"):
        AuditEvent.objects.create(msp=msp, action="client.update", object_type="client", object_id=str(client.pk),
                                  object_repr="Audited", client=client, client_name="Audited",
                                  changes={"name": ["Old", "Audited"]})
        AuditEvent.objects.create(msp=msp, action="site.create", object_type="site", object_repr="HQ")
    body = web.get(reverse("activity") + "?type=client").content.decode()
    assert "client.update" in body and "site.create" not in body
    tab = web.get(reverse("clients:activity", kwargs={"pk": client.pk})).content.decode()
    assert "Old" in tab and "site.create" not in tab


def test_site_create_on_a_client_and_edit(web, msp):
    client = ClientFactory(msp=msp)
    response = web.post(reverse("sites:create"), {"client": client.pk, "name": "Manchester", "country": "GB",
                                                  "state": "GB-MAN"})
    assert response.status_code == 302
    with unscoped("assert"):
        site = Site.objects.get(client=client)
    assert site.is_hq  # a client's first site is its HQ
    archived = ClientFactory(msp=msp, status="archived", archived_at="2026-01-01T00:00:00Z")
    refused = web.post(reverse("sites:create"), {"client": archived.pk, "name": "Nope"})
    assert refused.status_code == 200 and "client" in refused.context["form"].errors
    assert web.post(reverse("sites:edit", kwargs={"pk": site.pk}), {"name": "Manchester HQ", "is_hq": "on"}).status_code == 302


def test_assets_list_filter_by_site_and_edit(web, msp):
    client = ClientFactory(msp=msp)
    london, leeds = SiteFactory(msp=msp, client=client, name="London"), SiteFactory(msp=msp, client=client, name="Leeds")
    AssetFactory(msp=msp, client=client, site=london, name="LDN-01")
    leeds_asset = AssetFactory(msp=msp, client=client, site=leeds, name="LDS-01")
    names = [a.name for a in web.get(reverse("assets:list") + f"?site={leeds.pk}").context["object_list"]]
    assert names == ["LDS-01"]
    other = ClientFactory(msp=msp)
    bad = web.post(reverse("assets:edit", kwargs={"pk": leeds_asset.pk}), {
        "name": "LDS-01", "kind": "laptop", "client": other.pk, "site": leeds.pk, "is_active": "on"})
    assert bad.status_code == 200 and "site" in bad.context["form"].errors
    ok = web.post(reverse("assets:edit", kwargs={"pk": leeds_asset.pk}), {
        "name": "LDS-02", "kind": "laptop", "client": client.pk, "site": london.pk, "is_active": "on"})
    assert ok.status_code == 302
    with unscoped("assert"):
        assert Asset.objects.get(pk=leeds_asset.pk).site_id == london.pk
        assert Client.objects.filter(pk=client.pk).exists()
