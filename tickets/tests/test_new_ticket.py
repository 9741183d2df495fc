"""A technician creates a ticket in the staff app (tickets:new): choices narrowed to
the MSP and to the chosen client, errors at the field, archived and foreign ids
refused, roles."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import unscoped
from sites.tests.factories import SiteFactory
from tickets.models import Ticket, TicketAttachment

pytestmark = pytest.mark.django_db
NEW = reverse("tickets:new")


@pytest.fixture
def tech(make_user):
    return make_user(role=Role.TECHNICIAN, full_name="Tia Tech", email="tia@northwind.example")


@pytest.fixture
def desk(msp, login, tech):
    """Tia's signed-in client and an MSP with two clients (one archived)."""
    acme = ClientFactory(msp=msp, name="Acme Ltd")
    globex = ClientFactory(msp=msp, name="Globex")
    return {
        "web": login(tech),
        "acme": acme,
        "globex": globex,
        "archived": ClientFactory(msp=msp, name="Initech (archived)", status="archived",
                                  archived_at="2026-01-01T00:00:00Z"),
        "pat": ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Acme", email="pat@acme.example"),
        "gone": ContactFactory(msp=msp, client=acme, first_name="Gone", last_name="Deleted",
                               deleted_at="2026-01-01T00:00:00Z"),
        "gil": ContactFactory(msp=msp, client=globex, first_name="Gil", last_name="Globex"),
        "hq": SiteFactory(msp=msp, client=acme, name="Acme HQ", is_hq=True),
        "globex_site": SiteFactory(msp=msp, client=globex, name="Globex Plant"),
        "laptop": AssetFactory(msp=msp, client=acme, name="ACME-LT-01"),
        "retired": AssetFactory(msp=msp, client=acme, name="ACME-OLD-99", is_active=False),
    }


