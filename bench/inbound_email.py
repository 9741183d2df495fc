"""Inbound email: messages/s a poll turns into tickets, threaded replies or ignored
auto-replies, for 5,000 emails queued in a real IMAP mailbox (a private dovecot).

Data: one MSP, 300 clients with a domain and 2 contacts each. The mailbox holds, in
order: 60% mail from known contacts, 15% from unknown people at a client's domain,
10% from strangers (triage), 10% replies with "[#n]" to tickets opened earlier in the
run, 5% auto-replies / bounces. Delivery (IMAP APPEND) is not timed; the figure is the
whole poll: UID SEARCH, FETCH in batches, parsing (stdlib email, policy=default),
routing, ticket / comment writes, and queueing the acknowledgements (to Redis, as in
production: a worker renders and sends them; the queue is purged afterwards).
"""

from __future__ import annotations

import random
import time

from bench.harness import result

MESSAGES = 5000
TARGET_PER_SECOND = 50


def _seed():
    from accounts.models import Msp
    from clients.models import Client, ClientDomain
    from contacts.models import Contact
    from opsmerge.tenancy import unscoped

    with unscoped("benchmark seed"):
        msp = Msp.objects.create(name="Bench Mail MSP", slug="bench-mail")
        clients = Client.objects.bulk_create([Client(msp=msp, name=f"Client {c}") for c in range(300)])
        ClientDomain.objects.bulk_create([ClientDomain(msp=msp, client=c, domain=f"c{c.pk}.example", is_primary=True)
                                          for c in clients])
        contacts = Contact.objects.bulk_create([
            Contact(msp=msp, client=c, first_name=f"P{i}", last_name=c.name, email=f"p{i}@c{c.pk}.example")
            for c in clients for i in range(2)])
    return msp, clients, contacts


def _messages(clients, contacts) -> list[bytes]:
    from integrations.mail.tests.messages import bounce_bytes, email_bytes

    rng = random.Random(17)
    raws = []
    for n in range(MESSAGES):
        kind = rng.random()
        if kind < 0.60:
            contact = rng.choice(contacts)
            raws.append(email_bytes(sender=contact.email, subject=f"Issue {n}", body=f"Problem number {n}\n" * 5))
        elif kind < 0.75:
            client = rng.choice(clients)
            raws.append(email_bytes(sender=f"new{n}@c{client.pk}.example", subject=f"Hello {n}"))
        elif kind < 0.85:
            raws.append(email_bytes(sender=f"someone{n}@stranger.example", subject=f"Offer {n}"))
        elif kind < 0.95:
            contact = rng.choice(contacts)
            number = rng.randint(1, max(1, n // 2))
            raws.append(email_bytes(sender=contact.email, subject=f"Re: [#{number}] Issue",
                                    body=f"More detail {n}\n\nOn Monday, Support wrote:\n> old"))
        elif kind < 0.975:
            raws.append(bounce_bytes(to="support@bench.example", original_subject=f"[#{n}] Issue"))
        else:
            contact = rng.choice(contacts)
            raws.append(email_bytes(sender=contact.email, subject="Out of office",
                                    headers={"Auto-Submitted": "auto-replied"}))
    return raws


def run():
    from django.db import connection
    from django.db.models import Count

    from integrations.mail.imap import mailbox_poll
    from integrations.mail.models import InboundMessage
    from integrations.mail.services import ACK_LIMIT, mailbox_save
    from opsmerge import ratelimit
    from opsmerge.celery import app
    from opsmerge.tenancy import msp_scope
    from testing import dovecot

    app.conf.task_always_eager = False
    msp, clients, contacts = _seed()
    raws = _messages(clients, contacts)
    # acknowledgement counters of an earlier run (same MSP id in a fresh database) start at zero
    ratelimit.reset([(ACK_LIMIT, f"{msp.pk}:{contact.email}") for contact in contacts])
    with dovecot.running() as server:
        server.add_user("support@bench.example", "bench-pass")
        for start in range(0, len(raws), 500):
            server.append("support@bench.example", *raws[start:start + 500])
        with msp_scope(msp):
            mailbox = mailbox_save(msp=msp, actor=None, host=server.host, port=server.port, use_tls=False,
                                   username="support@bench.example", password="bench-pass", folder="INBOX",  # noqa: S106
                                   address="support@bench.example", is_active=True)
            queries = 0

            def count(execute, sql, params, many, context):
                nonlocal queries
                queries += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                started = time.perf_counter()
                outcome = mailbox_poll(msp=msp, mailbox=mailbox)
                elapsed = time.perf_counter() - started
            assert not outcome.error, outcome.error
            assert outcome.fetched == MESSAGES, outcome.fetched
            queued = app.control.purge()
            counts = dict(InboundMessage.objects.filter(msp=msp).values_list("status").annotate(n=Count("pk")))
    yield result("inbound_messages_per_second", MESSAGES / elapsed, "msg/s", f">= {TARGET_PER_SECOND}")
    yield result("inbound_total_seconds", elapsed, "s")
    yield result("queries_per_message", queries / MESSAGES, "queries")
    for status, n in sorted(counts.items()):
        yield result(f"messages_{status}", n, "messages")
    yield result("acknowledgements_queued", queued, "tasks")
