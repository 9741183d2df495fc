"""IMAP mailbox → tickets, against a real dovecot (no mocked IMAP)."""

from __future__ import annotations

import pytest
from django.core import mail

from clients.lifecycle import client_archive
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.tests.factories import ContactFactory
from integrations.mail.imap import mailbox_poll, mailbox_test
from integrations.mail.models import InboundMessage, Mailbox
from integrations.mail.services import mailbox_save
from tickets.models import Ticket, TicketAttachment, TicketComment
from tickets.notifications import ticket_message_id
from tickets.services import ticket_update

from .messages import bounce_bytes, email_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(scoped, msp, user, dovecot_server, imap_user):
    return mailbox_save(msp=msp, actor=user, host=dovecot_server.host, port=dovecot_server.port, use_tls=False,
                        username=imap_user, password="s3cret-pass", folder="INBOX", address=imap_user,
                        is_active=True)


@pytest.fixture
def acme(msp):
    client = ClientFactory(msp=msp, name="Acme Ltd")
    ClientDomainFactory(msp=msp, client=client, domain="acme.test")
    return client


@pytest.fixture
def pat(msp, acme):
    return ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Lee", email="Pat@acme.test")


def deliver(server, mailbox, *raws):
    server.append(mailbox.username, *raws)


def poll(msp, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = mailbox_poll(msp=msp, mailbox=Mailbox.objects.get(msp=msp))
    assert not result.error, result.error
    return result


def test_email_from_a_contact_opens_a_ticket_with_its_attachment(msp, mailbox, pat, dovecot_server,
                                                                  django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, email_bytes(sender="Pat Lee <pat@ACME.test>", subject="Printer jammed",
                                                 attachments=[("photo.png", "image/png", PNG),
                                                              ("tool.exe", "application/octet-stream", b"MZ")]))
    result = poll(msp, mailbox, django_capture_on_commit_callbacks)
    assert result.counts == {"ticket": 1}
    ticket = Ticket.objects.get(msp=msp)
    assert (ticket.client, ticket.contact, ticket.source, ticket.subject) == (
        pat.client, pat, Ticket.Source.EMAIL, "Printer jammed")
    assert "printer is jammed" in ticket.description
    assert [a.name for a in TicketAttachment.objects.filter(msp=msp)] == ["photo.png"]
    note = TicketComment.objects.get(msp=msp, ticket=ticket)
    assert note.is_internal and "tool.exe" in note.body
    row = InboundMessage.objects.get(msp=msp)
    assert (row.status, row.ticket, row.uid) == (InboundMessage.Status.TICKET, ticket, 1)
    # the sender is told, with our reference so the reply threads; the ack is auto-replied
    [ack] = mail.outbox
    assert ack.to == ["pat@acme.test"] and f"[#{ticket.number}]" in ack.subject
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert f".opsmerge-t{msp.pk}-{ticket.number}@" in ack.extra_headers["Message-ID"]


def test_domain_match_unknown_sender_and_archived_client(msp, user, mailbox, acme, dovecot_server,
                                                         django_capture_on_commit_callbacks):
    old = ClientFactory(msp=msp, name="Gone Co")
    ClientDomainFactory(msp=msp, client=old, domain="gone.test")
    client_archive(msp=msp, client=old, actor=user)
    deliver(dovecot_server, mailbox,
            email_bytes(sender="new.person@mail.acme.test", subject="VPN down"),
            email_bytes(sender="stranger@elsewhere.test", subject="Buy our stuff"),
            email_bytes(sender="someone@gone.test", subject="Are you still there?"))
    poll(msp, mailbox, django_capture_on_commit_callbacks)
    by_subject = {t.subject: t for t in Ticket.objects.filter(msp=msp)}
    assert by_subject["VPN down"].client == acme and by_subject["VPN down"].contact is None
    assert by_subject["Buy our stuff"].client is None
    assert by_subject["Are you still there?"].client is None
    note = TicketComment.objects.get(msp=msp, ticket=by_subject["Are you still there?"])
    assert note.is_internal and "Gone Co is archived" in note.body
    statuses = dict(InboundMessage.objects.filter(msp=msp).values_list("subject", "status"))
    assert statuses == {"VPN down": "ticket", "Buy our stuff": "triage", "Are you still there?": "triage"}
    # strangers and triage get no acknowledgement (no backscatter); the domain match does
    assert [m.to for m in mail.outbox] == [["new.person@mail.acme.test"]]


def test_replies_thread_by_subject_and_by_message_id(msp, user, mailbox, pat, dovecot_server,
                                                     django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="Printer jammed",
                                                 message_id="<first@acme.test>"))
    poll(msp, mailbox, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get(msp=msp)
    ticket_update(msp=msp, ticket=ticket, actor=user, status=Ticket.Status.WAITING)
    deliver(dovecot_server, mailbox,
            email_bytes(sender="pat@acme.test", subject=f"Re: [#{ticket.number}] Printer jammed",
                        body="Still jammed.\n\nOn Mon, Support wrote:\n> earlier text"),
            email_bytes(sender="pat@acme.test", subject="Re: something else", body="Tried again.",
                        in_reply_to=ticket_message_id(ticket)),
            email_bytes(sender="boss@acme.test", subject="Re: Printer jammed", body="Me too.",
                        in_reply_to="<first@acme.test>"),
            email_bytes(sender="intruder@evil.test", subject=f"[#{ticket.number}] hi", body="Click here"))
    result = poll(msp, mailbox, django_capture_on_commit_callbacks)
    assert result.counts == {"reply": 4}
    assert Ticket.objects.filter(msp=msp).count() == 1
    comments = list(TicketComment.objects.filter(msp=msp, ticket=ticket).order_by("pk"))
    assert [(c.body, c.author_contact, c.is_internal) for c in comments[:2]] == [
        ("Still jammed.", pat, False), ("Tried again.", pat, False)]
    assert comments[2].is_internal and "boss@acme.test" in comments[2].body
    assert comments[3].is_internal and "intruder@evil.test" in comments[3].body
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN  # the contact's reply reopened it


def test_reply_to_a_closed_ticket_opens_a_new_one(msp, user, mailbox, pat, dovecot_server,
                                                  django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="Printer jammed"))
    poll(msp, mailbox, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get(msp=msp)
    ticket_update(msp=msp, ticket=ticket, actor=user, status=Ticket.Status.CLOSED)
    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject=f"Re: [#{ticket.number}] again"))
    poll(msp, mailbox, django_capture_on_commit_callbacks)
    assert Ticket.objects.filter(msp=msp).count() == 2


