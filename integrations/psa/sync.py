"""The PSA sync engine: one connection, pulled then pushed.

  companies  list_companies(since=cursor - margin) → CompanyLink rows (staged for the
             match review, or matched/imported/merged once syncing)
  contacts   list_contacts(since=…) of linked companies → Contact rows (by email within
             the client, else created), three-way merged when linked
  push       OpsMerge-side changes (client/contact updated_at after the link's
             synced_at) → update_* calls; new contacts of linked clients → create
  tickets    tickets raised in OpsMerge for linked clients → create_ticket; the PSA's
             status of every open linked ticket → back to OpsMerge

Writes are set-based per batch (opsmerge/bulk_sql.py) in one transaction each, so a
killed worker loses at most the batch in flight; a re-run converges because rows are
keyed by (connection, external_id). A record we create in the PSA has its link row
(state "pushing", an idempotency marker) committed BEFORE the remote call: a re-run
finds the create by its marker (or email) instead of repeating it. Cursors advance
only when a listing finished. Loop prevention: values are compared with the last
agreed base, so our own write coming back from the PSA (or the PSA's change we just
applied) is no change at all.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from clients.duplicates import normalize_client_name
from clients.models import Client, ClientDomain
from contacts.models import Contact
from opsmerge.audit import AuditEvent
from opsmerge.bulk_sql import insert_rows, update_rows
from opsmerge.locks import RedisLock, lock_key, worker_label
from opsmerge.request_context import current_request_id
from tickets.models import Ticket

from .connectors import PsaError, connector_class
from .mapping import (
    CLIENT_COLUMNS,
    CONTACT_COLUMNS,
    client_columns,
    client_neutral,
    company_domain,
    company_norm,
    contact_columns,
    contact_neutral,
    contact_norm,
)
from .merge import three_way
from .models import (
    COMPANY_SYNC_FIELDS,
    CONTACT_SYNC_FIELDS,
    CompanyLink,
    Conflict,
    ContactLink,
    PsaConnection,
    PsaSyncRun,
    TicketLink,
    new_marker,
)
from .selectors import not_linked

log = logging.getLogger("opsmerge.psa")
BATCH = 1000
ANALYZE_AFTER = 1000  # rows bulk-inserted in a phase before the planner needs fresh statistics
PLURAL = {"company": "companies", "contact": "contacts"}
CURSOR_MARGIN = timedelta(minutes=2)
LOCK_TTL = 300
CLIENT_FIELDS = ["id", "name", "status", "updated_at", *CLIENT_COLUMNS.values()]
CONTACT_FIELDS = ["id", "client_id", "m365_object_id", "updated_at", "deleted_at", *CONTACT_COLUMNS.values()]
OPEN_TICKET = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING]
OPEN_CLIENT = [Client.Status.LEAD, Client.Status.ACTIVE]  # an inner join, not an anti-join


def connector_for(connection: PsaConnection):
    cls = connector_class(connection.kind)
    return cls(base_url=connection.base_url, credentials=credentials_of(connection),
               page_size=connection.page_size or None)


def credentials_of(connection: PsaConnection) -> dict[str, str]:
    import json

    secret = json.loads(connection.secrets or "{}")
    return {**(connection.credentials or {}), **secret}


COMPANY_TABLES = (CompanyLink, Client, ClientDomain)
CONTACT_TABLES = (ContactLink, Contact)


class Matcher:
    """First-connect matching: exact id (the client's PSA ID or external id for this
    product), then domain, then the duplicate detector's normalised name."""

    def __init__(self, *, msp, kind: str):
        taken = set(CompanyLink.objects.filter(msp=msp, client__isnull=False).values_list("client_id", flat=True))
        self.by_id: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        for pk, psa_id, external, name in Client.objects.filter(msp=msp).not_archived().values_list(
                "pk", "psa_id", "external_ids", "name"):
            if pk in taken:
                continue
            for value in (psa_id, (external or {}).get(kind)):
                if value:
                    self.by_id.setdefault(str(value), pk)
            self.by_name.setdefault(normalize_client_name(name), pk)
        self.by_domain = {d: c for d, c in ClientDomain.objects.filter(msp=msp).values_list("domain", "client_id")
                          if c not in taken}
        self.taken = taken

    def match(self, company) -> tuple[int, str] | None:
        if company.external_id in self.by_id:
            return self.by_id[company.external_id], "id"
        domain = company_domain(company)
        if domain and domain in self.by_domain:
            return self.by_domain[domain], "domain"
        key = normalize_client_name(company.name)
        if key and key in self.by_name:
            return self.by_name[key], "name"
        return None

    def claim(self, client_id: int) -> None:
        self.taken.add(client_id)
        for table in (self.by_id, self.by_name, self.by_domain):
            for key in [k for k, v in table.items() if v == client_id]:
                del table[key]


