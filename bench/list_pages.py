"""Technician list pages: SQL queries per page and median server time.

Seeds one MSP with 10,000 clients, 200,000 contacts, 100,000 assets, 200,000 tickets
(plus a noise MSP) with bench.scale (COPY), VACUUMs, then requests through the Django test
client as the MSP's Admin: the clients list (default, tag filter, search), the
contacts list (flat, and grouped by client), and a client page. The query counts of the
clients list (default and tag filter) and of the grouped contacts are also taken on a
1,000-client MSP: they must not grow with the data.
"""

from __future__ import annotations

import statistics
import time

from bench.harness import result

REQUESTS = 20
WARMUP = 3


def _measure(web, url: str) -> tuple[int, float, int]:
    """(queries of one request, median ms over REQUESTS, status)."""
    from django.db import connection

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    for _ in range(WARMUP):
        response = web.get(url)
    with connection.execute_wrapper(count):
        response = web.get(url)
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        web.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return len(executed), statistics.median(samples), response.status_code


def _signed_in(msp):
    from django.test import Client as TestClient

    from bench.scale import admin_for

    web = TestClient()
    web.force_login(admin_for(msp))
    return web


def _busy_client_and_tag(msp):
    """A client with contacts and tickets, and a tag used by some clients."""
    from clients.models import Client, ClientTag
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        client = Client.objects.filter(msp=msp).not_archived().order_by("pk")[5]
        link = ClientTag.objects.filter(msp=msp).select_related("tag").order_by("pk").first()
        return client, (link.tag.name if link else "")


def _vacuum() -> None:
    """Steady state: autovacuum would have set the visibility maps after a bulk load
    (index-only scans); COPY alone leaves them unset."""
    from django.db import connection

    from assets.models import Asset
    from clients.models import Client, ClientDomain, ClientTag
    from contacts.models import Contact, ContactTag
    from sites.models import Site
    from tickets.models import Ticket

    with connection.cursor() as cursor:
        for model in (Client, ClientDomain, ClientTag, Contact, ContactTag, Site, Asset, Ticket):
            cursor.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')


def run():
    from bench.scale import seed_scale

    small = seed_scale(clients=1_000, contacts=20_000, assets=10_000, tickets=20_000, noise=False)
    small_web = _signed_in(small)
    queries_1k, _, status = _measure(small_web, "/clients/")
    assert status == 200, status
    _, small_tag = _busy_client_and_tag(small)
    tag_queries_1k = _measure(small_web, f"/clients/?tag={small_tag}")[0]
    grouped_queries_1k = _measure(small_web, "/contacts/?view=grouped")[0]

    msp = seed_scale(clients=10_000, contacts=200_000, assets=100_000, tickets=200_000, sites=12_000)
    _vacuum()
    web = _signed_in(msp)
    client, tag = _busy_client_and_tag(msp)

    queries, ms, status = _measure(web, "/clients/")
    assert status == 200, status
    tag_queries, tag_ms, _ = _measure(web, f"/clients/?tag={tag}")
    search_queries, search_ms, _ = _measure(web, "/clients/?q=ent")
    contact_queries, contact_ms, _ = _measure(web, "/contacts/")
    grouped_queries, grouped_ms, _ = _measure(web, "/contacts/?view=grouped")
    detail_queries, detail_ms, status = _measure(web, f"/clients/{client.pk}/")
    assert status == 200, status

    seeded = {"seed_seconds": round(msp.seed_seconds, 1)}
    yield result("clients_list_queries", queries, "queries", "<= 15") | seeded
    yield result("clients_list_queries_1k", queries_1k, "queries", f"== clients_list_queries ({queries})")
    yield result("clients_list_ms_p50", ms, "ms", 80) | {"tag_filter_ms_p50": round(tag_ms, 1),
                                                          "tag_filter_queries": tag_queries}
    yield result("clients_search_ms_p50", search_ms, "ms", 80) | {"queries": search_queries}
    yield result("contacts_list_queries", contact_queries, "queries", "<= 15") | {"grouped_queries": grouped_queries}
    yield result("contacts_list_ms_p50", contact_ms, "ms", None) | {"grouped_ms_p50": round(grouped_ms, 1)}
    yield result("clients_tag_filter_ms_p50", tag_ms, "ms", 60) | {"queries": tag_queries,
                                                                   "queries_1k": tag_queries_1k}
    yield result("contacts_grouped_ms_p50", grouped_ms, "ms", 150) | {"queries": grouped_queries,
                                                                      "queries_1k": grouped_queries_1k}
    yield result("client_detail_queries", detail_queries, "queries", "<= 15")
    yield result("client_detail_ms_p50", detail_ms, "ms", 60)
