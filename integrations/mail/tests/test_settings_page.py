"""Settings → Email: save, test connection (errors at the form, never a 500), the
received list with failed messages and their reason."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from integrations.mail.models import InboundMessage, Mailbox
from integrations.mail.services import inbound_receive
from opsmerge.tenancy import msp_scope

from .messages import email_bytes

pytestmark = pytest.mark.django_db

FORM = {"host": "127.0.0.1", "port": "1", "username": "support@msp.test", "password": "imap-Secret-7Q", "folder": "INBOX",
        "address": "support@msp.test", "is_active": "on"}


def test_save_and_test_connection_failure_is_shown_at_the_form(web, msp):
    response = web.post("/settings/email/", {**FORM, "action": "test"})
    assert response.status_code == 400
    assert "Cannot reach 127.0.0.1:1" in response.content.decode()
    with msp_scope(msp):
        mailbox = Mailbox.objects.get(msp=msp)
    assert mailbox.password == "imap-Secret-7Q" and not mailbox.use_tls
    # a blank password keeps the stored one; the page never shows it
    assert web.post("/settings/email/", {**FORM, "password": "", "port": "993"}).status_code == 302
    with msp_scope(msp):
        assert Mailbox.objects.get(msp=msp).password == "imap-Secret-7Q"
    assert "imap-Secret-7Q" not in web.get("/settings/email/").content.decode()


def test_first_save_needs_a_password_and_bad_values_are_field_errors(web, msp):
    response = web.post("/settings/email/", {**FORM, "password": "", "port": "99999"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "less than or equal to 65535" in page


def test_received_list_shows_failed_with_reason_and_filters(web, msp, django_assert_max_num_queries):
    with msp_scope(msp):
        for n in range(30):
            inbound_receive(msp=msp, raw=email_bytes(sender=f"x{n}@nowhere.test", subject=f"Hello {n}"),
                            source="webhook")
        inbound_receive(msp=msp, raw=b"Subject: broken\r\n\r\nno sender", source="webhook")
    with django_assert_max_num_queries(12):
        page = web.get("/settings/email/?status=failed").content.decode()
    assert "The message has no sender address" in page and "Hello 1" not in page
    assert "Hello 29" in web.get("/settings/email/").content.decode()
    with msp_scope(msp):
        assert InboundMessage.objects.filter(msp=msp, status="failed").count() == 1


def test_technicians_cannot_open_email_settings(login, make_user):
    assert login(make_user(role=Role.TECHNICIAN)).get("/settings/email/").status_code == 403
