"""Extension point for the isolation test's per-MSP world.

Apps that add MSP-owned models and routes add one object of each kind here, keyed
by the URL kwarg name their routes use (e.g. "job" for <int:job_pk>), so that the
route enumerator in opsmerge/tests/test_isolation.py can fill it with MSP B's id.
"""


def extra_world_objects(*, label, msp, user, objects) -> dict:
    from api.tests.factories import ApiKeyFactory
    from integrations.m365.tests.factories import M365TenantFactory, SyncRunFactory

    extra = {}
    extra["api_key"] = ApiKeyFactory(msp=msp, name=f"{label} API key")
    extra["m365_tenant"] = M365TenantFactory(msp=msp, client=objects["client"], display_name=f"{label} Tenant")
    extra["sync_run"] = SyncRunFactory(msp=msp, tenant=extra["m365_tenant"])
    extra["cipp_connection"] = _cipp_connection(label=label, msp=msp)
    extra["psa_connection"] = _psa_connection(label=label, msp=msp, client=objects["client"])
    extra["import_job"] = _import_job(label=label, msp=msp, user=user)
    extra["attachment"] = _ticket_attachment(label=label, msp=msp, ticket=objects["ticket"])
    extra["document"] = _client_document(label=label, msp=msp, client=objects["client"])
    extra["tech_group"] = _tech_group(label=label, msp=msp)
    extra.update(_team(label=label, msp=msp, user=user, group=extra["tech_group"]))
    extra["client_logo"] = _client_logo(client=objects["client"])
    extra["webauthn_authenticator"] = _webauthn_authenticator(label=label, user=user)
    extra.update(_merge_objects(label=label, msp=msp, user=user, objects=objects))
    extra.update(_mail_objects(label=label, msp=msp, objects=objects))
    return extra


def _mail_objects(*, label, msp, objects):
    """The MSP's mailbox, an inbound email and an alert on its ticket (Settings → Email
    and the ticket page list them, named after the MSP's client), an announcement,
    an invoice email, quiet hours and a held reply."""
    import datetime

    from billing.models import InvoiceDelivery
    from integrations.mail.models import AlertTicket, Announcement, AnnouncementRecipient, InboundMessage, Mailbox
    from portal.models import HeldNotification, QuietHours

    client, ticket = objects["client"], objects["ticket"]
    announcement = Announcement.objects.create(msp=msp, subject=f"{label} maintenance", body="Saturday")
    return {
        "announcement": announcement,
        "announcement_recipient": AnnouncementRecipient.objects.create(
            msp=msp, announcement=announcement, contact=objects["contact"], email=objects["contact"].email),
        "invoice_delivery": InvoiceDelivery.objects.create(msp=msp, invoice=objects["invoice"], audience="billing",
                                                           recipients=[objects["contact"].email]),
        "held_notification": HeldNotification.objects.create(msp=msp, comment=objects["comment"],
                                                             release_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)),
        "mailbox": Mailbox.objects.create(msp=msp, host=f"imap.{label.lower()}.example", username=f"{label}-support",
                                          password="world-only", address=f"support@{label.lower()}.example"),  # noqa: S106
        "inbound_message": InboundMessage.objects.create(
            msp=msp, message_id=f"<{label}@world>", source="webhook", status="ticket", ticket=ticket,
            from_address=objects["contact"].email, subject=f"{client.name} mail"),
        "alert_ticket": AlertTicket.objects.create(msp=msp, client=client, alert_key=f"{label}-disk", ticket=ticket),
        "quiet_hours": QuietHours.objects.create(msp=msp, client=client, start=datetime.time(20),
                                                 end=datetime.time(8)),
    }


def _merge_objects(*, label, msp, user, objects):
    """A finished merge and a duplicate suggestion (clients:merge_status, …)."""
    from clients.models import ClientMerge, DuplicateCandidate

    client, archived = objects["client"], objects["archived_client"]
    merge = ClientMerge.objects.create(msp=msp, target=client, target_name=client.name, source_ids=[archived.pk],
                                       source_names=[archived.name], status=ClientMerge.Status.DONE, created_by=user)
    a, b = sorted([client, archived], key=lambda c: c.pk)
    candidate = DuplicateCandidate.objects.create(msp=msp, client_a=a, client_b=b, score=0.9,
                                                  reasons=[f"{label} looks alike"])
    return {"client_merge": merge, "duplicate_candidate": candidate}


def _webauthn_authenticator(*, label, user):
    """A passkey row of the world's user (mfa_edit_webauthn / mfa_remove_webauthn)."""
    from allauth.mfa.webauthn.internal.auth import WebAuthn

    from accounts.tests.webauthn import registration_response

    return WebAuthn.add(user, f"{label} key", registration_response()).instance