class ConnectionSync:
    def __init__(self, *, msp, connection: PsaConnection, run: PsaSyncRun, connector=None):
        self.msp, self.conn, self.run = msp, connection, run
        self.connector = connector or connector_for(connection)
        self.now = timezone.now()
        self.counts: dict[str, Counter] = {"companies": Counter(), "contacts": Counter(), "tickets": Counter()}
        self.notes: list[str] = []
        self.lock: RedisLock | None = None
        self.actor_label = f"{connection.label} sync"
        self._pushes: list = []
        self._analyzed: dict[str, int] = {}

    # -- progress -------------------------------------------------------------------------
    def _progress(self, phase: str | None = None) -> None:
        fields = {"requests": self.connector.requests, "counts": self.counts_json()}
        if phase:
            fields["phase"] = phase
        PsaSyncRun.objects.filter(msp=self.msp, pk=self.run.pk).update(**fields)
        if self.lock is not None:
            self.lock.refresh()

    def counts_json(self) -> dict:
        return {k: dict(v) for k, v in self.counts.items() if v}

    def note(self, text: str) -> None:
        if len(self.notes) < 50:
            self.notes.append(text[:300])

    def owner(self, entity: str):
        return lambda field: self.conn.owner(entity, field)

    # -- the run ---------------------------------------------------------------------------
    def execute(self) -> None:
        syncing = self.conn.stage == PsaConnection.Stage.SYNCING
        self._progress("companies")
        if syncing:  # creates a dead worker left half-done: found (or made) before listing
            self.push_pending_companies()
        self.pull_companies()
        if not syncing:
            return
        self._progress("contacts")
        self.push_pending_contacts()
        self.pull_contacts()
        self._progress("push")
        self.push_company_changes()
        self.push_contacts()
        if self.conn.sync_tickets:
            self._progress("tickets")
            self.push_tickets()
            self.pull_ticket_statuses()

    def _since(self, cursor):
        return None if self.run.full or cursor is None else cursor - CURSOR_MARGIN

    def _analyze_while_loading(self, kind: str, *models, done: bool = False) -> None:
        """A first sync bulk-loads tens of thousands of rows in minutes, before
        autovacuum's ANALYZE sees them: the planner would keep thinking the tables are
        empty (nested loops over sequential scans, each batch slower than the last).
        Refresh their statistics whenever the rows loaded this run doubled (and at the
        end of the phase): a handful of ANALYZEs, each a sample."""
        loaded = sum(self.counts[kind][k] for k in ("imported", "linked", "suggested", "unmatched", "matched"))
        last = self._analyzed.get(kind, 0)
        if loaded < ANALYZE_AFTER or (loaded < 2 * last and not done) or loaded == last:
            return
        self._analyzed[kind] = loaded
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))

    def _save_cursor(self, name: str, value) -> None:
        PsaConnection.objects.filter(msp=self.msp, pk=self.conn.pk).update(**{name: value})
        setattr(self.conn, name, value)

    # -- companies -------------------------------------------------------------------------
    def pull_companies(self) -> None:
        started = timezone.now()
        # A client deleted permanently (seed 003) leaves its link without a client: the
        # PSA company stays out of OpsMerge (never re-imported), shown as ignored.
        CompanyLink.objects.filter(msp=self.msp, connection=self.conn, state=CompanyLink.State.LINKED,
                                   client__isnull=True).update(state=CompanyLink.State.IGNORED,
                                                               match_reason="deleted")
        self.matcher = Matcher(msp=self.msp, kind=self.conn.kind)
        batch = []
        for company in self.connector.list_companies(since=self._since(self.conn.companies_cursor)):
            batch.append(company)
            if len(batch) >= BATCH:
                self.apply_companies(batch)
                self._analyze_while_loading("companies", *COMPANY_TABLES)
                batch = []
        if batch:
            self.apply_companies(batch)
        self._save_cursor("companies_cursor", started)
        self._analyze_while_loading("companies", *COMPANY_TABLES, done=True)

    def apply_companies(self, batch) -> None:
        unique = {c.external_id: c for c in batch}
        with transaction.atomic():
            links = {row["external_id"]: row for row in CompanyLink.objects.filter(
                msp=self.msp, connection=self.conn, external_id__in=list(unique)).values(
                "id", "external_id", "client_id", "state", "base", "remote")}
            new_rows, imports, updates = [], [], []
            for ext, company in unique.items():
                theirs = company_norm(company.fields())
                common = {"name": company.name[:255], "domain": company_domain(company)[:253],
                          "active": company.active, "remote": theirs, "remote_updated_at": company.updated_at}
                link = links.get(ext)
                if link is not None:
                    updates.append((link["id"], common))
                    self.counts["companies"]["seen"] += 1
                    continue
                row = {"msp_id": self.msp.pk, "connection_id": self.conn.pk, "external_id": ext, **common,
                       "marker": new_marker()}
                match = self.matcher.match(company)
                syncing = self.conn.stage == PsaConnection.Stage.SYNCING
                if match and match[1] == "id":
                    self.matcher.claim(match[0])
                    row.update(client_id=match[0], state=CompanyLink.State.LINKED, match_reason="id")
                    self.counts["companies"]["linked"] += 1
                elif match:
                    row.update(suggested_client_id=match[0], state=CompanyLink.State.SUGGESTED,
                               match_reason=match[1])
                    self.counts["companies"]["suggested"] += 1
                elif syncing and self.conn.import_new and company.active:
                    row.update(state=CompanyLink.State.LINKED, match_reason="import", base=theirs)
                    imports.append((row, company, theirs))
                    continue
                else:
                    row.update(state=CompanyLink.State.UNMATCHED)
                    self.counts["companies"]["unmatched"] += 1
                new_rows.append(row)
            if imports:
                self._import_clients(imports)
                new_rows += [row for row, _, _ in imports]
            insert_rows(CompanyLink, new_rows)
            if updates:
                update_rows(CompanyLink, updates, ["name", "domain", "active", "remote", "remote_updated_at"],
                            msp_id=self.msp.pk)
            if self.conn.stage == PsaConnection.Stage.SYNCING:
                linked = [lid for lid, _ in updates]
                self.reconcile_companies(CompanyLink.objects.filter(
                    msp=self.msp, pk__in=linked, state=CompanyLink.State.LINKED))
        self._progress()
        self.run_pushes()

    def _import_clients(self, imports) -> None:
        """New PSA companies become clients (set-based): Client, primary ClientDomain."""
        taken = set(ClientDomain.objects.filter(
            msp=self.msp, domain__in=[company_domain(c) for _, c, _ in imports if company_domain(c)]
        ).values_list("domain", flat=True))
        rows = []
        for _, company, theirs in imports:
            columns = client_columns(theirs)
            columns["name"] = columns.get("name") or f"{self.conn.label} {company.external_id}"
            rows.append({"msp_id": self.msp.pk, "status": Client.Status.ACTIVE, "psa_id": company.external_id,
                         "external_ids": {self.conn.kind: company.external_id}, **columns})
        ids = insert_rows(Client, rows)
        stamp = timezone.now()  # after the clients' updated_at: not an OpsMerge-side change
        domains = []
        for (row, company, _), client_id in zip(imports, ids, strict=True):
            row.update(client_id=client_id, synced_at=stamp)
            domain = company_domain(company)
            if domain and domain not in taken and "." in domain:
                taken.add(domain)
                domains.append({"msp_id": self.msp.pk, "client_id": client_id, "domain": domain, "is_primary": True})
        insert_rows(ClientDomain, domains)
        self._audit([(client_id, row["name"], "client.psa_import", {"psa_id": [None, row["external_id"]]})
                     for (row, _, _), client_id in zip(imports, ids, strict=True)])
        self.counts["companies"]["imported"] += len(ids)

    def _audit(self, entries) -> None:
        """entries: (client_id, client_name, action, changes). One INSERT for a batch."""
        request_id = current_request_id()
        AuditEvent.objects.bulk_create([
            AuditEvent(msp=self.msp, actor_label=self.actor_label, action=action, object_type="client",
                       object_id=str(cid), object_repr=name[:255], client_id=cid, client_name=name[:200],
                       changes=changes, request_id=request_id)
            for cid, name, action, changes in entries
        ], batch_size=1000)

    def _open_conflicts(self, entity: str, ids) -> dict[int, set[str]]:
        out: dict[int, set[str]] = defaultdict(set)
        column = "company_id" if entity == "company" else "contact_id"
        for link_id, field in Conflict.objects.filter(msp=self.msp, entity=entity, state=Conflict.State.OPEN,
                                                      **{f"{column}__in": list(ids)}).values_list(column, "field"):
            out[link_id].add(field)
        return out

    def reconcile_companies(self, links_qs) -> None:
        """Three-way merge of linked companies whose client is open; OpsMerge-side writes
        now (set-based), PSA-side updates after the transaction's rows are written."""
        links = list(links_qs.filter(client__status__in=OPEN_CLIENT)
                     .values("id", "external_id", "client_id", "base", "remote"))
        if not links:
            return
        clients = {r["id"]: r for r in Client.objects.filter(msp=self.msp, pk__in=[lk["client_id"] for lk in links])
                   .values(*CLIENT_FIELDS)}
        open_conflicts = self._open_conflicts("company", [lk["id"] for lk in links])
        client_rows, base_rows, conflicts, settled, audits = [], [], [], [], []
        for link in links:
            client = clients[link["client_id"]]
            out = three_way(fields=COMPANY_SYNC_FIELDS, ours=client_neutral(client), theirs=link["remote"] or {},
                            base=link["base"] or {}, owner=self.owner("company"),
                            open_conflicts=open_conflicts.get(link["id"], set()))
            if out.to_ours:
                columns = client_columns({**client_neutral(client), **out.to_ours})
                changes = {col: [client[col], val] for col, val in columns.items() if client[col] != val}
                if changes:
                    client_rows.append((client["id"], {col: columns[col] for col in CLIENT_COLUMNS.values()}))
                    audits.append((client["id"], client["name"], "client.psa_update", changes))
                    self.counts["companies"]["updated_here"] += 1
            for field, ours, theirs, base in out.conflicts:
                conflicts.append({"msp_id": self.msp.pk, "connection_id": self.conn.pk, "entity": "company",
                                  "company_id": link["id"], "field": field, "ours": ours, "theirs": theirs,
                                  "base_value": base})
            settled += [(link["id"], f) for f in out.settled]
            base_rows.append((link["id"], {"base": out.base}))
            if out.to_theirs:
                self._pushes.append(("company", link, out))
        if client_rows:
            update_rows(Client, client_rows, list(CLIENT_COLUMNS.values()), msp_id=self.msp.pk)
            self._audit(audits)
        stamp = timezone.now()  # after the rows' updated_at: our own write is not an OpsMerge-side change
        update_rows(CompanyLink, [(pk, {**v, "synced_at": stamp}) for pk, v in base_rows], ["base", "synced_at"],
                    msp_id=self.msp.pk)
        insert_rows(Conflict, conflicts)
        self.counts["companies"]["conflicts"] += len(conflicts)
        self._settle("company", settled)

    def _settle(self, entity: str, settled) -> None:
        column = "company_id" if entity == "company" else "contact_id"
        for link_id, field in settled:
            Conflict.objects.filter(msp=self.msp, entity=entity, state=Conflict.State.OPEN, field=field,
                                    **{column: link_id}).update(state=Conflict.State.RESOLVED, resolution="equal",
                                                                resolved_at=timezone.now())

    def run_pushes(self) -> None:
        """Send the PSA-side updates the reconcile decided, one request per record;
        a record's base takes the pushed values only once the PSA accepted them."""
        pushes, self._pushes = self._pushes, []
        for entity, link, out in pushes:
            model = CompanyLink if entity == "company" else ContactLink
            try:
                if entity == "company":
                    record = self.connector.update_company(link["external_id"], out.to_theirs)
                    remote = company_norm(record.fields())
                else:
                    record = self.connector.update_contact(link["external_id"], out.to_theirs)
                    remote = contact_norm(record.fields())
            except PsaError as exc:
                if exc.kind not in ("validation", "not_found"):
                    raise
                self.counts[PLURAL[entity]]["push_failed"] += 1
                self.note(f"{entity} {link['external_id']}: {self.conn.label} refused: {exc.describe()}")
                continue
            base = {**out.base, **out.pushed_base}
            model.objects.filter(msp=self.msp, pk=link["id"]).update(
                base=base, remote=remote, remote_updated_at=record.updated_at, synced_at=timezone.now())
            self.counts[PLURAL[entity]]["updated_there"] += 1

    def push_company_changes(self) -> None:
        """Clients edited in OpsMerge since their link last synced."""
        changed = CompanyLink.objects.filter(
            msp=self.msp, connection=self.conn, state=CompanyLink.State.LINKED, client__isnull=False,
        ).filter(Q(synced_at__isnull=True) | Q(client__updated_at__gt=F("synced_at")))
        with transaction.atomic():
            self.reconcile_companies(changed)
        self.run_pushes()

    def push_pending_companies(self) -> None:
        """Clients the technician chose to push (state pushing, marker set and committed):
        found again by marker when a previous attempt's create reached the PSA."""
        pending = list(CompanyLink.objects.filter(msp=self.msp, connection=self.conn,
                                                  state=CompanyLink.State.PUSHING).select_related("client"))
        for link in pending:
            if link.client is None or link.client.is_archived:
                continue
            push_company(msp=self.msp, link=link, connector=self.connector)
            self.counts["companies"]["created_there"] += 1

    # -- contacts -------------------------------------------------------------------------------
    def _linked_companies(self) -> dict[str, dict]:
        return {r["external_id"]: r for r in CompanyLink.objects.filter(
            msp=self.msp, connection=self.conn, state=CompanyLink.State.LINKED, client__status__in=OPEN_CLIENT,
        ).values("id", "external_id", "client_id")}

    def pull_contacts(self) -> None:
        started = timezone.now()
        self.companies_by_ext = self._linked_companies()
        batch = []
        for contact in self.connector.list_contacts(since=self._since(self.conn.contacts_cursor)):
            if contact.company_external_id not in self.companies_by_ext:
                self.counts["contacts"]["skipped"] += 1
                continue
            batch.append(contact)
            if len(batch) >= BATCH:
                self.apply_contacts(batch)
                self._analyze_while_loading("contacts", *CONTACT_TABLES)
                batch = []
        if batch:
            self.apply_contacts(batch)
        self._save_cursor("contacts_cursor", started)
        self._analyze_while_loading("contacts", *CONTACT_TABLES, done=True)

    def apply_contacts(self, batch) -> None:
        unique = {c.external_id: c for c in batch}
        with transaction.atomic():
            links = {r["external_id"]: r for r in ContactLink.objects.filter(
                msp=self.msp, connection=self.conn, external_id__in=list(unique)).values("id", "external_id")}
            fresh = [c for ext, c in unique.items() if ext not in links]
            client_ids = {self.companies_by_ext[c.company_external_id]["client_id"] for c in fresh}
            company_ids = {self.companies_by_ext[c.company_external_id]["id"] for c in fresh}
            linked_contacts = set(ContactLink.objects.filter(
                msp=self.msp, company_id__in=company_ids, contact__isnull=False).values_list("contact_id", flat=True))
            by_email: dict[tuple[int, str], int] = {}
            for pk, client_id, email in Contact.objects.filter(
                    msp=self.msp, client_id__in=client_ids, deleted_at__isnull=True).exclude(email="").values_list(
                    "pk", "client_id", Lower("email")):
                by_email[(client_id, email)] = -pk if pk in linked_contacts else pk
            new_links, new_contacts, updates = [], [], []
            for ext, contact in unique.items():
                theirs = contact_norm(contact.fields())
                if ext in links:
                    updates.append((links[ext]["id"], {"remote": theirs, "remote_updated_at": contact.updated_at}))
                    continue
                company = self.companies_by_ext[contact.company_external_id]
                link = {"msp_id": self.msp.pk, "connection_id": self.conn.pk, "company_id": company["id"],
                        "external_id": ext, "remote": theirs, "remote_updated_at": contact.updated_at,
                        "state": ContactLink.State.LINKED}
                key = (company["client_id"], theirs["email"])
                existing = by_email.get(key) if theirs["email"] else None
                if existing is not None and existing > 0:
                    by_email[key] = -existing
                    link.update(contact_id=existing, base={})  # matched by email: first sync compares all fields
                    self.counts["contacts"]["matched"] += 1
                else:
                    columns = contact_columns(theirs)
                    if existing is not None:  # the address is another linked contact's: keep it unique
                        columns["email"] = ""
                    elif theirs["email"]:
                        by_email[key] = 0
                    new_contacts.append({"msp_id": self.msp.pk, "client_id": company["client_id"],
                                         "kind": Contact.Kind.PERSON, "source": Contact.Source.IMPORT,
                                         "is_active": contact.active, "external_ids": {self.conn.kind: ext},
                                         **columns})
                    link.update(base=contact_norm({**theirs, "email": columns["email"]}) if existing is not None
                                else theirs)
                new_links.append(link)
            created = insert_rows(Contact, new_contacts)
            it, stamp = iter(created), timezone.now()
            for link in new_links:
                if "contact_id" not in link:
                    link.update(contact_id=next(it), synced_at=stamp)
            self.counts["contacts"]["imported"] += len(created)
            insert_rows(ContactLink, new_links)
            if updates:
                update_rows(ContactLink, updates, ["remote", "remote_updated_at"], msp_id=self.msp.pk)
            matched = [lk["contact_id"] for lk in new_links if lk.get("base") == {}]
            ids = [lid for lid, _ in updates] + list(ContactLink.objects.filter(
                msp=self.msp, connection=self.conn, contact_id__in=matched).values_list("id", flat=True))
            self.reconcile_contacts(ContactLink.objects.filter(msp=self.msp, pk__in=ids))
        self._progress()
        self.run_pushes()

    def reconcile_contacts(self, links_qs) -> None:
        links = list(links_qs.filter(contact__deleted_at__isnull=True, state="linked",
                                     company__client__status__in=OPEN_CLIENT)
                     .values("id", "external_id", "contact_id", "base", "remote"))
        if not links:
            return
        contacts = {r["id"]: r for r in Contact.objects.filter(msp=self.msp, pk__in=[lk["contact_id"] for lk in links])
                    .values(*CONTACT_FIELDS)}
        open_conflicts = self._open_conflicts("contact", [lk["id"] for lk in links])
        rows, base_rows, conflicts, settled = [], [], [], []
        for link in links:
            contact = contacts[link["contact_id"]]
            m365 = bool(contact["m365_object_id"])

            def owner(field, m365=m365):  # Microsoft 365 owns the fields of a contact it syncs
                return "opsmerge" if m365 else self.conn.owner("contact", field)

            out = three_way(fields=CONTACT_SYNC_FIELDS, ours=contact_neutral(contact), theirs=link["remote"] or {},
                            base=link["base"] or {}, owner=owner,
                            open_conflicts=open_conflicts.get(link["id"], set()))
            if out.to_ours:
                columns = contact_columns({**contact_neutral(contact), **out.to_ours})
                rows.append((contact["id"], {col: columns[col] for col in CONTACT_COLUMNS.values()}))
                self.counts["contacts"]["updated_here"] += 1
            for field, ours, theirs, base in out.conflicts:
                conflicts.append({"msp_id": self.msp.pk, "connection_id": self.conn.pk, "entity": "contact",
                                  "contact_id": link["id"], "field": field, "ours": ours, "theirs": theirs,
                                  "base_value": base})
            settled += [(link["id"], f) for f in out.settled]
            base_rows.append((link["id"], {"base": out.base}))
            if out.to_theirs:
                self._pushes.append(("contact", link, out))
        if rows:
            update_rows(Contact, rows, list(CONTACT_COLUMNS.values()), msp_id=self.msp.pk)
        stamp = timezone.now()
        update_rows(ContactLink, [(pk, {**v, "synced_at": stamp}) for pk, v in base_rows], ["base", "synced_at"],
                    msp_id=self.msp.pk)
        insert_rows(Conflict, conflicts)
        self.counts["contacts"]["conflicts"] += len(conflicts)
        self._settle("contact", settled)

    def push_contacts(self) -> None:
        """Contacts edited in OpsMerge since they last synced, then live contacts of linked
        clients the PSA does not have yet (link row first, then the create)."""
        changed = ContactLink.objects.filter(msp=self.msp, connection=self.conn, state=ContactLink.State.LINKED,
                                             contact__isnull=False).filter(
            Q(synced_at__isnull=True) | Q(contact__updated_at__gt=F("synced_at")))
        with transaction.atomic():
            self.reconcile_contacts(changed)
        self.run_pushes()
        if not self.conn.push_new_contacts:
            return
        companies = {r["client_id"]: r for r in self._linked_companies().values()}
        with transaction.atomic():
            missing = list(not_linked(Contact.objects.filter(
                msp=self.msp, client_id__in=list(companies), deleted_at__isnull=True, kind=Contact.Kind.PERSON,
            ), connection=self.conn, link_model=ContactLink, field="contact").values("id", "client_id"))
            insert_rows(ContactLink, [{"msp_id": self.msp.pk, "connection_id": self.conn.pk,
                                       "company_id": companies[c["client_id"]]["id"], "contact_id": c["id"],
                                       "state": ContactLink.State.PUSHING} for c in missing])
        self.push_pending_contacts()

    def push_pending_contacts(self) -> None:
        pending = ContactLink.objects.filter(msp=self.msp, connection=self.conn, state=ContactLink.State.PUSHING,
                                             contact__isnull=False).select_related("contact", "company")
        for link in pending:
            try:
                push_contact(msp=self.msp, link=link, connector=self.connector)
                self.counts["contacts"]["created_there"] += 1
            except PsaError as exc:
                if exc.kind != "validation":
                    raise
                self.counts["contacts"]["push_failed"] += 1
                self.note(f"contact {link.contact}: {self.conn.label} refused: {exc.describe()}")

    # -- tickets -------------------------------------------------------------------------------------
    def push_tickets(self) -> None:
        companies = {r["client_id"]: r for r in self._linked_companies().values()}
        with transaction.atomic():
            missing = list(not_linked(Ticket.objects.filter(
                msp=self.msp, client_id__in=list(companies), created_at__gte=self.conn.created_at,
                status__in=OPEN_TICKET), connection=self.conn, link_model=TicketLink, field="ticket",
            ).values_list("id", flat=True))
            insert_rows(TicketLink, [{"msp_id": self.msp.pk, "connection_id": self.conn.pk, "ticket_id": pk,
                                      "marker": new_marker()} for pk in missing])
        for link in TicketLink.objects.filter(msp=self.msp, connection=self.conn, external_id="").select_related(
                "ticket"):
            company = companies.get(link.ticket.client_id)
            if company is None:
                continue
            try:
                push_ticket(msp=self.msp, link=link, connector=self.connector, company_external_id=company["external_id"])
                self.counts["tickets"]["created_there"] += 1
            except PsaError as exc:
                if exc.kind != "validation":
                    raise
                TicketLink.objects.filter(msp=self.msp, pk=link.pk).update(error=exc.describe()[:255])
                self.note(f"ticket #{link.ticket.number}: {self.conn.label} refused: {exc.describe()}")

    def pull_ticket_statuses(self) -> None:
        links = {r["external_id"]: r for r in TicketLink.objects.filter(
            msp=self.msp, connection=self.conn, ticket__status__in=OPEN_TICKET).exclude(external_id="").values(
            "id", "external_id", "ticket_id", "remote_status", "ticket__status", "ticket__number",
            "ticket__client_id", "ticket__client__name")}
        if not links:
            return
        changed, audits = [], []
        for ticket in self.connector.list_tickets(external_ids=list(links)):
            link = links.get(ticket.external_id)
            if link is None or ticket.status == link["remote_status"]:
                continue
            TicketLink.objects.filter(msp=self.msp, pk=link["id"]).update(remote_status=ticket.status,
                                                                          synced_at=timezone.now())
            if ticket.status != link["ticket__status"]:
                values = {"status": ticket.status}
                if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
                    values["resolved_at"] = timezone.now()
                Ticket.objects.filter(msp=self.msp, pk=link["ticket_id"]).update(**values)
                changed.append(link["ticket_id"])
                audits.append(AuditEvent(
                    msp=self.msp, actor_label=self.actor_label, action="ticket.psa_status", object_type="ticket",
                    object_id=str(link["ticket_id"]), object_repr=f"#{link['ticket__number']}",
                    client_id=link["ticket__client_id"], client_name=(link["ticket__client__name"] or "")[:200],
                    changes={"status": [link["ticket__status"], ticket.status]}))
        AuditEvent.objects.bulk_create(audits)
        self.counts["tickets"]["status_updated"] += len(changed)


