"""Files kept per MSP (issue 12, item 4): every upload — client logo, client document,
ticket attachment (technician and portal), the MSP's logo — is stored under
msp/<msp_id>/<kind>/<random token>, and no other MSP, no contact of another client
and no anonymous visitor can fetch it by any URL: staff views, portal views or a
guessed /media/ path. The portal is the top of the stack these files cross, so the
test lives here."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import MspFactory, UserFactory
from clients.documents import document_upload
from clients.models import ClientDocument
from clients.services import client_update
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope, unscoped
from opsmerge.testing.images import png_bytes
from tickets.models import TicketAttachment
from tickets.services import ticket_comment_add
from tickets.tests.factories import TicketFactory

from .conftest import sign_in

pytestmark = pytest.mark.django_db

TOKEN = r"[A-Za-z0-9_-]{32}"
PDF = b"%PDF-1.4 Northwind's secret contract"
LOG = b"A's secret log line\n"


@pytest.fixture
def files(msp, user, acme, portal_contact):
    """MSP A (Northwind) with one of each kind of file, stored through the services."""
    logo = png_bytes(colour="#0f766e")
    msp_logo = png_bytes(colour="#7c3aed")
    ticket = TicketFactory(msp=msp, client=acme, contact=portal_contact, subject="Printer")
    with msp_scope(msp):
        client_update(msp=msp, client=acme, actor=user, logo=SimpleUploadedFile("Acme Logo.PNG", logo))
        document = document_upload(msp=msp, client=acme, actor=user, name="Contract 2026",
                                   upload=SimpleUploadedFile("contract.pdf", PDF))
        ticket_comment_add(msp=msp, ticket=ticket, body="see log", author_contact=portal_contact,
                           attachments=[SimpleUploadedFile("printer.log", LOG)])
        attachment = TicketAttachment.objects.get(msp=msp, ticket=ticket)
        acme.refresh_from_db()
    msp.logo.save("northwind.png", ContentFile(msp_logo))
    return {"ticket": ticket, "document": document, "attachment": attachment, "client": acme,
            "secrets": [logo, msp_logo, PDF, LOG]}


def test_uploads_are_stored_per_msp_with_the_original_name_in_the_database_only(msp, files):
    client, document, attachment = files["client"], files["document"], files["attachment"]
    assert re.fullmatch(rf"msp/{msp.pk}/client-logo/{TOKEN}\.png", client.logo.name)
    assert re.fullmatch(rf"msp/{msp.pk}/client-document/{TOKEN}\.pdf", document.file.name)
    assert re.fullmatch(rf"msp/{msp.pk}/ticket-attachment/{TOKEN}\.log", attachment.file.name)
    assert re.fullmatch(rf"msp/{msp.pk}/msp-logo/{TOKEN}\.png", msp.logo.name)
    assert document.name == "Contract 2026" and attachment.name == "printer.log"
    assert "contract" not in document.file.name and "printer" not in attachment.file.name


def test_a_portal_upload_is_stored_per_msp(portal, msp, acme, portal_contact):
    ticket = TicketFactory(msp=msp, client=acme, contact=portal_contact, subject="Screen flickers")
    url = reverse("portal:ticket", kwargs={"number": ticket.number})
    response = portal.post(url, {"body": "photo", "attachments": [SimpleUploadedFile("IMG 1.png", png_bytes())]})
    assert response.status_code == 302
    with unscoped("test"):
        attachment = TicketAttachment.objects.get(ticket=ticket)
    assert re.fullmatch(rf"msp/{msp.pk}/ticket-attachment/{TOKEN}\.png", attachment.file.name)
    assert attachment.name == "IMG 1.png"


def test_old_rows_keep_their_stored_path_and_still_download(web, msp, acme, user):
    """Rows stored before this layout (client-documents/%Y/%m/…) are not moved."""
    from django.core.files.storage import default_storage

    old = default_storage.save("client-documents/2025/11/runbook.txt", ContentFile(b"old runbook"))
    with unscoped("test"):
        document = ClientDocument.objects.create(msp=msp, client=acme, name="Runbook", file=old,
                                                 content_type="text/plain", size=11)
    response = web.get(reverse("clients:document_download", kwargs={"client_pk": acme.pk,
                                                                    "document_pk": document.pk}))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"old runbook"
    assert response["Content-Disposition"] == 'attachment; filename="Runbook.txt"'


def _staff_urls(files) -> dict[str, str]:
    client, document, attachment = files["client"], files["document"], files["attachment"]
    return {
        "logo": reverse("clients:logo", kwargs={"pk": client.pk}),
        "document": reverse("clients:document_download", kwargs={"client_pk": client.pk,
                                                                 "document_pk": document.pk}),
        "attachment": reverse("tickets:attachment", kwargs={"pk": files["ticket"].pk,
                                                            "attachment_pk": attachment.pk}),
    }


def _portal_urls(files) -> dict[str, str]:
    return {"portal attachment": reverse("portal:attachment", kwargs={"pk": files["attachment"].pk})}


def _media_urls(msp, files) -> dict[str, str]:
    names = [files["client"].logo.name, files["document"].file.name, files["attachment"].file.name, msp.logo.name]
    return {f"media {name}": f"{settings.MEDIA_URL}{name}" for name in names}


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _assert_refused(http, urls, secrets, *, expected):
    for label, url in urls.items():
        response = http.get(url)
        assert response.status_code in expected, f"{label}: {url} answered {response.status_code}"
        body = _body(response)
        assert not any(secret in body for secret in secrets), f"{label}: {url} leaked the file"


def test_the_owner_can_fetch_each_file(web, portal, msp, files):
    for label, url in _staff_urls(files).items():
        response = web.get(url)
        assert response.status_code == 200, label
        assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(portal.get(_portal_urls(files)["portal attachment"])) == LOG
    assert _body(portal.get(reverse("portal:logo"))) == files["secrets"][1]


def test_staff_of_another_msp_cannot_fetch_anything(msp, files):
    other = MspFactory(name="Bravo IT", slug="bravo")
    http = HttpClient()
    http.force_login(UserFactory(msp=other, role=Role.SUPER_ADMIN, email="boss@bravo.example"))
    _assert_refused(http, _staff_urls(files), files["secrets"], expected={404})
    # Staff have no portal session: the portal sends them to its sign-in page.
    _assert_refused(http, {**_portal_urls(files), "portal logo": reverse("portal:logo")}, files["secrets"],
                    expected={302})
    _assert_refused(http, _media_urls(msp, files), files["secrets"], expected={404})


def test_a_portal_contact_of_another_msp_cannot_fetch_anything(msp, files):
    other = MspFactory(name="Bravo IT", slug="bravo")
    their_client = ClientFactory(msp=other, name="Bravo Client")
    contact = ContactFactory(msp=other, client=their_client, email="eve@bravo.example", is_portal_user=True)
    http = HttpClient()
    sign_in(http, contact)
    _assert_refused(http, _portal_urls(files), files["secrets"], expected={404})
    _assert_refused(http, {"portal logo": reverse("portal:logo")}, files["secrets"], expected={404})  # B has none
    _assert_refused(http, _staff_urls(files), files["secrets"], expected={302})  # staff pages: to the login
    _assert_refused(http, _media_urls(msp, files), files["secrets"], expected={404})


def test_a_contact_of_another_client_of_the_same_msp_cannot_fetch_the_attachment(msp, files):
    elsewhere = ClientFactory(msp=msp, name="Elsewhere Inc")
    contact = ContactFactory(msp=msp, client=elsewhere, email="sam@elsewhere.example", is_portal_user=True,
                             portal_sees_all_tickets=True)
    http = HttpClient()
    sign_in(http, contact)
    _assert_refused(http, _portal_urls(files), files["secrets"][2:], expected={404})
    _assert_refused(http, _staff_urls(files), files["secrets"], expected={302})


def test_an_anonymous_visitor_cannot_fetch_anything(msp, files):
    http = HttpClient()
    _assert_refused(http, _staff_urls(files), files["secrets"], expected={302})
    _assert_refused(http, {**_portal_urls(files), "portal logo": reverse("portal:logo")}, files["secrets"],
                    expected={302})
    _assert_refused(http, _media_urls(msp, files), files["secrets"], expected={404})


def test_logo_is_an_inline_image_cached_privately_and_shown_on_the_client_page(web, files):
    client = files["client"]
    page = web.get(reverse("clients:detail", kwargs={"pk": client.pk})).content.decode()
    src = re.search(r'<img class="client-logo" src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert src.startswith(reverse("clients:logo", kwargs={"pk": client.pk}) + "?v=")
    assert "/media/" not in page
    response = web.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, max-age=86400"
    assert _body(response) == files["secrets"][0]


def test_attachments_and_documents_that_are_not_images_are_downloads(web, files):
    urls = _staff_urls(files)
    document = web.get(urls["document"])
    assert document["Content-Disposition"] == 'attachment; filename="Contract 2026.pdf"'
    assert document["Content-Type"] == "application/pdf"
    attachment = web.get(urls["attachment"])
    assert attachment["Content-Disposition"] == 'attachment; filename="printer.log"'
    assert attachment["Content-Type"] == "text/plain"


def test_portal_header_shows_the_msps_logo_through_the_portal(portal, files):
    page = portal.get(reverse("portal:tickets")).content.decode()
    assert f'src="{reverse("portal:logo")}?v=' in page and "/media/" not in page
    response = portal.get(reverse("portal:logo"))
    assert response["Content-Type"] == "image/png" and response["Content-Disposition"].startswith("inline")