@pytest.mark.parametrize("raw", [
    bounce_bytes(to="support@msp.test", original_subject="Re: [#1] Printer"),
    email_bytes(sender="pat@acme.test", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}),
    email_bytes(sender="pat@acme.test", subject="Away", headers={"X-Autoreply": "yes"}),
    email_bytes(sender="news@acme.test", subject="Newsletter", headers={"Precedence": "bulk"}),
    email_bytes(sender="mailer-daemon@acme.test", subject="Delivery failure"),
], ids=["dsn", "auto-submitted", "x-autoreply", "precedence", "mailer-daemon"])
def test_auto_replies_and_bounces_never_create_tickets_or_answers(msp, mailbox, pat, dovecot_server, raw,
                                                                   django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, raw)
    result = poll(msp, mailbox, django_capture_on_commit_callbacks)
    assert result.counts == {"ignored": 1}
    assert not Ticket.objects.filter(msp=msp).exists()
    assert mail.outbox == []


def test_our_own_mail_coming_back_is_ignored(msp, mailbox, dovecot_server, django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, email_bytes(sender=mailbox.username, subject="[#1] loop"))
    assert poll(msp, mailbox, django_capture_on_commit_callbacks).counts == {"ignored": 1}


def test_rerun_and_new_uidvalidity_duplicate_nothing(msp, mailbox, pat, dovecot_server,
                                                     django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="One"),
            email_bytes(sender="pat@acme.test", subject="Two"))
    assert poll(msp, mailbox, django_capture_on_commit_callbacks).fetched == 2
    assert poll(msp, mailbox, django_capture_on_commit_callbacks).fetched == 0
    # a rebuilt folder (new UIDVALIDITY) is read from its start; Message-IDs stop duplicates
    Mailbox.objects.filter(msp=msp).update(uidvalidity=1, last_uid=0)
    result = poll(msp, mailbox, django_capture_on_commit_callbacks)
    assert result.counts == {"duplicate": 2}
    assert Ticket.objects.filter(msp=msp).count() == 2


def test_bad_input_is_recorded_as_failed(msp, mailbox, pat, dovecot_server, settings,
                                         django_capture_on_commit_callbacks):
    settings.MAIL_INBOUND_MAX_BYTES = 5000
    deliver(dovecot_server, mailbox,
            email_bytes(sender="pat@acme.test", subject="Huge", attachments=[("big.pdf", "application/pdf",
                                                                                b"%PDF-" + b"0" * 8000)]),
            b"From: pat@acme.test\r\nSubject: odd charset\r\nMessage-ID: <cs@acme.test>\r\n"
            b"Content-Type: text/plain; charset=x-unknown-klingon\r\n\r\nqapla\xff\r\n",
            b"Subject: nobody sent this\r\nMessage-ID: <nofrom@x.test>\r\n\r\nhi\r\n")
    result = poll(msp, mailbox, django_capture_on_commit_callbacks)
    rows = {r.subject: r for r in InboundMessage.objects.filter(msp=msp)}
    assert rows[""].status == "failed" and "over the limit" in rows[""].reason
    assert rows["odd charset"].status == "ticket"  # decoded as far as possible, never a crash
    assert rows["nobody sent this"].status == "failed" and "no sender" in rows["nobody sent this"].reason
    assert result.fetched == 3


