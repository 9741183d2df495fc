"""Tenant isolation over every API route (ARCHITECTURE.md, layer 5), enumerated
from the URL resolver so new endpoints are covered without touching this file.

Every object route × every method it serves is called by MSP A — with an API key
(Super Admin role, so no 403 can mask a leak) and with a browser session — using
MSP B's ids: the answer must be 404. With A's own ids a GET must not be 404, which
proves the id mapping is right. List routes never show B's names, whatever the
filter, and reject B's ids as filter values.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from opsmerge.testing.routes import iter_routes

from .conftest import issue_key

# Router basename (route name "api:<basename>-<action>") -> key in the per-MSP world
# (conftest.build_world / testing/world.py).
PK_BY_BASENAME = {
    "client": "client",
    "client-merge": "client_merge",
    "contact": "contact",
    "site": "site",
    "asset": "asset",
    "ticket": "ticket",
    "import-job": "import_job",
    "sync-run": "sync_run",
    "m365-tenant": "m365_tenant",
}
METHODS = ("get", "post", "put", "patch", "delete")


def api_routes():
    """API routes with their URL kwargs (DRF routers use regex patterns, whose
    named groups are the kwargs)."""
    for route in iter_routes():
        if route.name.startswith("api:") and "/v1/" in f"/{route.pattern}":
            groups = tuple(re.findall(r"\(\?P<(\w+)>", route.pattern))
            yield dataclasses.replace(route, kwargs=route.kwargs + groups)


OBJECT_ROUTES = [r for r in api_routes() if r.kwargs]
LIST_ROUTES = [r for r in api_routes() if not r.kwargs]


def world_kwargs(route, world) -> dict:
    name = route.name.split(":", 1)[1]
    basename = max((b for b in PK_BY_BASENAME if name.startswith(f"{b}-")), key=len, default=None)
    kwargs = {}
    for kwarg in route.kwargs:
        key = PK_BY_BASENAME.get(basename) if kwarg == "pk" else kwarg.removesuffix("_pk")
        obj = world.objects.get(key) if key else None
        if obj is None:
            pytest.fail(f"API route {route.name} ({route.pattern}): map its '{kwarg}' in PK_BY_BASENAME "
                        f"(api/tests/test_isolation_api.py) and add the object to testing/world.py.")
        kwargs[kwarg] = obj.pk
    return kwargs


def foreign_names(world) -> list[str]:
    tenant = world.objects.get("m365_tenant")
    return [*world.names, *([tenant.display_name] if tenant else [])]


def served_methods(url) -> list[str]:
    actions = getattr(resolve(url).func, "actions", {})
    return [m for m in METHODS if m in actions]


@pytest.fixture
def as_alpha(two_msps):
    """Two clients acting for MSP A: one with an API key, one with a session."""
    alpha, bravo = two_msps
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(alpha.user, role=Role.SUPER_ADMIN)}")
    session = APIClient()
    session.force_login(alpha.user)
    return alpha, bravo, {"key": keyed, "session": session}


def test_every_api_route_is_swept():
    names = {r.name for r in api_routes()}
    assert {"api:client-list", "api:client-detail", "api:client-archive", "api:ticket-comments"} <= names


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_other_msps_ids_are_404(route, as_alpha):
    alpha, bravo, clients = as_alpha
    foreign = reverse(route.name, kwargs=world_kwargs(route, bravo))
    methods = served_methods(foreign)
    assert methods, f"{route.name} serves no method"
    for label, api in clients.items():
        for method in methods:
            response = getattr(api, method)(foreign, {}, format="json")
            assert response.status_code == 404, (
                f"{method.upper()} {foreign} ({label}) with MSP B's ids answered {response.status_code}")
            assert "Bravo" not in response.content.decode()
        if "get" in methods:
            own = reverse(route.name, kwargs=world_kwargs(route, alpha))
            assert api.get(own).status_code == 200, f"{route.name} is not 200 for MSP A's own ids ({label})"


@pytest.mark.parametrize("route", LIST_ROUTES, ids=lambda r: r.name)
def test_lists_never_show_other_msps_names(route, as_alpha):
    _alpha, bravo, clients = as_alpha
    url = reverse(route.name)
    if "get" not in served_methods(url):
        pytest.skip("not a list")
    queries = ["", "?q=Bravo", "?status=archived", "?status=archived&status=active", "?page_size=200",
               "?is_active=false", "?ordering=-created_at"]
    for label, api in clients.items():
        seen_own = False
        for query in queries:
            response = api.get(url + query)
            # 400: a filter value this resource does not know (e.g. status=archived on tickets)
            assert response.status_code in (200, 400), f"{url}{query} ({label}) answered {response.status_code}"
            body = response.content.decode()
            for name in foreign_names(bravo):
                assert name not in body, f"{url}{query} ({label}) shows MSP B's “{name}”"
            seen_own = seen_own or (response.status_code == 200 and response.json()["count"] > 0)
        assert seen_own, f"{url} never showed MSP A's own rows: the sweep would prove nothing"


@pytest.mark.parametrize("filter_name, key", [("client", "client"), ("contact", "contact"), ("site", "site"),
                                              ("tag", "tag")])
def test_filters_reject_other_msps_ids(filter_name, key, as_alpha):
    _alpha, bravo, clients = as_alpha
    foreign = bravo.objects[key]
    value = foreign.name if filter_name == "tag" else foreign.pk
    for route in LIST_ROUTES:
        url = reverse(route.name)
        if "get" not in served_methods(url):
            continue
        response = clients["key"].get(url, {filter_name: value})
        assert response.status_code in (200, 400)
        for name in foreign_names(bravo):
            assert name not in response.content.decode()
        if response.status_code == 400:
            assert response.json()["errors"][0]["attr"] == filter_name


def test_foreign_ids_in_bodies_are_unknown(as_alpha):
    _alpha, bravo, clients = as_alpha
    api = clients["key"]
    response = api.post("/api/v1/contacts/", {"first_name": "X", "client": bravo.objects["client"].pk},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "client"
    response = api.post("/api/v1/tickets/", {"subject": "X", "contact": bravo.objects["contact"].pk},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "contact"


def test_a_key_acts_for_its_own_msp_even_beside_another_msps_session(as_alpha):
    """A request carrying MSP A's key and MSP B's browser session is MSP A's."""
    alpha, bravo, _ = as_alpha
    api = APIClient()
    api.force_login(bravo.user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(alpha.user, name='mixed')}")
    body = api.get("/api/v1/clients/").content.decode()
    assert "AlphaCorp Client" in body and "BravoCorp" not in body


def test_key_is_refused_when_the_scope_belongs_to_another_msp(two_msps, rf):
    """Defence in depth: if a scope were ever opened for another MSP before DRF
    authenticates (resolver order changed), the key is refused, not obeyed."""
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request

    from api.authentication import ApiKeyAuthentication
    from opsmerge.tenancy import msp_scope

    alpha, bravo = two_msps
    request = Request(rf.get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {issue_key(alpha.user)}"))
    with msp_scope(bravo.msp), pytest.raises(AuthenticationFailed):
        ApiKeyAuthentication().authenticate(request)
