"""Issue 13, item 6: the Django admin is for platform admins (no MSP, superuser) only."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory
from clients.models import Client

pytestmark = pytest.mark.django_db


def test_database_refuses_staff_status_for_an_msp_user(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_staff=True)
    user.is_staff = True
    with pytest.raises(ValidationError, match="cannot have Django admin access"):
        user.full_clean()


def test_msp_user_with_every_flag_and_permission_the_admin_offers_is_refused(client, user):
    other = MspFactory(name="Contoso MSP", slug="contoso")
    Client.objects.create(msp=other, name="Contoso Secret Client")
    User.objects.filter(pk=user.pk).update(is_superuser=True)  # is_staff is impossible (above)
    user.refresh_from_db()
    user.user_permissions.set(Permission.objects.all())
    client.force_login(user)
    for name in ("admin:index", "admin:clients_client_changelist", "admin:accounts_user_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response.url, name
    response = client.get(reverse("admin:clients_client_changelist"), follow=True)
    assert "Contoso Secret Client" not in response.content.decode()
    # The admin's own login form does not let them in either.
    client.logout()
    response = client.post(reverse("admin:login"), {"username": user.email, "password": DEFAULT_PASSWORD,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_platform_admin_opens_the_admin(client):
    admin = User.objects.create_superuser("root@platform.example", DEFAULT_PASSWORD, full_name="Root")
    MspFactory(name="Northwind IT", slug="northwind")
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:clients_client_changelist")).status_code == 200


def test_admin_user_form_refuses_staff_for_msp_user(client):
    admin = User.objects.create_superuser("root@platform.example", DEFAULT_PASSWORD, full_name="Root")
    tech = UserFactory(msp=MspFactory(slug="fabrikam"), email="tech@fabrikam.example", full_name="Tia Tech")
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[tech.pk])
    response = client.post(url, {"email": tech.email, "full_name": tech.full_name, "msp": tech.msp_id,
                                 "role": tech.role, "is_active": "on", "is_staff": "on",
                                 "last_login_0": "", "last_login_1": "",
                                 "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"})
    assert response.status_code == 200
    assert "cannot have Django admin access" in response.content.decode()
    tech.refresh_from_db()
    assert tech.is_staff is False


def test_site_gate_refuses_msp_user_even_if_the_flags_were_set_in_memory(rf, user):
    from django.contrib import admin

    user.is_staff = user.is_superuser = True  # never saved: the database refuses it
    request = rf.get("/")
    request.user = user
    assert admin.site.has_permission(request) is False
    user.msp = None
    assert admin.site.has_permission(request) is True


def test_every_admin_page_refuses_an_msp_user_with_every_flag_group_and_permission(client, user):
    """Issue 13, item 6: every page the admin offers (index, each app, each registered
    model's list, add and change pages) — an MSP user holding every flag the database
    allows, every permission directly and through a group, is sent to the login page."""
    from django.contrib import admin
    from django.contrib.auth.models import Group

    everything = Group.objects.create(name="Everything")
    everything.permissions.set(Permission.objects.all())
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_active=True)
    user.refresh_from_db()
    user.groups.add(everything)
    user.user_permissions.set(Permission.objects.all())
    assert user.has_perm("accounts.change_user") and user.msp_id is not None
    client.force_login(user)
    urls = [reverse("admin:index")]
    for model, _ in admin.site._registry.items():
        meta = model._meta
        urls.append(reverse("admin:app_list", kwargs={"app_label": meta.app_label}))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[user.pk]))
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url, f"{url}: {response.status_code}"
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]),
                           {"email": user.email, "is_staff": "on", "msp": ""})
    assert response.status_code == 302 and "/login/" in response.url
    user.refresh_from_db()
    assert user.is_staff is False and user.msp_id is not None
