"""Tenant health: licensed users, licences, Secure Score and MFA registration read from
Graph, and the one rule that rolls them (with consent and sync state) up into a
status per tenant and per customer (seed 001's Health Status; docs/m365.md).

Reading: `health_read(tenant_id)` asks Graph for each part; a part whose permission is
not granted (403) is recorded as missing with the permission to add, never raised.
`tenant_health_refresh` writes one tenant (after each sync, or alone), and
`tenants_health_refresh` many (the schedule): the Graph reads run in a few threads,
the writes in the caller's.

The rule: `RULES` below, evaluated in SQL, so the customer list can sort and filter
on it in one query; the tenant cards show the same rules' reasons.
"""

from __future__ import annotations

import csv
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import conf
from .errors import Kind, M365Error
from .graph import GraphClient
from .models import M365Tenant

log = logging.getLogger("opsmerge.m365")

SCORE_SNAPSHOTS = 30
# Free/self-service SKUs Microsoft "sells" in thousands of units: listed, but left out of
# the bought/assigned totals and the over-assignment rule.
FREE_SKUS = {"FLOW_FREE", "POWER_BI_STANDARD", "TEAMS_EXPLORATORY", "Microsoft_Teams_Exploratory_Dept",
             "WINDOWS_STORE"}
RED_SCORE_PCT = 40


# ---------------------------------------------------------------- what is read


@dataclass(frozen=True)
class HealthPart:
    key: str
    label: str
    permission: str  # the Application permission to add when Microsoft answers 403


PARTS = (
    HealthPart("users", "Licensed users", "User.Read.All"),
    HealthPart("licences", "Licences", "Organization.Read.All"),
    HealthPart("secure_score", "Secure Score", "SecurityEvents.Read.All"),
    HealthPart("mfa", "MFA registration", "AuditLog.Read.All"),
)
PART_FIELDS = {
    "users": ("licensed_users",),
    "licences": ("licences", "licences_over", "licences_warning", "licences_suspended"),
    "secure_score": ("secure_score", "secure_score_max", "secure_score_pct", "secure_score_trend"),
    "mfa": ("mfa_registered", "mfa_users"),
}
EMPTY = {"licensed_users": None, "licences": [], "licences_over": 0, "licences_warning": 0,
         "licences_suspended": 0, "secure_score": None, "secure_score_max": None, "secure_score_pct": None,
         "secure_score_trend": [], "mfa_registered": None, "mfa_users": None}


@cache
def sku_names() -> dict[str, str]:
    """skuPartNumber → product name, from the common rows of Microsoft's published
    "Product names and service plan identifiers for licensing" table (data/sku_names.csv)."""
    path = Path(__file__).parent / "data" / "sku_names.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["sku_part_number"]: row["friendly_name"] for row in csv.DictReader(handle)}


def sku_name(part_number: str) -> str:
    return sku_names().get(part_number) or part_number.replace("_", " ").title()


def _licensed_users(graph: GraphClient) -> dict:
    # An advanced query: $count with a filter on assignedLicenses needs ConsistencyLevel.
    count = graph.count("users/$count", {"$filter": "assignedLicenses/$count ne 0"})
    return {"licensed_users": count}


def _licences(graph: GraphClient) -> dict:
    rows = []
    for body in graph.pages_of("subscribedSkus"):
        for sku in body.get("value") or []:
            if sku.get("capabilityStatus") == "Deleted":
                continue
            units = sku.get("prepaidUnits") or {}
            part = str(sku.get("skuPartNumber") or sku.get("skuId") or "?")
            rows.append({"sku": part, "name": sku_name(part), "consumed": int(sku.get("consumedUnits") or 0),
                         "prepaid": int(units.get("enabled") or 0), "warning": int(units.get("warning") or 0),
                         "suspended": int(units.get("suspended") or 0), "free": part in FREE_SKUS})
    rows.sort(key=lambda r: (-r["consumed"], r["name"]))
    return {
        "licences": rows,
        # Units in their grace period (warning) still serve their users.
        "licences_over": sum(1 for r in rows if not r["free"] and r["consumed"] > r["prepaid"] + r["warning"]),
        "licences_warning": sum(1 for r in rows if r["warning"]),
        "licences_suspended": sum(1 for r in rows if r["suspended"]),
    }


