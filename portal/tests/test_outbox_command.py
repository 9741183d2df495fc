import pytest
from django.core.management import call_command
from django.test import override_settings

from opsmerge.tenancy import msp_scope
from portal.services import portal_invite_send

pytestmark = pytest.mark.django_db


def test_portal_outbox_prints_the_latest_links(tmp_path, capsys, msp, portal_contact):
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                           EMAIL_FILE_PATH=str(tmp_path)):
        with msp_scope(msp):
            portal_invite_send(msp=msp, contact=portal_contact)
        call_command("portal_outbox", "--to", "pat@acme.example")
    out = capsys.readouterr().out
    assert "To: pat@acme.example" in out and "invited you" in out
    assert "/portal/sign-in/link/" in out


def test_portal_outbox_empty(tmp_path, capsys):
    with override_settings(EMAIL_FILE_PATH=str(tmp_path)):
        call_command("portal_outbox")
    assert "No emails" in capsys.readouterr().out
