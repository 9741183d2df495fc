"""Fast scale data for benchmarks: one MSP with N clients and their contacts, sites,
assets, tickets and invoices, beside a "noise" MSP of the same shape, so every
measured query has to find its tenant's rows among another tenant's.

Rows go in with PostgreSQL COPY (psycopg 3 `cursor.copy`); ids are taken from the
tables' sequences first so related rows can point at them without reading back.
Every database invariant holds (one primary contact and one HQ site per client,
unique emails per client, unique domains, per-MSP ticket and invoice numbers with the
ticket sequence advanced), so services and views work on the data unchanged.

    from bench.scale import seed_scale, admin_for
    msp = seed_scale(clients=10_000, contacts=100_000, sites=20_000, assets=50_000,
                     tickets=100_000, invoices=30_000)
    user = admin_for(msp)          # an Admin of that MSP (password: DEMO/bench below)

Counts are TOTALS for the MSP, spread round-robin over its clients (each client gets
at least one contact and one site when those counts allow). The noise MSP gets the
same counts times `noise` (True = 1.0, False/0 = none, or a float).
"""

from __future__ import annotations

import datetime
import itertools
import random
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Msp, User
from accounts.roles import Role
from assets.models import Asset
from billing.models import Invoice
from clients.models import Client, ClientDomain, ClientTag, Tag
from contacts.models import Contact
from opsmerge.tenancy import msp_scope, unscoped
from sites.models import Site
from tickets.models import Ticket, TicketSequence

__all__ = ["BENCH_PASSWORD", "admin_for", "scoped_client_ids", "seed_scale"]

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - scratch data only

_PREFIXES = ["Acme", "Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
             "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Massive", "Oceanic", "Pied Piper", "Wonka",
             "Gringotts", "Bluth", "Dunder", "Prestige", "Sterling", "Monarch", "Zenith", "Harbour", "Riverside",
             "Kestrel", "Beacon", "Summit", "Meridian", "Lighthouse", "Oakwood", "Silverline", "Redwood"]
_NOUNS = ["Legal", "Dental", "Accounting", "Logistics", "Architects", "Engineering", "Media", "Clinic", "Foods",
          "Motors", "Partners", "Consulting", "Properties", "Analytics", "Studios", "Pharmacy", "Academy", "Surveyors"]
_SUFFIXES = ["Ltd", "Limited", "LLP", "Group", "& Co", "Inc", "plc", "Holdings"]
_FIRST = ["Alice", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Isla", "Jack", "Kiran", "Lena", "Mo",
          "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe"]
_LAST = ["Adams", "Brown", "Chen", "Davies", "Evans", "Fischer", "Garcia", "Hughes", "Iqbal", "Jones", "Khan",
         "Lewis", "Murphy", "Nowak", "O'Brien", "Patel", "Roberts", "Smith", "Taylor", "Walker", "Wright", "Young"]
_SITE_NAMES = ["London", "Manchester", "Leeds", "Bristol", "Home workers", "Warehouse", "Edinburgh", "Cardiff"]
_TAGS = ["tier:gold", "tier:silver", "tier:bronze", "vertical:legal", "vertical:education", "vertical:health",
         "m365-rollout", "migration-2026"]
_SUBJECTS = ["Printer offline", "Cannot sign in to Outlook", "VPN drops every hour", "New starter laptop",
             "Password reset", "Shared mailbox access", "Teams camera not working", "Slow file server",
             "Phishing email reported", "Licence request"]


