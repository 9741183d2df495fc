"""List endpoints answer in a constant number of queries, whatever the page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientDomainFactory, ClientFactory, TagFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope
from sites.tests.factories import SiteFactory
from tickets.tests.factories import TicketCommentFactory, TicketFactory

pytestmark = pytest.mark.django_db


def populate(msp, n):
    tag = TagFactory(msp=msp)
    for _ in range(n):
        client = ClientFactory(msp=msp)
        ClientDomainFactory(msp=msp, client=client)
        with msp_scope(msp):
            client.tags.through.objects.create(msp=msp, client=client, tag=tag)
        contact = ContactFactory(msp=msp, client=client, is_primary=True)
        site = SiteFactory(msp=msp, client=client, name=f"Site {client.pk}")
        AssetFactory(msp=msp, client=client, site=site, contact=contact)
        ticket = TicketFactory(msp=msp, client=client, contact=contact)
        TicketCommentFactory(msp=msp, ticket=ticket)
    return ticket


def count_queries(api, url):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("path", ["clients", "contacts", "sites", "assets", "tickets"])
def test_list_query_count_is_constant(api, msp, path):
    populate(msp, 2)
    url = f"/api/v1/{path}/?page_size=200"
    api.get(url)  # warm: first-use writes (last_used_at) are not part of the figure
    small, body = count_queries(api, url)
    assert body["count"] >= 2
    populate(msp, 8)
    large, body = count_queries(api, url)
    assert body["count"] >= 10
    assert large == small, f"/{path}/ made {small} queries for 2 rows but {large} for 10"


def test_comment_list_query_count_is_constant(api, msp):
    ticket = populate(msp, 1)
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    api.get(url)
    small, _ = count_queries(api, url)
    for _ in range(6):
        TicketCommentFactory(msp=msp, ticket=ticket)
    large, body = count_queries(api, url)
    assert body["count"] == 7 and large == small
