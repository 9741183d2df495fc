"""Tenant isolation over every route (ARCHITECTURE.md, layer 5).

Every named URL pattern is enumerated from the resolver: nobody has to remember to
add a new route here. Object routes are called as MSP A's user with MSP B's ids and
must answer 404 (GET, and POST where GET is not allowed); with A's own ids they must
not answer 404, which proves the id mapping is right. Pages without ids must never
show MSP B's names.

A route whose URL kwargs cannot be mapped to an object fails the test with a message
saying where to add the mapping (KWARG_OBJECTS below, or testing/world.py).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsmerge.testing.routes import iter_routes

# Routes not owned by an MSP user session: the platform admin, auth pages, the
# public portal sign-in (covered by the portal's own tests) and machine endpoints.
SKIP_NAMESPACES = {"admin", "djdt"}
# accounts:invite_accept is public and keyed by an unguessable token, not an id: its
# own tests (accounts/tests/test_invites.py) show a token finds only its own invite.
SKIP_ROUTES = {"accounts:logout", "accounts:password_reset_confirm", "accounts:invite_accept", "healthz",
               # allauth's emailed-token routes: global, keyed by a signed token, not an MSP id
               # (accounts/tests/test_signup.py covers them)
               "account_confirm_email", "account_reset_password_from_key"}

# URL kwarg -> key in the per-MSP world (conftest.build_world). `pk` maps by the
# route's namespace: clients:detail's pk is a client.
PK_BY_NAMESPACE = {
    "clients": "client",
    "contacts": "contact",
    "sites": "site",
    "assets": "asset",
    "tickets": "ticket",
    "api_keys": "api_key",
    "imports": "import_job",
    "mfa": "webauthn_authenticator",  # a staff user's passkey (allauth's global table, keyed by user)
}
KWARG_OBJECTS = {
    "client_pk": "client",
    "contact_pk": "contact",
    "site_pk": "site",
    "asset_pk": "asset",
    "ticket_pk": "ticket",
    "tag_pk": "tag",
    "document_pk": "document",
    "custom_field_pk": "custom_field",
    "tenant_pk": "m365_tenant",
    "attachment_pk": "attachment",
    "tech_group_pk": "tech_group",
    "merge_pk": "client_merge",
    "candidate_pk": "duplicate_candidate",
    "user_pk": "team_user",
    "invite_pk": "invite",
    "invoice_pk": "invoice",
}


def object_key(route, kwarg: str) -> str | None:
    if kwarg == "pk":
        last_ns = route.namespace.split(":")[-1]
        return PK_BY_NAMESPACE.get(last_ns) or PK_BY_NAMESPACE.get(route.name.split(":")[-1].split("_")[0])
    return KWARG_OBJECTS.get(kwarg)


def build_kwargs(route, world) -> dict:
    kwargs = {}
    for kwarg in route.kwargs:
        key = object_key(route, kwarg)
        obj = world.objects.get(key) if key else world.objects.get(kwarg)
        if obj is None:
            pytest.fail(
                f"Route {route.name} ({route.pattern}) has URL kwarg '{kwarg}' that the isolation test cannot "
                f"fill. Map it in opsmerge/tests/test_isolation.py (KWARG_OBJECTS / PK_BY_NAMESPACE) and add the "
                f"object to testing/world.py."
            )
        kwargs[kwarg] = getattr(obj, "pk", obj)
    return kwargs


def routes():
    for route in iter_routes():
        if route.namespace.split(":")[0] in SKIP_NAMESPACES or route.name in SKIP_ROUTES:
            continue
        if route.name.startswith("portal:") or route.name.startswith("api:"):
            continue  # the REST API has its own sweep, with keys and sessions: api/tests/test_isolation_api.py
        yield route


OBJECT_ROUTES = [r for r in routes() if r.kwargs]
LIST_ROUTES = [r for r in routes() if not r.kwargs]


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_other_msps_objects_are_404(route, two_msps, client):
    alpha, bravo = two_msps
    client.force_login(alpha.user)
    url = reverse(route.name, kwargs=build_kwargs(route, bravo))
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    assert response.status_code == 404, f"{route.name} with MSP B's ids answered {response.status_code}: {url}"

    own = reverse(route.name, kwargs=build_kwargs(route, alpha))
    own_response = client.get(own)
    if own_response.status_code == 405:
        return  # POST-only action; proven above that a foreign id is 404
    assert own_response.status_code != 404, f"{route.name} is 404 for MSP A's own ids: the mapping is wrong"


@pytest.mark.parametrize("route", LIST_ROUTES, ids=lambda r: r.name)
def test_pages_never_show_other_msps_names(route, two_msps, client):
    alpha, bravo = two_msps
    client.force_login(alpha.user)
    url = reverse(route.name)
    for query in ("", "?q=Bravo", "?status=archived", "?show=archived", "?deleted=1"):
        response = client.get(url + query)
        assert response.status_code < 500, f"{route.name}{query} failed with {response.status_code}"
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content).decode(errors="replace")
        else:
            body = response.content.decode(errors="replace")
        for name in bravo.names:
            assert name not in body, f"{route.name}{query} shows MSP B's “{name}”"
