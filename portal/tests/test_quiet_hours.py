"""Portal quiet hours: a technician's reply to a contact is held overnight in the
client's time zone and sent by the beat task when quiet hours end; VIPs are exempt."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope
from portal.models import HeldNotification, QuietHours
from portal.quiet_hours import held_release, quiet_until
from tickets.services import ticket_comment_add, ticket_create

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def celery_eager(celery_eager):
    """Every test here runs Celery eagerly (the root conftest's fixture)."""
    return celery_eager


def test_quiet_window_overnight_and_same_day():
    overnight = QuietHours(start=datetime.time(20), end=datetime.time(8))
    at = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=TOKYO)
    assert quiet_until(quiet=overnight, time_zone="Asia/Tokyo", now=at) == datetime.datetime(2026, 3, 3, 8,
                                                                                             tzinfo=TOKYO)
    early = datetime.datetime(2026, 3, 3, 6, 0, tzinfo=TOKYO)
    assert quiet_until(quiet=overnight, time_zone="Asia/Tokyo", now=early) == datetime.datetime(2026, 3, 3, 8,
                                                                                                tzinfo=TOKYO)
    assert quiet_until(quiet=overnight, time_zone="Asia/Tokyo", now=at.replace(hour=12)) is None
    lunch = QuietHours(start=datetime.time(12), end=datetime.time(13))
    assert quiet_until(quiet=lunch, time_zone="UTC", now=datetime.datetime(2026, 3, 2, 12, 30,
                                                                            tzinfo=datetime.UTC)) is not None


@pytest.fixture
def clock(monkeypatch):
    def move_to(moment):
        monkeypatch.setattr("portal.quiet_hours.now", lambda: moment)

    return move_to


@pytest.fixture
def setup(msp, user):
    client = ClientFactory(msp=msp, name="Tokyo KK", time_zone="Asia/Tokyo")
    pat = ContactFactory(msp=msp, client=client, email="pat@tokyo.test")
    vip = ContactFactory(msp=msp, client=client, email="vip@tokyo.test", is_vip=True)
    with msp_scope(msp):
        QuietHours.objects.create(msp=msp, client=client, start=datetime.time(20), end=datetime.time(8))
    return client, pat, vip


def _reply(msp, user, contact, capture):
    with msp_scope(msp), capture(execute=True):
        ticket = ticket_create(msp=msp, contact=contact, subject="Printer")
    with msp_scope(msp), capture(execute=True):
        ticket_comment_add(msp=msp, ticket=ticket, body="Fixed it", author_user=user)


def test_reply_at_night_is_held_until_morning_then_sent(msp, user, setup, clock,
                                                        django_capture_on_commit_callbacks):
    _client, pat, _vip = setup
    clock(datetime.datetime(2026, 3, 2, 23, 0, tzinfo=TOKYO))
    _reply(msp, user, pat, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    with msp_scope(msp):
        held = HeldNotification.objects.get(msp=msp)
        assert held.release_at == datetime.datetime(2026, 3, 3, 8, tzinfo=TOKYO)
        assert held_release(msp=msp) == 0  # still night
    clock(datetime.datetime(2026, 3, 3, 8, 1, tzinfo=TOKYO))
    with msp_scope(msp):
        assert held_release(msp=msp) == 1
        assert held_release(msp=msp) == 0  # never twice
    assert [m.to for m in mail.outbox] == [["pat@tokyo.test"]]


def test_vips_and_daytime_are_not_held(msp, user, setup, clock, django_capture_on_commit_callbacks):
    _client, pat, vip = setup
    clock(datetime.datetime(2026, 3, 2, 23, 0, tzinfo=TOKYO))
    _reply(msp, user, vip, django_capture_on_commit_callbacks)
    assert "vip@tokyo.test" in [m.to[0] for m in mail.outbox]
    mail.outbox.clear()
    clock(datetime.datetime(2026, 3, 2, 11, 0, tzinfo=TOKYO))
    _reply(msp, user, pat, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["pat@tokyo.test"]]


def test_client_page_card_saves_quiet_hours(web, msp):
    client = ClientFactory(msp=msp, name="Acme Ltd")
    page = web.get(f"/clients/{client.pk}/").content.decode()
    assert "Portal quiet hours" in page
    response = web.post(f"/portal-invites/clients/{client.pk}/quiet-hours/",
                        {"start": "21:30", "end": "07:00", "is_active": "on"})
    assert response.status_code == 302
    with msp_scope(msp):
        quiet = QuietHours.objects.get(msp=msp, client=client)
    assert (quiet.start, quiet.end, quiet.is_active) == (datetime.time(21, 30), datetime.time(7), True)
    bad = web.post(f"/portal-invites/clients/{client.pk}/quiet-hours/", {"start": "x", "end": "07:00"}, follow=True)
    assert "HH:MM" in bad.content.decode()
    same = web.post(f"/portal-invites/clients/{client.pk}/quiet-hours/", {"start": "07:00", "end": "07:00"},
                    follow=True)
    assert "another time" in same.content.decode()
