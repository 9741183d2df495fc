import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from accounts.roles import Role
from billing.tests.factories import InvoiceFactory
from clients.lifecycle import (
    client_archive,
    client_delete_impact,
    client_delete_permanently,
    client_restore,
    clients_archive,
)
from clients.models import Client, ClientDomain, Holiday
from clients.selectors import client_list, client_pickable
from clients.services import client_assert_open
from clients.signals import client_archive_changed
from clients.tests.factories import ClientDomainFactory, ClientFactory
from clients.tests.merge_world import build_pair, counts
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope
from sites.models import Site
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
ALL_ROLES = [Role.SUPER_ADMIN, Role.ADMIN, Role.MSP_ADMIN, Role.COMPLIANCE_ADMIN, Role.TECHNICIAN, Role.READ_ONLY]


def archived(msp, **kwargs):
    return ClientFactory(msp=msp, status="archived", archived_at="2026-01-01T00:00:00Z", **kwargs)


def test_archive_hides_blocks_and_audits(scoped, user):
    client = ClientFactory(msp=scoped, name="Lead Co", status="lead")
    client_archive(msp=scoped, client=client, actor=user, reason="Contract ended")
    client.refresh_from_db()
    assert client.is_archived and client.pre_archive_status == "lead" and client.archived_by == user
    assert client not in client_list(msp=scoped) and client not in client_pickable(msp=scoped)
    with pytest.raises(ValidationError):
        client_assert_open(client)
    event = AuditEvent.objects.get(action="client.archive")
    assert event.reason == "Contract ended" and event.changes["status"] == ["lead", "archived"]


def test_archive_is_idempotent(scoped, user):
    client = ClientFactory(msp=scoped)
    client_archive(msp=scoped, client=client, actor=user)
    first = Client.objects.get(pk=client.pk).archived_at
    client_archive(msp=scoped, client=client, actor=user)
    assert Client.objects.get(pk=client.pk).archived_at == first
    assert AuditEvent.objects.filter(action="client.archive").count() == 1


def test_restore_is_symmetric(scoped, user):
    client = ClientFactory(msp=scoped, status="lead")
    client_archive(msp=scoped, client=client, actor=user)
    client_restore(msp=scoped, client=client, actor=user)
    client.refresh_from_db()
    assert client.status == "lead" and client.archived_at is None and client.archive_reason == ""
    assert AuditEvent.objects.filter(action="client.restore", client=client).exists()


def test_signal_after_commit(msp, user):
    seen = []

    def receiver(sender, client, archived, **kwargs):
        seen.append((client.pk, archived))

    client_archive_changed.connect(receiver)
    try:
        with msp_scope(msp):
            client = ClientFactory(msp=msp)
            with transaction.atomic():
                client_archive(msp=msp, client=client, actor=user)
                assert seen == []
    finally:
        client_archive_changed.disconnect(receiver)


def test_bulk_archive_counts_only_newly_archived(scoped, user, two_msps):
    _alpha, bravo = two_msps
    a, b = ClientFactory(msp=scoped), ClientFactory(msp=scoped, status="lead")
    already = archived(scoped)
    n = clients_archive(msp=scoped, client_ids=[a.pk, b.pk, already.pk, bravo.objects["client"].pk], actor=user,
                        reason="Tidy-up")
    assert n == 2
    assert set(Client.objects.archived().values_list("pk", flat=True)) == {a.pk, b.pk, already.pk}
    assert Client.objects.get(pk=b.pk).pre_archive_status == "lead"
    assert AuditEvent.objects.filter(action="client.archive", reason="Tidy-up").count() == 2


@pytest.mark.parametrize("role", ALL_ROLES)
def test_archive_permission_matrix(scoped, make_user, role):
    client = ClientFactory(msp=scoped)
    actor = make_user(role=role)
    allowed = role in (Role.SUPER_ADMIN, Role.ADMIN, Role.MSP_ADMIN, Role.COMPLIANCE_ADMIN)
    for call in (lambda: client_archive(msp=scoped, client=client, actor=actor),
                 lambda: clients_archive(msp=scoped, client_ids=[client.pk], actor=actor),
                 lambda: client_restore(msp=scoped, client=client, actor=actor)):
        if allowed:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_delete_permission_matrix(scoped, make_user, role):
    client = archived(scoped, name="Gone Ltd")
    actor = make_user(role=role)
    if role == Role.SUPER_ADMIN:
        client_delete_permanently(msp=scoped, client_id=client.pk, actor=actor, typed_name="Gone Ltd")
        assert not Client.objects.filter(pk=client.pk).exists()
    else:
        with pytest.raises(PermissionDenied):
            client_delete_permanently(msp=scoped, client_id=client.pk, actor=actor, typed_name="Gone Ltd")