def _client_document(*, label, msp, client):
    from django.core.files.base import ContentFile

    from clients.models import ClientDocument

    document = ClientDocument(msp=msp, client=client, name=f"{label}Runbook.txt", content_type="text/plain", size=7)
    document.file.save(f"{label.lower()}-runbook.txt", ContentFile(b"runbook"), save=False)
    document.save()
    return document


def _client_logo(*, client):
    """A logo on the world's client (clients:logo must not be 404 for its own MSP)."""
    from django.core.files.base import ContentFile

    from opsmerge.tenancy import msp_scope
    from opsmerge.testing.images import png_bytes

    client.logo.save("logo.png", ContentFile(png_bytes()), save=False)
    with msp_scope(client.msp):
        type(client).objects.filter(msp_id=client.msp_id, pk=client.pk).update(logo=client.logo.name)
    return client.logo.name


def _team(*, label, msp, user, group):
    """A technician and a pending invite (settings:team_member …, settings:team_invite_…)."""
    from accounts.invites import invite_create
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory
    from opsmerge.tenancy import msp_scope

    member = UserFactory(msp=msp, role=Role.TECHNICIAN, email=f"tech@{label.lower()}.example",
                         full_name=f"{label} Technician")
    with msp_scope(msp):
        invite = invite_create(msp=msp, actor=user, email=f"new@{label.lower()}.example", role=Role.TECHNICIAN,
                               tech_groups=[group], send=False)
    return {"team_user": member, "invite": invite}


def _tech_group(*, label, msp):
    from accounts.models import TechGroup

    return TechGroup.objects.create(msp=msp, name=f"{label} Service desk")


def _ticket_attachment(*, label, msp, ticket):
    from django.core.files.base import ContentFile

    from tickets.models import TicketAttachment

    attachment = TicketAttachment(msp=msp, ticket=ticket, name=f"{label.lower()}-notes.txt",
                                  content_type="text/plain", size=5)
    attachment.file.save(f"{label.lower()}-notes.txt", ContentFile(b"notes"), save=False)
    attachment.save()
    return attachment


def _import_job(*, label, msp, user):
    from django.core.files.base import ContentFile

    from integrations.imports.models import ImportJob, ImportRowError

    job = ImportJob(msp=msp, created_by=user, kind="contacts", status=ImportJob.Status.SUCCEEDED,
                    original_name=f"{label.lower()}-contacts.csv", headers=["FirstName", "LastName", "Email"],
                    mapping={"0": "first_name", "1": "last_name", "2": "email"}, processed_rows=1, failed=1)
    job.file.save(f"{label.lower()}-contacts.csv", ContentFile(b"FirstName,LastName,Email\nX,Y,bad\n"), save=False)
    job.save()
    ImportRowError.objects.create(msp=msp, job=job, row_number=2, cells=[f"{label}Person", "Y", "bad"],
                                  errors=[{"column": "Email", "value": "bad", "message": "Not a valid email."}])
    return job


def _cipp_connection(*, label, msp):
    """The MSP's CIPP connection, with a stored tenant list named after the MSP
    (settings:cipp and settings:cipp_tenants render it without calling CIPP)."""
    import uuid

    from integrations.m365.models import CippConnection

    return CippConnection.objects.create(
        msp=msp, base_url=f"https://{label.lower()}-cipp.example", tenant_id=uuid.uuid4(), client_id=uuid.uuid4(),
        client_secret=f"{label} secret", status=CippConnection.Status.OK,
        tenants=[{"customerId": str(uuid.uuid4()), "defaultDomainName": f"{label.lower()}-cipp-tenant.example",
                  "displayName": f"{label} CIPP Tenant"}])


def _psa_connection(*, label, msp, client):
    """A ConnectWise connection (<int:psa_connection> routes) with a linked company and
    one of its contacts, a suggestion and an open conflict named after the MSP."""
    from integrations.psa.models import CompanyLink, Conflict, ContactLink, PsaConnection

    conn = PsaConnection.objects.create(msp=msp, kind="connectwise", base_url=f"https://{label.lower()}-cw.example",
                                        credentials={"company_id": label.lower()}, status=PsaConnection.Status.OK)
    link = CompanyLink.objects.create(msp=msp, connection=conn, external_id="101", client=client, state="linked",
                                      name=f"{label} PSA Company")
    ContactLink.objects.create(msp=msp, connection=conn, company=link, external_id="201")
    CompanyLink.objects.create(msp=msp, connection=conn, external_id="102", suggested_client=client,
                               state="suggested", name=f"{label} PSA Suggestion", match_reason="name")
    Conflict.objects.create(msp=msp, connection=conn, entity="company", company=link, field="phone",
                            ours=f"{label} ours", theirs=f"{label} theirs")
    return conn