def test_wrong_password_is_a_clear_error(msp, user, mailbox, dovecot_server):
    mailbox.password = "wrong"
    with pytest.raises(Exception, match="refused the sign-in"):
        mailbox_test(mailbox=mailbox)
    Mailbox.objects.filter(msp=msp).update(password="wrong")
    result = mailbox_poll(msp=msp, mailbox=Mailbox.objects.get(msp=msp))
    assert "refused the sign-in" in result.error
    assert "refused the sign-in" in Mailbox.objects.get(msp=msp).last_error


def test_unreachable_server(msp, user, scoped):
    mailbox = mailbox_save(msp=msp, actor=user, host="127.0.0.1", port=1, use_tls=False, username="x",
                           password="y", folder="INBOX", address="", is_active=True)
    with pytest.raises(Exception, match=r"Cannot reach 127\.0\.0\.1:1"):
        mailbox_test(mailbox=mailbox)


def test_acknowledgements_are_rate_limited_per_sender(msp, mailbox, pat, dovecot_server,
                                                      django_capture_on_commit_callbacks):
    deliver(dovecot_server, mailbox, *[email_bytes(sender="pat@acme.test", subject=f"Issue {i}") for i in range(7)])
    poll(msp, mailbox, django_capture_on_commit_callbacks)
    assert Ticket.objects.filter(msp=msp).count() == 7
    assert len(mail.outbox) == 5


def test_beat_fans_out_one_poll_per_active_mailbox(msp, mailbox, pat, dovecot_server,
                                                    django_capture_on_commit_callbacks):
    from integrations.mail.tasks import mail_poll_all

    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="From beat"))
    with django_capture_on_commit_callbacks(execute=True):
        assert mail_poll_all.apply().get() == 1
    assert Ticket.objects.get(msp=msp).subject == "From beat"
    Mailbox.objects.filter(msp=msp).update(is_active=False)
    assert mail_poll_all.apply().get() == 0


def test_imaps_verifies_the_server_certificate(msp, user, scoped, dovecot_server, imap_user, imap_ca, settings,
                                               tmp_path):
    mailbox = mailbox_save(msp=msp, actor=user, host="127.0.0.1", port=dovecot_server.tls_port, use_tls=True,
                           username=imap_user, password="s3cret-pass", folder="INBOX", address="", is_active=True)
    with pytest.raises(Exception, match=r"TLS with 127\.0\.0\.1"):  # not signed by a CA we trust
        mailbox_test(mailbox=mailbox)
    ca_file = tmp_path / "ca.pem"
    imap_ca.cert_pem.write_to_path(str(ca_file))
    settings.MAIL_IMAP_CA_FILE = str(ca_file)
    dovecot_server.append(imap_user, email_bytes(sender="x@y.test", subject="over TLS"))
    assert mailbox_test(mailbox=mailbox) == 1


def test_technician_reply_email_threads_back(msp, user, mailbox, pat, dovecot_server,
                                             django_capture_on_commit_callbacks):
    """The contact gets the technician's reply with our reference and Message-ID and
    the mailbox as Reply-To; answering it lands on the same ticket."""
    from tickets.services import ticket_comment_add

    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="Printer jammed"))
    poll(msp, mailbox, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get(msp=msp)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_comment_add(msp=msp, ticket=ticket, body="Please power-cycle it.", author_user=user)
    [reply] = mail.outbox
    assert reply.to == ["Pat@acme.test"] and reply.reply_to == [mailbox.address]
    assert reply.subject == f"Re: [#{ticket.number}] Printer jammed"
    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="Re: your reply",
                                                 in_reply_to=reply.extra_headers["Message-ID"], body="Done, works."))
    assert poll(msp, mailbox, django_capture_on_commit_callbacks).counts == {"reply": 1}
    assert TicketComment.objects.filter(msp=msp, ticket=ticket, author_contact=pat, body="Done, works.").exists()


def test_a_second_poll_of_the_same_mailbox_waits_its_turn(msp, mailbox, pat, dovecot_server):
    from django.core.cache import cache

    deliver(dovecot_server, mailbox, email_bytes(sender="pat@acme.test", subject="One"))
    cache.add(f"mail-poll:{msp.pk}", "1", timeout=60)  # another worker is polling
    result = mailbox_poll(msp=msp, mailbox=Mailbox.objects.get(msp=msp))
    assert result.skipped and result.fetched == 0
    assert not Ticket.objects.filter(msp=msp).exists()
    cache.delete(f"mail-poll:{msp.pk}")
    assert mailbox_poll(msp=msp, mailbox=Mailbox.objects.get(msp=msp)).fetched == 1


def test_queries_per_message_stay_small(msp, mailbox, pat, dovecot_server, django_assert_max_num_queries):
    deliver(dovecot_server, mailbox, *[email_bytes(sender="pat@acme.test", subject=f"Issue {n}") for n in range(20)])
    # per message: its transaction, the ticket (number, row, SLA clock, client activity,
    # audit), the record; per batch: three lookups (426 for 20 with the SLA clock and the
    # PSA app merged; 206 without them)
    with django_assert_max_num_queries(20 * 22 + 10):
        assert mailbox_poll(msp=msp, mailbox=Mailbox.objects.get(msp=msp)).fetched == 20
