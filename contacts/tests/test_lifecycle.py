import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from contacts.lifecycle import contact_delete, contact_deleted_list, contact_restore
from contacts.models import Contact
from contacts.services import contact_create
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_soft_delete_hides_but_keeps_history(scoped, user):
    contact = ContactFactory(msp=scoped, is_primary=True, is_portal_user=True)
    ticket = TicketFactory(msp=scoped, client=contact.client, contact=contact)
    contact_delete(msp=scoped, contact=contact, actor=user, reason="Left the company")
    contact.refresh_from_db()
    assert contact.deleted_at and contact.deleted_by == user and not contact.is_primary
    assert not Contact.objects.alive().filter(pk=contact.pk).exists()
    ticket.refresh_from_db()
    assert ticket.contact == contact  # history still shows who it was
    assert list(contact_deleted_list(msp=scoped)) == [contact]
    assert AuditEvent.objects.get(action="contact.delete").reason == "Left the company"


def test_restore_is_super_admin_only(scoped, make_user, user):
    contact = ContactFactory(msp=scoped)
    contact_delete(msp=scoped, contact=contact, actor=user)
    for role in (Role.ADMIN, Role.MSP_ADMIN, Role.COMPLIANCE_ADMIN, Role.TECHNICIAN, Role.READ_ONLY):
        with pytest.raises(PermissionDenied):
            contact_restore(msp=scoped, contact=contact, actor=make_user(role=role))
    contact_restore(msp=scoped, contact=contact, actor=make_user(role=Role.SUPER_ADMIN))
    assert Contact.objects.alive().filter(pk=contact.pk).exists()


@pytest.mark.parametrize("role,allowed", [
    (Role.SUPER_ADMIN, True), (Role.ADMIN, True), (Role.TECHNICIAN, True), (Role.READ_ONLY, False),
])
def test_delete_permission_matrix(scoped, make_user, role, allowed):
    contact = ContactFactory(msp=scoped)
    actor = make_user(role=role)
    if allowed:
        contact_delete(msp=scoped, contact=contact, actor=actor)
    else:
        with pytest.raises(PermissionDenied):
            contact_delete(msp=scoped, contact=contact, actor=actor)


def test_restore_refused_when_email_is_taken_again(scoped, user, make_user):
    contact = ContactFactory(msp=scoped, email="kim@example.com")
    contact_delete(msp=scoped, contact=contact, actor=user)
    contact_create(msp=scoped, client=contact.client, first_name="Kim", email="kim@example.com")
    with pytest.raises(ValidationError, match="merge the two contacts"):
        contact_restore(msp=scoped, contact=contact, actor=make_user(role=Role.SUPER_ADMIN))


def test_inactive_is_not_deleted(scoped):
    contact = ContactFactory(msp=scoped, is_active=False)
    assert Contact.objects.alive().filter(pk=contact.pk).exists()


def test_delete_and_restore_tell_the_portal(scoped, user, make_user, django_capture_on_commit_callbacks):
    """The portal listens to portal_access_changed: a deleted portal user's sessions
    end at once, a restored one is invited again. Sent after commit only."""
    from contacts.signals import portal_access_changed

    seen = []

    def receiver(sender, contact, granted, **kwargs):
        seen.append((contact.pk, granted))

    portal_user = ContactFactory(msp=scoped, is_portal_user=True)
    plain = ContactFactory(msp=scoped, is_portal_user=False)
    portal_access_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            contact_delete(msp=scoped, contact=portal_user, actor=user)
            contact_delete(msp=scoped, contact=plain, actor=user)
            assert seen == []  # not before the commit
        assert seen == [(portal_user.pk, False)]
        with django_capture_on_commit_callbacks(execute=True):
            contact_restore(msp=scoped, contact=portal_user, actor=make_user(role=Role.SUPER_ADMIN))
            contact_restore(msp=scoped, contact=plain, actor=make_user(role=Role.SUPER_ADMIN))
        assert seen == [(portal_user.pk, False), (portal_user.pk, True)]
    finally:
        portal_access_changed.disconnect(receiver)
