"""Reading messages with the stdlib email package (no database)."""

from __future__ import annotations

import contextlib

import pytest

from integrations.mail.parsing import Unreadable, message_key, parse, strip_quoted

from .messages import bounce_bytes, email_bytes


def test_encoded_words_html_only_and_addresses():
    raw = (b"From: =?utf-8?q?Ren=C3=A9e_M=C3=BCller?= <Renee@Example.COM>\r\n"
           b"Subject: =?utf-8?b?RHJ1Y2tlciBrYXB1dHQg4oCTIFsjNDJd?=\r\n"
           b"Message-ID: <abc@example.com>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hallo,<br>der Drucker <b>streikt</b>.</p>")
    parsed = parse(raw)
    assert (parsed.from_name, parsed.from_address, parsed.domain) == ("Renée Müller", "renee@example.com",
                                                                      "example.com")
    assert parsed.subject == "Drucker kaputt – [#42]" and parsed.subject_numbers() == [42]
    assert parsed.body == "Hallo,\nder Drucker streikt."
    assert parsed.message_id == "<abc@example.com>"


def test_references_name_our_tickets_of_this_msp_only():
    raw = email_bytes(sender="a@b.test", subject="Re: x",
                      in_reply_to="<1.2.3.opsmerge-t7-15@ops.example> <9.opsmerge-t8-99@ops.example>")
    assert parse(raw).referenced_ticket_numbers(7) == [15]
    assert parse(raw).referenced_ticket_numbers(9) == []


def test_quoted_text_is_cut_from_replies():
    assert strip_quoted("Thanks!\n\nOn Tue, 3 Mar 2026, Support <s@x> wrote:\n> old\n> older") == "Thanks!"
    assert strip_quoted("Done.\n\n-----Original Message-----\nFrom: x") == "Done."
    assert strip_quoted("Top\n> quoted line\nBottom") == "Top\nBottom"


def test_machine_mail_is_recognised_and_not_read():
    assert parse(bounce_bytes(to="s@x.test", original_subject="hi")).auto_reason.startswith("Delivery status")
    ooo = parse(email_bytes(sender="a@b.test", subject="OOO", headers={"Auto-Submitted": "auto-replied"}))
    assert ooo.auto_reason == "Auto-Submitted: auto-replied" and ooo.body == ""
    assert parse(email_bytes(sender="a@b.test", subject="x", headers={"Auto-Submitted": "no"})).auto_reason == ""


def test_attachments_and_keys():
    raw = email_bytes(sender="a@b.test", subject="x", attachments=[("r.pdf", "application/pdf", b"%PDF-1")])
    [attachment] = parse(raw).attachments
    assert (attachment.name, attachment.content_type, attachment.data) == ("r.pdf", "application/pdf", b"%PDF-1")
    assert message_key(b"raw", "<id@x>") == "<id@x>"
    assert message_key(b"raw", "") == message_key(b"raw", "<" + "x" * 300 + ">") != message_key(b"other", "")


def test_garbage_never_raises_anything_but_unreadable():
    for raw in (b"\x00\xff\xfe", b"From: \r\n\r\n", b"Content-Type: multipart/mixed; boundary=\r\n\r\n--"):
        with contextlib.suppress(Unreadable):
            parse(raw)


@pytest.mark.parametrize("charset", ["x-klingon", "utf-7-broken"])
def test_unknown_charset_is_decoded_as_far_as_possible(charset):
    raw = (f"From: a@b.test\r\nSubject: s\r\nContent-Type: text/plain; charset={charset}\r\n\r\nhello \xff"
           ).encode("latin-1")
    assert parse(raw).body.startswith("hello")
