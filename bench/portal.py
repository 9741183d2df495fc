"""Portal sign-in: link request and link redemption server time (Django test client).

Data: 5 MSPs x 100 clients x 5 portal contacts (2,500 portal users; one address is a
portal user at two MSPs). Every sign-in request runs the WHOLE job synchronously
(Celery eager: rate limits in Redis, the cross-MSP lookup, token writes, rendering and
sending the email to the locmem backend), so the figure is an upper bound: in
production the view only enqueues the job. Half the requests use unknown addresses.
Redemption is the POST that uses a fresh link and opens a portal session.
"""

from __future__ import annotations

import statistics
import time

from bench.harness import result

REQUESTS = 300
WARMUP = 30


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _seed():
    from accounts.models import Msp
    from clients.models import Client
    from contacts.models import Contact
    from opsmerge.tenancy import unscoped

    contacts = []
    with unscoped("benchmark seed"):
        for m in range(5):
            msp = Msp.objects.create(name=f"Bench MSP {m}", slug=f"bench-portal-{m}")
            clients = Client.objects.bulk_create([Client(msp=msp, name=f"Client {m}-{c}") for c in range(100)])
            contacts += Contact.objects.bulk_create([
                Contact(msp=msp, client=client, first_name=f"P{i}", last_name=client.name, is_portal_user=True,
                        email=f"user{i}@{m}-{client.pk}.example")
                for client in clients for i in range(5)])
        # one person is a portal user at two MSPs: their email carries two links
        for contact in (contacts[0], contacts[500]):
            contact.email = "shared@multi.example"
            contact.save(update_fields=["email"])
    return contacts


def _time(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run():
    from django.core import mail
    from django.test import Client as TestClient
    from django.urls import reverse

    from opsmerge.celery import app
    from opsmerge.tenancy import msp_scope
    from portal.services import link_token_issue

    app.conf.task_always_eager = True
    mail.outbox = []
    contacts = _seed()
    browser = TestClient()
    signin = reverse("portal:signin")

    def request_link(i):
        email = contacts[(i * 7) % len(contacts)].email if i % 2 == 0 else f"nobody{i}@unknown.example"
        response = browser.post(signin, {"email": email}, REMOTE_ADDR=f"10.{i // 250}.{i % 250}.1")
        assert response.status_code == 302, response.status_code

    _time(request_link, WARMUP)
    sent_before = len(mail.outbox)
    signin_ms = _time(lambda i: request_link(i + WARMUP), REQUESTS)
    assert len(mail.outbox) - sent_before >= REQUESTS // 2, "known addresses must have been emailed"

    tokens = []
    for i in range(WARMUP + REQUESTS):
        contact = contacts[(i * 13) % len(contacts)]
        with msp_scope(contact.msp):
            tokens.append(link_token_issue(msp=contact.msp, contact=contact))

    def redeem(i):
        fresh = TestClient()
        response = fresh.post(reverse("portal:redeem", kwargs={"token": tokens[i]}),
                              REMOTE_ADDR=f"10.{i // 250}.{i % 250}.2")
        assert response.status_code == 302, response.status_code

    _time(redeem, WARMUP)
    redeem_ms = _time(lambda i: redeem(i + WARMUP), REQUESTS)

    for label, samples in (("signin_request", signin_ms), ("redeem", redeem_ms)):
        yield result(f"{label}_ms_p50", statistics.median(samples), "ms", None)
        yield result(f"{label}_ms_p95", _percentile(samples, 0.95), "ms", 50)