def _secure_score(graph: GraphClient) -> dict:
    snapshots = []
    for body in graph.pages_of("security/secureScores", {"$top": SCORE_SNAPSHOTS}):
        snapshots.extend(body.get("value") or [])
        if len(snapshots) >= SCORE_SNAPSHOTS:
            break
    snapshots = [s for s in snapshots[:SCORE_SNAPSHOTS] if s.get("maxScore")]
    if not snapshots:
        return {"secure_score": None, "secure_score_max": None, "secure_score_pct": None, "secure_score_trend": []}
    latest = snapshots[0]  # Graph answers newest first
    trend = [[str(s.get("createdDateTime", ""))[:10], round(100 * float(s["currentScore"]) / float(s["maxScore"]), 1)]
             for s in reversed(snapshots)]
    return {"secure_score": round(float(latest["currentScore"]), 2), "secure_score_max": float(latest["maxScore"]),
            "secure_score_pct": trend[-1][1], "secure_score_trend": trend}


def _mfa(graph: GraphClient) -> dict:
    registered = users = 0
    for body in graph.pages_of("reports/authenticationMethods/userRegistrationDetails"):
        for row in body.get("value") or []:
            if (row.get("userType") or "member").lower() != "member":
                continue
            users += 1
            registered += bool(row.get("isMfaRegistered"))
    return {"mfa_registered": registered, "mfa_users": users}


READERS = {"users": _licensed_users, "licences": _licences, "secure_score": _secure_score, "mfa": _mfa}


def health_read(tenant_id, *, graph: GraphClient | None = None, skip: tuple[str, ...] = ()) -> dict:
    """Every part of one tenant's health: {field: value, "health_missing": {part:
    permission}, "health_error": ""}. A refused part (403) is missing; any other
    Microsoft error stops the read and is returned in `health_error` with the parts
    read so far (the stored values of the rest stay)."""
    graph = graph or GraphClient(tenant_id)
    values: dict = {"health_missing": {}, "health_error": ""}
    for part in PARTS:
        if part.key in skip:
            continue
        try:
            values.update(READERS[part.key](graph))
        except M365Error as exc:
            if exc.kind == Kind.PERMISSION:
                values["health_missing"][part.key] = part.permission
                values.update({f: EMPTY[f] for f in PART_FIELDS[part.key]})
                continue
            log.warning("m365 health of tenant %s stopped at %s: %s", tenant_id, part.key, exc.code)
            values["health_error"] = f"{part.label}: {exc.friendly}"[:255]
            values.pop("health_missing")  # incomplete: keep what is stored
            break
    return values


def _store(*, msp, tenant: M365Tenant, values: dict) -> None:
    values = {**values, "health_refreshed_at": timezone.now()}
    M365Tenant.objects.filter(msp=msp, pk=tenant.pk).update(**values)
    for key, value in values.items():
        setattr(tenant, key, value)


def tenant_health_refresh(*, msp, tenant: M365Tenant, graph: GraphClient | None = None,
                          after_sync: bool = False) -> M365Tenant:
    """Read and store one tenant's health (never raises for Microsoft's answers). After a
    sync, MFA registration (one page per 100 users) is read only when the schedule has
    not read it within M365_HEALTH_EVERY_MINUTES: it changes slowly, users do not."""
    skip: tuple[str, ...] = ()
    if after_sync and tenant.mfa_users is not None and tenant.health_refreshed_at and \
            timezone.now() - tenant.health_refreshed_at < timedelta(minutes=conf.health_every_minutes()):
        skip = ("mfa",)
    try:
        values = health_read(tenant.tenant_id, graph=graph, skip=skip)
        if skip and "health_missing" in values:  # keep what the schedule found about MFA
            values["health_missing"].update({k: v for k, v in (tenant.health_missing or {}).items() if k in skip})
    except M365Error as exc:  # e.g. the token itself was refused
        values = {"health_error": exc.friendly[:255]}
    _store(msp=msp, tenant=tenant, values=values)
    return tenant