def post_data(desk, **overrides):
    data = {"client": desk["acme"].pk, "contact": desk["pat"].pk, "site": desk["hq"].pk,
            "asset": desk["laptop"].pk, "subject": "Outlook keeps asking for a password",
            "description": "Since the password change on Monday.", "priority": "normal", "assigned_to": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def choices(response, name):
    return {str(label) for value, label in response.context["form"].fields[name].choices if value != ""}


def created():
    """Tickets made by ticket_create (factory tickets of the worlds have no creator)."""
    with unscoped("test"):
        return list(Ticket.objects.filter(created_by__isnull=False).order_by("pk"))


def test_page_offers_only_this_msps_open_clients_and_technicians(desk, two_msps, make_user, tech, user):
    make_user(role=Role.READ_ONLY, full_name="Rita Readonly")
    make_user(role=Role.TECHNICIAN, full_name="Ivan Inactive", is_active=False)
    response = desk["web"].get(NEW)
    assert response.status_code == 200
    assert choices(response, "client") == {"Acme Ltd", "Globex"}  # no archived, no other MSP's
    assert choices(response, "assigned_to") == {"Tia Tech", "Ada Admin"}
    assert response.context["form"]["assigned_to"].value() == tech.pk  # "me" by default
    assert choices(response, "contact") == set()  # until a client is chosen
    assert 'hx-get="/tickets/new/"' in response.content.decode()


def test_client_prefill_offers_that_clients_alive_contacts_sites_and_active_assets(desk):
    response = desk["web"].get(f"{NEW}?client={desk['acme'].pk}")
    assert response.status_code == 200
    assert response.context["form"]["client"].value() == desk["acme"].pk
    assert choices(response, "contact") == {"Pat Acme (pat@acme.example)"}
    assert choices(response, "site") == {"Acme HQ"}
    assert choices(response, "asset") == {"ACME-LT-01"}
    body = response.content.decode()
    assert f'href="{reverse("clients:tickets", kwargs={"pk": desk["acme"].pk})}"' in body  # cancel / breadcrumb


def test_client_select_is_escaped_and_marks_the_chosen_client(desk, msp):
    ampersand = ClientFactory(msp=msp, name="Smith & <Sons>")
    body = desk["web"].get(f"{NEW}?client={ampersand.pk}").content.decode()
    assert f'<option value="{ampersand.pk}" selected>Smith &amp; &lt;Sons&gt;</option>' in body
    assert f'<option value="{desk["acme"].pk}">Acme Ltd</option>' in body
    fragment = desk["web"].get(f"{NEW}?client={ampersand.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="client"' not in fragment  # 10,000 clients never travel with each swap


def test_the_clients_primary_contact_is_the_default(desk, msp):
    """Seed 000: the primary contact is the default ticket subject when no individual is specified."""
    ContactFactory(msp=msp, client=desk["acme"], first_name="Prim", last_name="Ary", email="", is_primary=True)
    response = desk["web"].get(f"{NEW}?client={desk['acme'].pk}", HTTP_HX_REQUEST="true")
    (primary,) = [c for c in response.context["form"].fields["contact"].queryset if c.is_primary]
    assert response.context["form"]["contact"].value() == primary.pk
    assert f'<option value="{primary.pk}" selected>Prim Ary (primary)</option>' in response.content.decode()
    assert desk["web"].get(f"{NEW}?client={desk['globex'].pk}").context["form"]["contact"].value() is None


def test_htmx_answers_only_the_client_dependent_selects(desk):
    response = desk["web"].get(f"{NEW}?client={desk['globex'].pk}", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="ticket-client-fields"' in body and "Gil Globex" in body and "Globex Plant" in body
    assert "Pat Acme" not in body and "Acme HQ" not in body
    empty = desk["web"].get(f"{NEW}?client=", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="ticket-client-fields"' in empty and "Pat Acme" not in empty and "Gil Globex" not in empty


@pytest.mark.parametrize("htmx", [False, True])
def test_foreign_archived_or_bogus_client_is_404(desk, two_msps, htmx):
    _alpha, bravo = two_msps
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for client in (bravo.objects["client"].pk, desk["archived"].pk, "abc", 987654321):
        response = desk["web"].get(f"{NEW}?client={client}", **headers)
        assert response.status_code == 404, client
        assert "BravoPerson" not in response.content.decode()


def test_create_ticket(desk, tech, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk["web"].post(NEW, post_data(desk, assigned_to=tech.pk, priority="high", attachments=[
            SimpleUploadedFile("error.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16),
            SimpleUploadedFile("notes.txt", b"tried a reboot")]))
    (ticket,) = created()
    assert response.status_code == 302 and response["Location"] == reverse("tickets:detail", kwargs={"pk": ticket.pk})
    assert (ticket.client, ticket.contact, ticket.site, ticket.asset) == (
        desk["acme"], desk["pat"], desk["hq"], desk["laptop"])
    assert (ticket.subject, ticket.priority, ticket.source, ticket.status) == (
        "Outlook keeps asking for a password", "high", "technician", "new")
    assert ticket.created_by == tech and ticket.assigned_to == tech
    with unscoped("test"):
        assert sorted(TicketAttachment.objects.filter(ticket=ticket).values_list("name", flat=True)) == [
            "error.png", "notes.txt"]
        event = AuditEvent.objects.get(action="ticket.create")
    assert event.actor_id == tech.pk and event.changes["source"] == "technician"
    page = desk["web"].get(response["Location"])
    assert f"Created ticket #{ticket.number} Outlook keeps asking" in page.content.decode()
    listed = desk["web"].get(reverse("tickets:list"))
    assert ticket in listed.context["tickets"]


def test_contact_site_asset_and_assignee_are_optional(desk):
    response = desk["web"].post(NEW, post_data(desk, contact="", site="", asset="", assigned_to=""))
    assert response.status_code == 302
    (ticket,) = created()
    assert ticket.contact is None and ticket.site is None and ticket.asset is None and ticket.assigned_to is None


def test_vip_contact_raises_the_priority(desk, msp):
    vip = ContactFactory(msp=msp, client=desk["acme"], first_name="Vera", is_vip=True)
    desk["web"].post(NEW, post_data(desk, contact=vip.pk, priority="low"))
    assert created()[0].priority == "high"


def errors(response):
    assert response.status_code == 200, response.status_code
    assert created() == [], "nothing may be written when the form has errors"
    return response.context["form"].errors


def test_missing_fields_are_errors_at_the_field(desk):
    response = desk["web"].post(NEW, post_data(desk, client="", subject=""))
    form_errors = errors(response)
    assert form_errors["client"] == ["This field is required."]
    assert form_errors["subject"] == ["This field is required."]
    body = response.content.decode()
    assert body.count('class="field-error"') >= 2 and "has-error" in body


def test_blank_subject_from_the_service_lands_at_the_field(desk):
    assert errors(desk["web"].post(NEW, post_data(desk, subject="   ")))["subject"]


def test_archived_client_is_refused(desk, msp):
    archived = desk["archived"]
    old = ContactFactory(msp=msp, client=archived, first_name="Olga")
    form_errors = errors(desk["web"].post(NEW, post_data(desk, client=archived.pk, contact=old.pk, site="",
                                                         asset="")))
    assert "client" in form_errors and "contact" in form_errors


def test_archived_client_is_refused_by_the_service_too(desk, msp, tech):
    """The form's choice is checked again in the service (the client may be archived
    between page load and submit, or the call may come from elsewhere)."""
    from django.core.exceptions import ValidationError

    from opsmerge.tenancy import msp_scope
    from tickets.services import ticket_create

    with msp_scope(msp), pytest.raises(ValidationError) as exc:
        ticket_create(msp=msp, client=desk["archived"], subject="x", actor=tech)
    assert "archived" in exc.value.message_dict["client"][0]


@pytest.mark.parametrize("field, pick", [
    ("contact", lambda desk, bravo: desk["gil"].pk),  # another client's contact
    ("contact", lambda desk, bravo: desk["gone"].pk),  # soft-deleted
    ("contact", lambda desk, bravo: bravo.objects["contact"].pk),
    ("site", lambda desk, bravo: desk["globex_site"].pk),
    ("site", lambda desk, bravo: bravo.objects["site"].pk),
    ("asset", lambda desk, bravo: desk["retired"].pk),
    ("asset", lambda desk, bravo: bravo.objects["asset"].pk),
    ("assigned_to", lambda desk, bravo: bravo.user.pk),
    ("client", lambda desk, bravo: bravo.objects["client"].pk),
])
def test_foreign_or_unfit_ids_are_refused_at_the_field(desk, two_msps, field, pick):
    _alpha, bravo = two_msps
    form_errors = errors(desk["web"].post(NEW, post_data(desk, **{field: pick(desk, bravo)})))
    assert field in form_errors
    if field in ("contact", "site", "asset"):
        assert form_errors[field] == [f"Choose a {field} of this client."]


def test_read_only_and_inactive_staff_cannot_be_assigned(desk, make_user):
    for user in (make_user(role=Role.READ_ONLY), make_user(role=Role.TECHNICIAN, is_active=False)):
        assert "assigned_to" in errors(desk["web"].post(NEW, post_data(desk, assigned_to=user.pk)))


def test_bad_attachment_is_an_error_at_the_field_and_nothing_is_written(desk):
    response = desk["web"].post(NEW, post_data(desk, attachments=[
        SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not a pdf")]))
    assert errors(response)["attachments"] == ["invoice.pdf does not look like a .pdf file."]
    with unscoped("test"):
        assert not TicketAttachment.objects.exists()


def test_read_only_gets_403(login, make_user, desk):
    web = login(make_user(role=Role.READ_ONLY))
    assert web.get(NEW).status_code == 403
    assert web.get(f"{NEW}?client={desk['acme'].pk}", HTTP_HX_REQUEST="true").status_code == 403
    assert web.post(NEW, post_data(desk)).status_code == 403
    assert created() == []
    assert "New ticket" not in web.get(reverse("tickets:list")).content.decode()
    assert "New ticket" not in web.get(reverse("clients:tickets", kwargs={"pk": desk["acme"].pk})).content.decode()


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(NEW)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_list_and_client_tab_link_to_the_form(desk):
    assert f'href="{NEW}"' in desk["web"].get(reverse("tickets:list")).content.decode()
    tab = desk["web"].get(reverse("clients:tickets", kwargs={"pk": desk["acme"].pk})).content.decode()
    assert f'href="{NEW}?client={desk["acme"].pk}"' in tab
    archived_tab = desk["web"].get(reverse("clients:tickets", kwargs={"pk": desk["archived"].pk})).content.decode()
    assert f"{NEW}?client=" not in archived_tab
