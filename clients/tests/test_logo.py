"""Client logos: uploaded through the edit form as a raster image only, stored per
MSP, shown through the MSP-checked logo view, and a replaced logo's file removed."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clients.tests.factories import ClientFactory
from opsmerge.tenancy import unscoped
from opsmerge.testing.images import SVG_WITH_SCRIPT, png_bytes

pytestmark = pytest.mark.django_db


def _edit(web, client, logo):
    return web.post(reverse("clients:edit", kwargs={"pk": client.pk}),
                    {"name": client.name, "status": "active", "time_zone": "UTC", "logo": logo})


def _bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="BMP")
    return out.getvalue()


def test_logo_uploaded_through_the_edit_form_is_stored_per_msp_and_displayed(web, msp):
    client = ClientFactory(msp=msp, name="Logo Ltd")
    response = _edit(web, client, SimpleUploadedFile("Our Logo.png", png_bytes(), content_type="image/png"))
    assert response.status_code == 302, response.context["form"].errors
    with unscoped("assert"):
        client.refresh_from_db()
    assert re.fullmatch(rf"msp/{msp.pk}/client-logo/[A-Za-z0-9_-]{{32}}\.png", client.logo.name)
    page = web.get(reverse("clients:detail", kwargs={"pk": client.pk})).content.decode()
    assert 'data-testid="client-logo"' in page and client.logo_src.replace("&", "&amp;") in page


@pytest.mark.parametrize(("name", "content", "message"), [
    ("logo.svg", SVG_WITH_SCRIPT, "Upload a valid image"),
    ("logo.png", SVG_WITH_SCRIPT, "Upload a valid image"),
    ("logo.bmp", None, "PNG, JPEG, GIF or WebP"),
])
def test_svg_and_other_formats_are_refused_as_logos(web, msp, name, content, message):
    client = ClientFactory(msp=msp)
    response = _edit(web, client, SimpleUploadedFile(name, content if content is not None else _bmp()))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["logo"])
    with unscoped("assert"):
        client.refresh_from_db()
    assert not client.logo


def test_a_replaced_logo_file_is_deleted_after_commit(web, msp, django_capture_on_commit_callbacks):
    client = ClientFactory(msp=msp)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, client, SimpleUploadedFile("one.png", png_bytes(), content_type="image/png"))
    with unscoped("assert"):
        client.refresh_from_db()
    first = client.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, client, SimpleUploadedFile("two.png", png_bytes(colour="#dc2626"), content_type="image/png"))
    with unscoped("assert"):
        client.refresh_from_db()
    assert client.logo.name != first
    assert not default_storage.exists(first) and default_storage.exists(client.logo.name)


def test_a_client_without_a_logo_has_no_logo_url(web, msp):
    client = ClientFactory(msp=msp)
    assert client.logo_src == ""
    assert web.get(reverse("clients:logo", kwargs={"pk": client.pk})).status_code == 404