def tenants_health_refresh(*, msp, tenants: list[M365Tenant], threads: int = 8) -> dict[str, int]:
    """Refresh many tenants: Graph reads in `threads` threads (I/O bound), writes here."""

    def read(tenant):
        try:
            return health_read(tenant.tenant_id)
        except M365Error as exc:
            return {"health_error": exc.friendly[:255]}

    outcome = {"refreshed": 0, "failed": 0}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for tenant, values in zip(tenants, pool.map(read, tenants), strict=True):
            _store(msp=msp, tenant=tenant, values=values)
            outcome["failed" if values.get("health_error") else "refreshed"] += 1
    return outcome


# ---------------------------------------------------------------- the rule

NO_TENANTS, HEALTHY, PENDING, ATTENTION, CRITICAL = 0, 1, 2, 3, 4
STATUS = {NO_TENANTS: "no_tenants", HEALTHY: "healthy", PENDING: "pending", ATTENTION: "attention",
          CRITICAL: "critical"}
HEALTH_CHOICES = [(STATUS[CRITICAL], "Critical"), (STATUS[ATTENTION], "Attention"), (STATUS[PENDING], "Pending"),
                  (STATUS[HEALTHY], "Healthy"), (STATUS[NO_TENANTS], "No tenants")]
HEALTH_LABELS = dict(HEALTH_CHOICES)
RANK_OF = {name: rank for rank, name in STATUS.items()}


@dataclass(frozen=True)
class Rule:
    key: str
    rank: int
    condition: Q  # over M365Tenant's columns
    reason: str


RULES = (
    Rule("suspended", CRITICAL, Q(licences_suspended__gt=0), "A licence has suspended units"),
    Rule("low_score", CRITICAL, Q(secure_score_pct__lt=RED_SCORE_PCT), f"Secure Score below {RED_SCORE_PCT}%"),
    Rule("reconnect", ATTENTION, Q(consent_state=M365Tenant.ConsentState.RECONNECT_REQUIRED), "Reconnect required"),
    Rule("disconnected", ATTENTION, Q(consent_state=M365Tenant.ConsentState.DISCONNECTED), "Disconnected"),
    Rule("sync_failed", ATTENTION, ~Q(health_message=""), "The last sync failed"),
    Rule("over_assigned", ATTENTION, Q(licences_over__gt=0), "Licences over-assigned"),
    Rule("grace", ATTENTION, Q(licences_warning__gt=0), "Licences in their grace period"),
    Rule("pending", PENDING, Q(consent_state=M365Tenant.ConsentState.PENDING), "Waiting for consent"),
)


def tenant_rank_expression():
    """The tenant's health rank: the worst rule that holds, else healthy."""
    ordered = sorted(RULES, key=lambda r: -r.rank)
    return Case(*(When(rule.condition, then=Value(rule.rank)) for rule in ordered), default=Value(HEALTHY),
                output_field=IntegerField())


def with_health(queryset):
    """Tenants annotated with `health_rank` and a `health_<rule>` flag per rule."""
    return queryset.annotate(
        health_rank=tenant_rank_expression(),
        **{f"health_{rule.key}": ExpressionWrapper(rule.condition, output_field=BooleanField()) for rule in RULES},
    )


def reasons(tenant) -> list[str]:
    """Why a tenant (from with_health) is not healthy, worst first."""
    return [rule.reason for rule in sorted(RULES, key=lambda r: -r.rank) if getattr(tenant, f"health_{rule.key}", False)]


def status_of(rank) -> str:
    return STATUS.get(rank or NO_TENANTS, STATUS[NO_TENANTS])


# Annotations on clients.Client (registered as list columns in apps.py).
def client_tenant_count():
    from opsmerge.db import count_subquery

    return count_subquery(M365Tenant.objects.all(), "client")


def client_licensed_users():
    """Seed 001's Total Users: licensed users summed over the customer's tenants."""
    sub = (M365Tenant.objects.filter(client=OuterRef("pk")).order_by().values("client")
           .annotate(n=Sum("licensed_users")).values("n"))
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def client_health_rank():
    """Seed 001's Health Status: the worst tenant's rank (0 = no tenants)."""
    sub = (M365Tenant.objects.filter(client=OuterRef("pk")).order_by().values("client")
           .annotate(r=Max(tenant_rank_expression())).values("r"))
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(NO_TENANTS))