def _as_fraction(noise: bool | float) -> float:
    return float(noise) if not isinstance(noise, bool) else (1.0 if noise else 0.0)


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` ids from the model's id sequence."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def _column_defaults(model: type[models.Model], given: Sequence[str]) -> tuple[list[str], tuple]:
    """Every concrete column not in `given`, with its model default prepared for the
    database (computed once: timestamps share one "now")."""
    now = timezone.now()
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        value = field.get_default()
        if value is None and not field.null:
            if isinstance(field, models.DateTimeField):
                value = now
            elif isinstance(field, models.DateField):
                value = now.date()
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return columns, tuple(values)


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]],
          json_columns: Sequence[str] = ()) -> int:
    """COPY `rows` (tuples over `columns`) into the model's table; the other columns
    get their model defaults. JSON values in `json_columns` are wrapped for psycopg."""
    from psycopg.types.json import Jsonb

    rest, defaults = _column_defaults(model, columns)
    json_positions = [columns.index(c) for c in json_columns]
    names = ", ".join(f'"{c}"' for c in [*columns, *rest])
    count = 0
    with connection.cursor() as cursor, cursor.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for pos in json_positions:
                    row[pos] = Jsonb(row[pos])
            copy.write_row((*row, *defaults))
            count += 1
    return count


def _spread(total: int, buckets: Sequence[int]) -> list[int]:
    """`total` owners picked round-robin from `buckets` (client ids)."""
    if not buckets:
        return []
    cycle = itertools.cycle(buckets)
    return [next(cycle) for _ in range(total)]


def _build_msp(*, label: str, slug: str, clients: int, contacts: int, sites: int, assets: int, tickets: int,
               invoices: int, rng: random.Random) -> Msp:
    msp = Msp.objects.create(name=f"{label} Managed Services", slug=slug, require_mfa=False)
    password = make_password(BENCH_PASSWORD)
    User.objects.bulk_create([
        User(email=f"{role.value.replace('_', '-')}@{slug}.bench.example", full_name=f"{label} {role.label}",
             msp=msp, role=role, password=password)
        for role in Role
    ])
    now = timezone.now()
    name_prefix = "" if label == "Scale" else f"{label} "  # noise rows are recognisable in leak checks

    # Clients (about 3% archived, 5% leads), one primary domain each, some tags.
    client_ids = _next_ids(Client, clients)
    client_names: dict[int, str] = {}
    domains: dict[int, str] = {}
    client_rows = []
    for n, cid in enumerate(client_ids):
        base = f"{rng.choice(_PREFIXES)} {rng.choice(_NOUNS)}"
        name = f"{name_prefix}{base} {rng.choice(_SUFFIXES)} {n}"
        client_names[cid] = name
        domains[cid] = f"{base.lower().replace(' ', '-').replace('&', 'and')}-{n}.{slug}.example"
        status = Client.Status.ARCHIVED if n % 33 == 32 else (Client.Status.LEAD if n % 20 == 19 else Client.Status.ACTIVE)
        archived_at = now - datetime.timedelta(days=n % 300) if status == Client.Status.ARCHIVED else None
        last_activity = now - datetime.timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
        client_rows.append((cid, msp.pk, name, status, "Europe/London", "GB", archived_at, last_activity,
                            now - datetime.timedelta(days=rng.randrange(1, 2000))))
    _copy(Client, ["id", "msp_id", "name", "status", "time_zone", "country", "archived_at", "last_activity_at",
                   "created_at"], client_rows)
    _copy(ClientDomain, ["msp_id", "client_id", "domain", "is_primary"],
          ((msp.pk, cid, domains[cid], True) for cid in client_ids))
    tags = Tag.objects.bulk_create([Tag(msp=msp, name=t) for t in _TAGS])
    _copy(ClientTag, ["msp_id", "client_id", "tag_id"],
          ((msp.pk, cid, tags[i % len(tags)].pk) for i, cid in enumerate(client_ids) if i % 3 != 2))

    # Sites: the first site of each client is its HQ.
    site_owner = _spread(sites, client_ids)
    site_ids = _next_ids(Site, len(site_owner))
    sites_of: dict[int, list[int]] = {}
    site_rows = []
    for sid, cid in zip(site_ids, site_owner, strict=True):
        mine = sites_of.setdefault(cid, [])
        name = "Head office" if not mine else f"{_SITE_NAMES[(len(mine) - 1) % len(_SITE_NAMES)]} {len(mine)}"
        site_rows.append((sid, msp.pk, cid, name, not mine, "GB"))
        mine.append(sid)
    _copy(Site, ["id", "msp_id", "client_id", "name", "is_hq", "country"], site_rows)

    # Contacts: the first of each client is primary; flags spread; 2% soft-deleted.
    contact_owner = _spread(contacts, client_ids)
    contact_ids = _next_ids(Contact, len(contact_owner))
    contacts_of: dict[int, list[int]] = {}
    contact_rows = []
    for n, (pk, cid) in enumerate(zip(contact_ids, contact_owner, strict=True)):
        mine = contacts_of.setdefault(cid, [])
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}.{n}@{domains[cid]}".lower().replace("'", "")
        deleted = n % 50 == 49 and bool(mine)
        contact_rows.append((pk, msp.pk, cid, first, last, email, not mine, n % 7 == 0, n % 3 == 0, n % 5 == 0,
                             n % 29 == 0, n % 17 != 16, now - datetime.timedelta(days=1) if deleted else None))
        if not deleted:
            mine.append(pk)
    _copy(Contact, ["id", "msp_id", "client_id", "first_name", "last_name", "email", "is_primary", "is_billing",
                    "is_portal_user", "is_technical", "is_vip", "is_active", "deleted_at"], contact_rows)

    # Assets on a site and, for most, a contact of the same client.
    kinds = [k.value for k in Asset.Kind]
    asset_owner = _spread(assets, client_ids)
    asset_ids = _next_ids(Asset, len(asset_owner))
    asset_rows = []
    for n, (pk, cid) in enumerate(zip(asset_ids, asset_owner, strict=True)):
        site_id = rng.choice(sites_of[cid]) if cid in sites_of else None
        contact_id = rng.choice(contacts_of[cid]) if contacts_of.get(cid) and n % 4 else None
        asset_rows.append((pk, msp.pk, cid, site_id, contact_id, f"{label.upper()[:3]}-{n:07d}", kinds[n % len(kinds)],
                           "Windows 11" if n % 3 else "macOS 15", f"SN{slug[:4].upper()}{n:09d}", n % 11 != 10,
                           now - datetime.timedelta(hours=rng.randrange(0, 24 * 30))))
    _copy(Asset, ["id", "msp_id", "client_id", "site_id", "contact_id", "name", "kind", "os", "serial_number",
                  "is_active", "last_seen_at"], asset_rows)

    # Tickets with per-MSP numbers 1..N, then the sequence advanced past them.
    statuses = [s.value for s in Ticket.Status]
    priorities = [p.value for p in Ticket.Priority]
    ticket_owner = _spread(tickets, client_ids)
    _copy(Ticket, ["msp_id", "number", "client_id", "contact_id", "subject", "status", "priority", "source",
                   "created_at"],
          ((msp.pk, n + 1, cid, rng.choice(contacts_of[cid]) if contacts_of.get(cid) else None,
            f"{rng.choice(_SUBJECTS)} ({client_names[cid][:40]})", statuses[n % len(statuses)],
            priorities[n % len(priorities)], Ticket.Source.PORTAL if n % 4 == 0 else Ticket.Source.TECHNICIAN,
            now - datetime.timedelta(minutes=n))
           for n, cid in enumerate(ticket_owner)))
    TicketSequence.objects.create(msp=msp, last_number=len(ticket_owner))

    # Invoices: a third still have an outstanding balance.
    invoice_owner = _spread(invoices, client_ids)
    _copy(Invoice, ["msp_id", "client_id", "number", "status", "issued_on", "total", "outstanding_balance"],
          ((msp.pk, cid, f"INV-{n + 1:07d}", Invoice.Status.SENT if n % 3 == 0 else Invoice.Status.PAID,
            (now - datetime.timedelta(days=n % 720)).date(), Decimal(100 + n % 900),
            Decimal(100 + n % 900) if n % 3 == 0 else Decimal(0))
           for n, cid in enumerate(invoice_owner)))
    return msp


def seed_scale(*, clients: int, contacts: int = 0, sites: int = 0, assets: int = 0, tickets: int = 0,
               invoices: int = 0, noise: bool | float = True, seed: int = 42) -> Msp:
    """Build one MSP with `clients` clients and the given TOTAL numbers of contacts,
    sites, assets, tickets and invoices (spread round-robin over its clients), plus a
    noise MSP of the same shape scaled by `noise`. Returns the measured MSP. Staff
    users of every role exist for both MSPs (see `admin_for`). Runs in one
    transaction and ANALYZEs the tables so the planner sees realistic statistics."""
    rng = random.Random(seed)
    started = time.perf_counter()
    counts = {"clients": clients, "contacts": contacts, "sites": sites, "assets": assets, "tickets": tickets,
              "invoices": invoices}
    with unscoped("bench: scale seed"), transaction.atomic():
        run = Msp.objects.filter(slug__startswith="scale-").count() + 1
        msp = _build_msp(label="Scale", slug=f"scale-{run}", rng=rng, **counts)
        fraction = _as_fraction(noise)
        if fraction > 0:
            _build_msp(label="Noise", slug=f"noise-{run}", rng=rng,
                       **{k: max(1 if k == "clients" else 0, int(v * fraction)) for k, v in counts.items()})
    with connection.cursor() as cursor:
        for model in (Client, ClientDomain, ClientTag, Site, Contact, Asset, Ticket, Invoice):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    msp.seed_seconds = time.perf_counter() - started
    return msp


def admin_for(msp: Msp, role: str = Role.ADMIN) -> User:
    """The seeded staff user of `msp` with `role` (password BENCH_PASSWORD)."""
    return User.objects.get(msp=msp, role=role)


def scoped_client_ids(msp: Msp, *, limit: int = 100) -> list[int]:
    """A few client ids of `msp`, for benchmarks that open detail pages."""
    with msp_scope(msp):
        return list(Client.objects.filter(msp=msp).order_by("pk").values_list("pk", flat=True)[:limit])
