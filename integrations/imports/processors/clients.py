"""Clients import (seed 004): each row is a client with its HQ site and primary
contact. Clients match by exact name (case and spaces ignored); a row whose name
only matches after normalisation ("Acme Ltd" / "ACME Limited") or whose email
domain belongs to another client is reported as a likely match, never silently
duplicated."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from django.db.models import F, Func
from django.utils import timezone

from accounts.models import TechGroup, User
from clients.duplicates import likely_duplicates
from clients.models import Client, ClientDomain, ClientTag, ClientTechGroup
from clients.services import tags_get_or_create
from contacts.models import Contact
from opsmerge.bulk_sql import insert_rows, update_ids, update_rows
from sites.models import Site

from .. import cells
from ..custom import CustomCells
from .base import CREATED, SKIPPED, UNCHANGED, UPDATED, Processor, Row, client_name_keys, lower_in, name_key

LIKELY_PREFIX = "Likely the same client as"
SCALARS = ("time_zone", "phone_country_code", "phone_number", "street", "city", "postal_code", "state", "country",
           "industry", "website", "account_manager")
TEXT = {"name": 200, "contact_first_name": 100, "contact_last_name": 100, "site_name": 120, "street": 255,
        "city": 120, "postal_code": 20, "industry": 100}


class ClientsProcessor(Processor):
    kind = "clients"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        msp = self.msp
        self.users = {e.lower(): pk for pk, e in User.objects.filter(msp=msp, is_active=True)
                      .values_list("id", "email")}
        self.groups = {n.casefold(): pk for pk, n in TechGroup.objects.filter(msp=msp).values_list("id", "name")}
        self.by_name: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self.by_key: dict[str, tuple[int, str]] = {}
        clients = Client.objects.filter(msp=msp).annotate(key=Func(F("name"), function="opsmerge_client_name_key"))
        for pk, name, status, key in clients.values_list("id", "name", "status", "key"):
            self.by_name[name_key(name)].append((pk, name, status))
            self.by_key.setdefault(key, (pk, name))
        self.names = {pk: name for rows in self.by_name.values() for pk, name, _ in rows}
        self.domain_owner = dict(ClientDomain.objects.filter(msp=msp).values_list("domain", "client_id"))
        self.seen: dict[tuple[str, str], int] = {}
        self.touched_clients = False
        self.confirmed = set(self.job.confirmed_rows or ())
        self.custom = CustomCells(msp=msp, kind=self.kind)  # definitions fetched once per job
        self.custom_on = self.custom.active(self.job.mapping.values())

    # --- per row ------------------------------------------------------------------------
    def _once(self, row: Row, key: str, what: str, value: str, label: str) -> None:
        first = self.seen.setdefault((what, value), row.number)
        if first != row.number:
            row.error(key, f"{label} also appears in row {first}; it must be unique in the file.")

    def clean(self, row: Row) -> None:
        for key in ("name", "contact_first_name", "contact_last_name", "site_name"):
            row.take(key, partial(cells.max_length, limit=TEXT[key]), required=True)
        email = row.take("contact_email", cells.email, required=True)
        row.take("time_zone", cells.time_zone, required=True)
        for key in ("street", "city", "postal_code", "industry"):
            row.take(key, partial(cells.max_length, limit=TEXT[key]))
        country = row.take("country", cells.country) or ""
        row.take("state", lambda v: cells.state(v, country))
        code = row.take("phone_country_code", cells.phone_code) or ""
        row.take("phone_number", lambda v: cells.phone_number(code, v))
        row.take("website", cells.website)
        if self.custom_on:
            self.custom.clean(row)
        row.take("tags", cells.split_list)
        domains = row.take("domains", cells.domains) or []
        manager = row.values.get("account_manager", "")
        if manager:
            pk = self.users.get(manager.lower())
            if pk is None:
                row.error("account_manager", "No technician of your MSP has this email address.")
            row.data["account_manager"] = pk
        group_names = cells.split_list(row.values.get("tech_groups", ""))
        if group_names:
            unknown = [n for n in group_names if n.casefold() not in self.groups]
            if unknown:
                row.error("tech_groups", "No tech group called " + ", ".join(f"“{n}”" for n in unknown)
                          + ": create it in Settings first.")
            row.data["tech_groups"] = sorted({self.groups[n.casefold()] for n in group_names
                                              if n.casefold() in self.groups})
        if email and self.actor is not None and email == self.actor.email.lower():
            row.error("contact_email", "Use the client's email, not your own sign-in email.")
        elif email and (problem := self.msp.primary_contact_email_problem(email)):
            row.error("contact_email", problem)
        if row.data.get("name"):
            self._once(row, "name", "name", name_key(row.data["name"]), "This client name")
        if email:
            self._once(row, "contact_email", "email", email, "This primary contact email")
        for domain in domains:
            self._once(row, "domains", "domain", domain, f"The domain {domain}")

    # --- per batch ----------------------------------------------------------------------
    def _match(self, row: Row, keys: dict[str, str]) -> int | None:
        exact = self.by_name.get(name_key(row.data["name"]), [])
        if len(exact) > 1:
            row.error("name", f"{len(exact)} clients are called “{row.data['name']}”: merge or rename them first.")
            return None
        if exact:
            pk = exact[0][0]
            for domain in row.data.get("domains", []):
                owner = self.domain_owner.get(domain)
                if owner is not None and owner != pk:
                    row.error("domains", f"{domain} already belongs to client {self.names[owner]}.")
            return pk
        owned = [(d, self.domain_owner[d]) for d in row.data.get("domains", []) if d in self.domain_owner]
        confirmed = row.number in self.confirmed
        if owned:
            domain, owner = owned[0]
            if confirmed:  # the user wants a second client: the domain still belongs to one
                row.error("domains", f"{domain} already belongs to client {self.names[owner]}: a domain belongs to "
                                     f"one client, remove it from this row.")
            else:
                row.skip("name", f"{LIKELY_PREFIX} “{self.names[owner]}” (it owns {domain}): use that exact name "
                                 f"to update it, or remove the domain.")
            return None
        if confirmed:
            return None
        similar = self.by_key.get(keys.get(row.data["name"], ""))
        if similar:
            row.skip("name", f"{LIKELY_PREFIX} “{similar[1]}”: use that exact name to update it, confirm this row "
                             f"in the dry-run review to import it anyway, or rename it.")
            return None
        found = likely_duplicates(msp=self.msp, name=row.data["name"], domains=row.data.get("domains", []), limit=1)
        if found:
            match = found[0]
            why = "; ".join(match.reasons)
            row.skip("name", f"{LIKELY_PREFIX} “{match.client.name}” ({why.lower()}): confirm this row in the "
                             f"dry-run review to import it anyway, or use that exact name to update it.")
        return None

    def apply(self, rows: list[Row], *, mode: str) -> None:
        keys = client_name_keys([r.data["name"] for r in rows if name_key(r.data["name"]) not in self.by_name])
        creates, updates = [], {}
        for row in rows:
            pk = self._match(row, keys)
            if not row.ok:
                continue
            if pk is None:
                if mode == "update":
                    row.outcome = SKIPPED
                elif self.custom.check_new(row):
                    creates.append(row)
            elif mode == "create":
                row.outcome = SKIPPED
            else:
                updates[row.number] = (row, pk)
        if updates:
            self._update(list(updates.values()))
        if creates:
            self._create(creates)
        self.touched_clients = self.touched_clients or bool(creates) or any(
            r.outcome == UPDATED for r, _ in updates.values())

    # --- creates --------------------------------------------------------------------------
    def _create(self, rows: list[Row]) -> None:
        msp, now = self.msp, timezone.now()
        clients = Client.objects.bulk_create([Client(
            msp=msp, name=r.data["name"], created_at=now, account_manager_id=r.data.get("account_manager"),
            custom_fields=r.data.get("custom_fields", {}),
            **{k: r.data[k] for k in SCALARS if k in r.data and k != "account_manager"}) for r in rows])
        address = ("street", "city", "postal_code", "state", "country")
        self.log.created(Client, [c.pk for c in clients])
        sites = Site.objects.bulk_create([Site(msp=msp, client=c, name=r.data["site_name"], is_hq=True, created_at=now,
                                               **{k: r.data[k] for k in address if k in r.data})
                                          for r, c in zip(rows, clients, strict=True)])
        self.log.created(Site, [s.pk for s in sites])
        contacts = Contact.objects.bulk_create([Contact(
            msp=msp, client=c, first_name=r.data["contact_first_name"], last_name=r.data["contact_last_name"],
            email=r.data["contact_email"], is_primary=True, source=Contact.Source.IMPORT)
            for r, c in zip(rows, clients, strict=True)])
        self.log.created(Contact, [c.pk for c in contacts])
        self._write_domains({c.pk: r.data["domains"] for r, c in zip(rows, clients, strict=True)
                             if r.data.get("domains")})
        self._write_links(ClientTechGroup, "group_id", {c.pk: set(r.data["tech_groups"]) for r, c in
                                                        zip(rows, clients, strict=True) if r.data.get("tech_groups")})
        self._write_tags({c.pk: r.data["tags"] for r, c in zip(rows, clients, strict=True) if r.data.get("tags")})
        for row in rows:
            row.outcome = CREATED

    # --- updates --------------------------------------------------------------------------
    def _update(self, pairs: list[tuple[Row, int]]) -> None:
        msp = self.msp
        ids = [pk for _, pk in pairs]
        extra = ("custom_fields",) if self.custom_on else ()
        current = {c["id"]: c for c in Client.objects.filter(msp=msp, pk__in=ids).values(
            "id", "status", "account_manager_id", *[k for k in SCALARS if k != "account_manager"], *extra)}
        domains: dict[int, list[str]] = defaultdict(list)
        for client_id, domain in ClientDomain.objects.filter(msp=msp, client_id__in=ids).order_by(
                "-is_primary", "domain").values_list("client_id", "domain"):
            domains[client_id].append(domain)
        tags: dict[int, set[str]] = defaultdict(set)
        for client_id, name in ClientTag.objects.filter(msp=msp, client_id__in=ids).values_list(
                "client_id", "tag__name"):
            tags[client_id].add(name.casefold())
        groups: dict[int, set[int]] = defaultdict(set)
        for client_id, group_id in ClientTechGroup.objects.filter(msp=msp, client_id__in=ids).values_list(
                "client_id", "group_id"):
            groups[client_id].add(group_id)
        sites: dict[int, dict[str, tuple[int, bool, str]]] = defaultdict(dict)
        for site_id, client_id, name, is_hq in Site.objects.filter(msp=msp, client_id__in=ids).values_list(
                "id", "client_id", "name", "is_hq"):
            sites[client_id][name.casefold()] = (site_id, is_hq, name)
        people: dict[tuple[int, str], dict] = {}
        primary: dict[int, dict] = {}
        for item in lower_in(Contact.objects.alive().filter(msp=msp, client_id__in=ids), "email",
                             {r.data["contact_email"] for r, _ in pairs}).values(
                "id", "client_id", "_lower", "first_name", "last_name", "is_primary"):
            people[(item["client_id"], item["_lower"])] = item
        for item in Contact.objects.alive().filter(msp=msp, client_id__in=ids, is_primary=True).values(
                "id", "client_id", "email"):
            primary[item["client_id"]] = item

        scalar_writes, fields, logged = [], set(), []
        new_domains, new_tags, new_groups = {}, {}, {}
        site_renames, site_promotions, site_creates = [], [], []
        demote, promote, contact_creates = [], [], []
        for row, pk in pairs:
            cur, data = current[pk], row.data
            changes = {k: data[k] for k in SCALARS if k in data and k != "account_manager" and cur[k] != data[k]}
            if "account_manager" in data and data["account_manager"] != cur["account_manager_id"]:
                changes["account_manager"] = data["account_manager"]
            if self.custom_on and (custom := self.custom.merged(cur["custom_fields"], row)) is not None:
                changes["custom_fields"] = custom
            sets = {
                "domains": "domains" in data and data["domains"] != domains[pk],
                "tags": "tags" in data and {t.casefold() for t in data["tags"]} != tags[pk],
                "groups": "tech_groups" in data and set(data["tech_groups"]) != groups[pk],
            }
            related = any(sets.values())
            plan = self._plan_related(row, pk, sites[pk], people.get((pk, data["contact_email"])), primary.get(pk))
            if plan is None:
                continue
            related = related or any(plan.values())
            if (changes or related) and cur["status"] == Client.Status.ARCHIVED:
                row.error("name", f"{self.names[pk]} is archived: restore it before changing it by import.")
                continue
            if sets["domains"]:
                new_domains[pk] = data["domains"]
            if sets["tags"]:
                new_tags[pk] = data["tags"]
            if sets["groups"]:
                new_groups[pk] = set(data["tech_groups"])
            site_renames += plan["rename"]
            site_promotions += plan["promote_site"]
            site_creates += plan["create_site"]
            demote += plan["demote"]
            promote += plan["promote"]
            contact_creates += plan["create_contact"]
            row.outcome = UPDATED if changes or related else UNCHANGED
            if changes:
                fields.update(changes)
                column = {"account_manager": "account_manager_id"}
                logged.append((pk, {column.get(k, k): cur[column.get(k, k)] for k in changes},
                               {column.get(k, k): v for k, v in changes.items()}))
                merged = {k: cur[k] for k in SCALARS if k != "account_manager"}
                merged["account_manager"] = cur["account_manager_id"]
                if self.custom_on:
                    merged["custom_fields"] = cur["custom_fields"]
                scalar_writes.append((pk, {**merged, **changes}))
        now = timezone.now()
        if scalar_writes:
            update_rows(Client, scalar_writes, sorted(fields), msp_id=msp.pk)
            self.log.updated(Client, logged)
        update_rows(Site, [(pk, new) for pk, _old, new in site_renames], ["name"], msp_id=msp.pk)
        self.log.updated(Site, site_renames)
        update_ids(Site, site_promotions, {"is_hq": True}, msp_id=msp.pk)
        self.log.updated(Site, [(pk, {"is_hq": False}, {"is_hq": True}) for pk in site_promotions])
        created_sites = Site.objects.bulk_create([Site(msp=msp, client_id=pk, name=name, is_hq=True, created_at=now)
                                                  for pk, name in site_creates])
        self.log.created(Site, [s.pk for s in created_sites])
        update_ids(Contact, demote, {"is_primary": False}, msp_id=msp.pk)
        self.log.updated(Contact, [(pk, {"is_primary": True}, {"is_primary": False}) for pk in demote])
        update_rows(Contact, [(pk, new) for pk, _old, new in promote], ["first_name", "last_name", "is_primary"],
                    msp_id=msp.pk)
        self.log.updated(Contact, [(pk, {k: v for k, v in old.items() if new[k] != v},
                                    {k: v for k, v in new.items() if old[k] != v}) for pk, old, new in promote])
        created_contacts = Contact.objects.bulk_create([Contact(
            msp=msp, client_id=pk, first_name=d["contact_first_name"], last_name=d["contact_last_name"],
            email=d["contact_email"], is_primary=True, source=Contact.Source.IMPORT) for pk, d in contact_creates])
        self.log.created(Contact, [c.pk for c in created_contacts])
        self._write_domains(new_domains)
        self._write_links(ClientTechGroup, "group_id", new_groups)
        self._write_tags(new_tags)

    def _plan_related(self, row: Row, pk: int, sites: dict, person: dict | None, current_primary: dict | None
                      ) -> dict[str, list] | None:
        """HQ site and primary contact changes one row asks for (None: row error)."""
        data = row.data
        plan: dict[str, list] = {"rename": [], "promote_site": [], "create_site": [], "demote": [], "promote": [],
                                 "create_contact": []}
        hq = next((s for s in sites.values() if s[1]), None)
        wanted = data["site_name"]
        same_name = sites.get(wanted.casefold())
        if hq is None:
            if same_name:
                plan["promote_site"].append(same_name[0])
            else:
                plan["create_site"].append((pk, wanted))
        elif hq[2] != wanted:
            if same_name and same_name[0] != hq[0]:
                row.error("site_name", f"{self.names[pk]} already has another site called {same_name[2]}.")
                return None
            plan["rename"].append((hq[0], {"name": hq[2]}, {"name": wanted}))
        if person is None:
            plan["create_contact"].append((pk, data))
            if current_primary:
                plan["demote"].append(current_primary["id"])
        elif (not person["is_primary"] or person["first_name"] != data["contact_first_name"]
              or person["last_name"] != data["contact_last_name"]):
            plan["promote"].append((person["id"], {k: person[k] for k in ("first_name", "last_name", "is_primary")},
                                    {"first_name": data["contact_first_name"],
                                     "last_name": data["contact_last_name"], "is_primary": True}))
            if current_primary and current_primary["id"] != person["id"]:
                plan["demote"].append(current_primary["id"])
        return plan

    # --- related sets ---------------------------------------------------------------------
    def _write_domains(self, wanted: dict[int, list[str]]) -> None:
        """Each client's domains become `wanted` (the first is the primary); every
        write is logged for Undo, one primary per client at every step."""
        if not wanted:
            return
        msp, ids = self.msp, list(wanted)
        keep = {(pk, d) for pk, ds in wanted.items() for d in ds}
        firsts = {(pk, ds[0]) for pk, ds in wanted.items()}
        rows = list(ClientDomain.objects.filter(msp=msp, client_id__in=ids).values_list(
            "id", "client_id", "domain", "is_primary"))
        self.log.delete(ClientDomain, [pk for pk, c, d, _ in rows if (c, d) not in keep])
        demote = [pk for pk, c, d, primary in rows if (c, d) in keep and primary and (c, d) not in firsts]
        promote = [pk for pk, c, d, primary in rows if (c, d) in keep and not primary and (c, d) in firsts]
        update_ids(ClientDomain, demote, {"is_primary": False}, msp_id=msp.pk)
        self.log.updated(ClientDomain, [(pk, {"is_primary": True}, {"is_primary": False}) for pk in demote])
        have = {(c, d) for _, c, d, _ in rows}
        self.log.created(ClientDomain, insert_rows(ClientDomain, [
            {"msp_id": msp.pk, "client_id": pk, "domain": d, "is_primary": i == 0}
            for pk, ds in wanted.items() for i, d in enumerate(ds) if (pk, d) not in have]))
        update_ids(ClientDomain, promote, {"is_primary": True}, msp_id=msp.pk)
        self.log.updated(ClientDomain, [(pk, {"is_primary": False}, {"is_primary": True}) for pk in promote])
        for pk, ds in wanted.items():
            for domain in ds:
                self.domain_owner[domain] = pk

    def _write_links(self, model, target: str, wanted: dict[int, set[int]]) -> None:
        if not wanted:
            return
        msp = self.msp
        pairs = {(pk, t) for pk, ts in wanted.items() for t in ts}
        have = {(client_id, t): pk for pk, client_id, t in model.objects.filter(
            msp=msp, client_id__in=list(wanted)).values_list("id", "client_id", target)}
        self.log.delete(model, [pk for pair, pk in have.items() if pair not in pairs])
        self.log.created(model, insert_rows(model, [{"msp_id": msp.pk, "client_id": pk, target: t}
                                                    for pk, t in sorted(pairs) if (pk, t) not in have]))

    def _write_tags(self, wanted: dict[int, list[str]]) -> None:
        if not wanted:
            return
        tags = {t.name.casefold(): t.pk for t in tags_get_or_create(
            msp=self.msp, names=[n for names in wanted.values() for n in names])}
        self._write_links(ClientTag, "tag_id", {pk: {tags[n.casefold()] for n in names}
                                                for pk, names in wanted.items()})

    def after_commit(self) -> None:
        """New or changed clients: let duplicate detection look at them."""
        if not self.touched_clients:
            return
        try:
            from clients.tasks import duplicates_scan
        except ImportError:
            return
        duplicates_scan.delay(self.msp.pk)
