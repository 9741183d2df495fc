"""The Autotask emulator itself, over HTTP: the query forms and paging links a
connector does not use every day, determinism of the seed (Autotask and HaloPSA), the
threshold's latency, validation and auth shapes."""

from __future__ import annotations

import json
import time

import pytest

from integrations.psa.emulator.autotask import AutotaskProduct
from integrations.psa.emulator.halopsa import HaloProduct
from integrations.psa.http import session


@pytest.fixture
def at(psa_emulator):
    emu = psa_emulator["autotask"]
    emu.product.seed(companies=12, contacts_per_company=2)
    s = session()
    zone = s.get(f"{emu.base_url}/atservicesrest/v1.0/zoneInformation", params={"user": emu.product.USERNAME}).json()
    headers = {"ApiIntegrationCode": emu.product.INTEGRATION_CODE, "UserName": emu.product.USERNAME,
               "Secret": emu.product.SECRET}
    return s, zone["url"] + "V1.0/", headers, emu.product


def test_seed_is_deterministic():
    one, two = AutotaskProduct(), AutotaskProduct()
    for product in (one, two):
        product.seed(companies=9, contacts_per_company=3, seed=5)
    assert [{k: v for k, v in r.items() if k not in ("createDate", "lastActivityDate", "lastTrackedModifiedDateTime",
                                                      "lastModifiedDate")}
            for r in one.tables["Contacts"].rows.values()] == [
        {k: v for k, v in r.items() if k not in ("createDate", "lastActivityDate", "lastTrackedModifiedDateTime",
                                                 "lastModifiedDate")} for r in two.tables["Contacts"].rows.values()]
    halo_one, halo_two = HaloProduct(), HaloProduct()
    for product in (halo_one, halo_two):
        product.seed(companies=9, contacts_per_company=3, seed=5)
    assert halo_one.rows["Users"] == halo_two.rows["Users"]
    assert [c["companyName"] for c in one.tables["Companies"].rows.values()] == [
        c["name"] for c in halo_one.rows["Client"].values()]  # every product seeds the same companies


def test_get_query_with_search_and_prev_page_links(at):
    s, zone, headers, _ = at
    search = json.dumps({"MaxRecords": 5, "IncludeFields": ["companyName"],
                         "filter": [{"op": "beginsWith", "field": "companyName", "value": ""}]})
    first = s.get(f"{zone}Companies/query", params={"search": search}, headers=headers).json()
    assert [set(i) for i in first["items"]] == [{"id", "companyName"}] * 5
    assert first["pageDetails"]["prevPageUrl"] is None
    second = s.get(first["pageDetails"]["nextPageUrl"], headers=headers).json()
    back = s.get(second["pageDetails"]["prevPageUrl"], headers=headers).json()
    assert [i["id"] for i in back["items"]] == [i["id"] for i in first["items"]]
    third = s.get(second["pageDetails"]["nextPageUrl"], headers=headers).json()
    assert third["pageDetails"]["count"] == 2 and third["pageDetails"]["nextPageUrl"] is None
    count = s.post(f"{zone}Companies/query/count", json={"filter": [{"op": "exist", "field": "id"}]},
                   headers=headers).json()
    assert count == {"queryCount": 12}


def test_grouped_filters_and_picklists(at):
    s, zone, headers, product = at
    ids = product.tables["Companies"].ids
    body = {"filter": [{"op": "or", "items": [{"op": "eq", "field": "id", "value": ids[0]},
                                              {"op": "in", "field": "id", "value": ids[5:7]}]},
                       {"op": "noteq", "field": "companyName", "value": "nobody"}]}
    found = s.post(f"{zone}Companies/query", json=body, headers=headers).json()["items"]
    assert [i["id"] for i in found] == [ids[0], *ids[5:7]]
    fields = s.get(f"{zone}Tickets/entityInformation/fields", headers=headers).json()["fields"]
    status = next(f for f in fields if f["name"] == "status")
    assert {"value": "5", "label": "Complete"}.items() <= status["picklistValues"][1].items()


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({"filter": []}, 500, "at least one filter"),
    ({"MaxRecords": 501, "filter": [{"op": "exist", "field": "id"}]}, 400, "MaxRecords"),
    ({"filter": [{"op": "eq", "field": "nope", "value": 1}]}, 500, "Unable to find nope"),
    ({"filter": [{"op": "gt", "field": "lastActivityDate", "value": "yesterday"}]}, 500, "Invalid value"),
])
def test_malformed_queries_answer_in_autotask_shape(at, body, status, needle):
    s, zone, headers, _ = at
    answer = s.post(f"{zone}Companies/query", json=body, headers=headers)
    assert answer.status_code == status and needle in answer.json()["errors"][0]


def test_missing_item_is_a_null_item_and_get_on_root_is_405(at):
    s, zone, headers, _ = at
    assert s.get(f"{zone}Companies/4242", headers=headers).json() == {"item": None}
    assert s.get(f"{zone}Companies", headers=headers).status_code == 405


def test_threshold_adds_latency_past_half(at):
    s, zone, headers, product = at
    product.configure(limit=4, window=60, latency_50=0.2)
    started = time.perf_counter()
    for _ in range(4):
        assert s.get(f"{zone}Companies/{product.tables['Companies'].ids[0]}", headers=headers).status_code == 200
    assert time.perf_counter() - started >= 0.4  # requests 3 and 4 are past 50 %
    over = s.get(f"{zone}Companies/1", headers=headers)
    assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 60
    assert "threshold" in over.json()["errors"][0]