def test_delete_gates(scoped, make_user):
    root = make_user(role=Role.SUPER_ADMIN)
    live = ClientFactory(msp=scoped, name="Live")
    with pytest.raises(ValidationError, match="archive it first"):
        client_delete_permanently(msp=scoped, client_id=live.pk, actor=root, typed_name="Live")
    owing = archived(scoped, name="Owing")
    InvoiceFactory(msp=scoped, client=owing, total=Decimal("50"), outstanding_balance=Decimal("5"))
    compliance = archived(scoped, name="Compliance", is_compliance_tenant=True)
    for client, text in ((owing, "outstanding balance"), (compliance, "compliance tenant")):
        with pytest.raises(ValidationError, match=text):
            client_delete_permanently(msp=scoped, client_id=client.pk, actor=root, typed_name=client.name)
    case = archived(scoped, name="Case Sensitive")
    with pytest.raises(ValidationError) as exc:
        client_delete_permanently(msp=scoped, client_id=case.pk, actor=root, typed_name="case sensitive")
    assert "typed_name" in exc.value.message_dict
    assert Client.objects.filter(pk__in=[owing.pk, compliance.pk, case.pk]).count() == 3


def test_delete_impact_and_result(scoped, make_user):
    root = make_user(role=Role.SUPER_ADMIN)
    client, _source = build_pair(scoped, target_name="Doomed Ltd")
    Client.objects.filter(pk=client.pk).update(custom_fields={"tier": "gold"})
    client = client_archive(msp=scoped, client=client, actor=root)
    impact = client_delete_impact(msp=scoped, client=client)
    assert impact.allowed, impact.blockers
    summary = impact.as_dict()
    assert summary["unassigned"]["tickets"] == 1 and summary["unassigned"]["contacts"] == 1
    assert summary["unassigned"]["invoices"] == 1 and summary["unassigned"]["client documents"] == 1
    assert summary["deleted"]["sites"] == 1 and summary["deleted"]["holidays"] == 1

    ticket = Ticket.objects.get(client=client)
    before = counts()
    client_delete_permanently(msp=scoped, client_id=client.pk, actor=root, typed_name="Doomed Ltd")
    after = counts()
    assert before["clients.client"] - after["clients.client"] == 1
    for kept in ("tickets.ticket", "contacts.contact", "billing.invoice", "assets.asset", "clients.clientdocument"):
        assert before[kept] == after[kept], kept
    ticket.refresh_from_db()
    assert ticket.client_id is None and ticket.site_id is None
    assert not Site.objects.filter(client_id=client.pk).exists() and not Holiday.objects.filter(client_id=client.pk)
    assert not ClientDomain.objects.filter(client_id=client.pk).exists()
    assert Contact.objects.get(email="pat@acme.example").client_id is None
    event = AuditEvent.objects.get(action="client.delete")  # survives the delete
    assert event.client_id == client.pk and event.client_name == "Doomed Ltd"
    assert event.changes["impact"]["unassigned"]["tickets"] == 1


def test_delete_refused_when_unassigned_contact_email_clashes(scoped, make_user):
    root = make_user(role=Role.SUPER_ADMIN)
    client = archived(scoped, name="Clash")
    ContactFactory(msp=scoped, client=client, email="same@example.com")
    ContactFactory(msp=scoped, client=None, email="same@example.com")
    with pytest.raises(ValidationError, match=r"same@example\.com"):
        client_delete_permanently(msp=scoped, client_id=client.pk, actor=root, typed_name="Clash")


def test_restore_of_merged_client_points_to_undo(scoped, user):
    target = ClientFactory(msp=scoped, name="Target")
    source = archived(scoped, name="Merged away")
    Client.objects.filter(pk=source.pk).update(merged_into=target)
    with pytest.raises(ValidationError, match="undo the merge"):
        client_restore(msp=scoped, client=source, actor=user)


@pytest.mark.django_db(transaction=True)
def test_typed_name_cannot_be_raced_by_a_rename(msp, make_user):
    """A rename that commits while the delete waits for the row lock wins: the
    delete re-reads the name under the lock and refuses."""
    root = make_user(role=Role.SUPER_ADMIN)
    with msp_scope(msp):
        client = archived(msp, name="Old Name")
        ClientDomainFactory(msp=msp, client=client)
    before = counts()
    renamer_has_lock = threading.Event()
    result = {}

    def rename():
        try:
            with msp_scope(msp), transaction.atomic():
                Client.objects.select_for_update().get(pk=client.pk)
                renamer_has_lock.set()
                time.sleep(0.5)
                Client.objects.filter(pk=client.pk).update(name="New Name")
        finally:
            connection.close()

    def delete():
        try:
            renamer_has_lock.wait(5)
            with msp_scope(msp):
                result["value"] = client_delete_permanently(msp=msp, client_id=client.pk, actor=root,
                                                            typed_name="Old Name")
        except ValidationError as exc:
            result["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=rename), threading.Thread(target=delete)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "typed_name" in result["error"].message_dict
    after = counts()
    assert {k: v for k, v in after.items() if k != "opsmerge.auditevent"} == {
        k: v for k, v in before.items() if k != "opsmerge.auditevent"}
    with msp_scope(msp):
        assert Client.objects.get(pk=client.pk).name == "New Name"