# -- single-record pushes (also used by the review page and the ticket hook) ----------------------

def push_company(*, msp, link: CompanyLink, connector):
    """Create the link's client in the PSA, idempotently: the link (state pushing, its
    marker) is already committed; a create that reached the PSA before is found by marker."""
    client = link.client
    found = connector.find_company_by_marker(link.marker)
    fields = client_neutral({col: getattr(client, col) for col in CLIENT_COLUMNS.values()})
    sendable = {k: v for k, v in fields.items() if v}
    if found is None:
        found = connector.create_company({**sendable, "marker": link.marker})
    remote = company_norm(found.fields())
    with transaction.atomic():
        CompanyLink.objects.filter(msp=msp, pk=link.pk).update(
            external_id=found.external_id, state=CompanyLink.State.LINKED, remote=remote, base=remote,
            name=found.name[:255], domain=company_domain(found)[:253], remote_updated_at=found.updated_at,
            synced_at=timezone.now())
        Client.objects.filter(msp=msp, pk=client.pk).update(psa_id=found.external_id)
    return found


def push_contact(*, msp, link: ContactLink, connector):
    contact = link.contact
    fields = contact_neutral({col: getattr(contact, col) for col in CONTACT_COLUMNS.values()})
    found = None
    if link.external_id == "" and fields["email"]:
        # A previous attempt may have reached the PSA: look for the address in the company.
        found = next((c for c in connector.list_contacts(company_external_id=link.company.external_id)
                      if c.email.lower() == fields["email"]), None)
    if found is None:
        sendable = {k: v for k, v in fields.items() if v}
        sendable.setdefault("first_name", contact.display_name[:30] or "Contact")
        found = connector.create_contact(link.company.external_id, sendable)
    remote = contact_norm(found.fields())
    ContactLink.objects.filter(msp=msp, pk=link.pk).update(
        external_id=found.external_id, state=ContactLink.State.LINKED, remote=remote, base=remote,
        remote_updated_at=found.updated_at, synced_at=timezone.now())
    return found


def push_ticket(*, msp, link: TicketLink, connector, company_external_id: str):
    ticket = link.ticket
    finder = getattr(connector, "find_ticket_by_marker", None)
    found = finder(link.marker) if finder else None
    if found is None:
        contact_ext = ""
        if ticket.contact_id:
            contact_ext = ContactLink.objects.filter(msp=msp, connection_id=link.connection_id,
                                                     contact_id=ticket.contact_id).values_list(
                "external_id", flat=True).first() or ""
        found = connector.create_ticket(company_external_id, {
            "summary": ticket.subject, "description": ticket.description, "priority": ticket.priority,
            "contact_external_id": contact_ext, "status": "new", "marker": link.marker})
    TicketLink.objects.filter(msp=msp, pk=link.pk).update(external_id=found.external_id, remote_status=found.status,
                                                          error="", synced_at=timezone.now())
    return found


# -- the run wrapper ---------------------------------------------------------------------------------

def connection_sync(*, msp, connection: PsaConnection, trigger: str = PsaSyncRun.Trigger.MANUAL, full: bool = False,
                    run: PsaSyncRun | None = None, actor=None, connector=None) -> PsaSyncRun:
    """Run one sync now (in this process). Another sync of the connection holding the
    lock makes this one "skipped". PSA errors end the run as failed with a message for
    a person; authentication failures pause the connection until it is fixed."""
    if run is None:
        run = PsaSyncRun.objects.create(msp=msp, connection=connection, trigger=trigger, full=full,
                                        triggered_by=actor if getattr(actor, "pk", None) else None)
    lock = RedisLock(lock_key("psa", "sync-lock", msp.pk, connection.pk), holder=f"{worker_label()}:{run.pk}",
                     ttl=LOCK_TTL)
    if not lock.acquire():
        PsaSyncRun.objects.filter(msp=msp, pk=run.pk).update(
            status=PsaSyncRun.Status.SKIPPED, finished_at=timezone.now(), error_code="locked",
            error_message="Another sync of this connection is running.")
        run.refresh_from_db()
        return run
    sync = ConnectionSync(msp=msp, connection=connection, run=run, connector=connector)
    sync.lock = lock
    PsaSyncRun.objects.filter(msp=msp, pk=run.pk).update(status=PsaSyncRun.Status.RUNNING, started_at=timezone.now(),
                                                         worker=lock.holder)
    status, code, message = PsaSyncRun.Status.SUCCEEDED, "", ""
    try:
        sync.execute()
    except PsaError as exc:
        status, code, message = PsaSyncRun.Status.FAILED, exc.code or exc.kind, exc.describe()
        run.error = exc
        if exc.kind in ("auth", "permission"):
            PsaConnection.objects.filter(msp=msp, pk=connection.pk).update(
                status=PsaConnection.Status.FAILED, status_message=f"{connection.label} refused: {exc.describe()}"[:255])
    finally:
        lock.release()
        PsaSyncRun.objects.filter(msp=msp, pk=run.pk).update(
            status=status, error_code=code[:60], error_message=message[:500], finished_at=timezone.now(),
            requests=sync.connector.requests, counts=sync.counts_json(), notes=sync.notes, phase="")
        if status == PsaSyncRun.Status.SUCCEEDED:
            PsaConnection.objects.filter(msp=msp, pk=connection.pk).update(
                last_sync_at=timezone.now(), status=PsaConnection.Status.OK, status_message="")
    error = getattr(run, "error", None)
    run.refresh_from_db()
    run.error = error
    return run
