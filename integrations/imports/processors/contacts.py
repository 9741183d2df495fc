"""Contacts import: matched by email (case-insensitive) within the file and against
the MSP's existing contacts; written set-based per batch."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from django.db import transaction

from clients.models import Client, Tag
from clients.services import tags_get_or_create
from contacts.models import Contact, ContactTag
from opsmerge.bulk_sql import insert_rows, update_ids, update_rows

from .. import cells
from ..custom import CustomCells
from .base import CREATED, SKIPPED, UNCHANGED, UPDATED, Processor, Row, lower_in, name_key

TEXT_FIELDS = ("first_name", "last_name", "organisation_name", "job_title", "department", "office")
FLAG_FIELDS = ("is_primary", "is_billing", "is_portal_user", "is_technical", "is_vip", "is_active")
PHONE_FIELDS = ("phone", "mobile")
SCALAR_FIELDS = (*TEXT_FIELDS, *PHONE_FIELDS, "kind", *FLAG_FIELDS)
KINDS = {"person": Contact.Kind.PERSON, "organisation": Contact.Kind.ORGANISATION,
         "organization": Contact.Kind.ORGANISATION, "company": Contact.Kind.ORGANISATION}


def _kind(value: str) -> str:
    try:
        return KINDS[value.strip().lower()]
    except KeyError:
        raise cells.CellError("Use person or organisation.") from None


def _tags(value: str) -> list[str]:
    names = cells.split_list(value)
    for name in names:
        cells.max_length(name, 64)
    return names


class ContactsProcessor(Processor):
    kind = "contacts"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clients: dict[str, tuple[int, bool] | None] = {}
        self.client_names: dict[int, str] = {}
        for pk, name, status in Client.objects.filter(msp=self.msp).values_list("id", "name", "status"):
            key = name_key(name)
            self.clients[key] = None if key in self.clients else (pk, status == Client.Status.ARCHIVED)
            self.client_names[pk] = name
        self.into = self.job.client_id  # Client → Contacts → Import: every row goes to this client
        self.seen_emails: dict[str, int] = {}
        self.seen_primary: dict[int, int] = {}
        self.portal_changes: list[tuple[int, bool]] = []
        self.logged: list[tuple[int, dict, dict]] = []  # (id, old, new) of this batch's updates, for Undo
        self.lengths = {f: Contact._meta.get_field(f).max_length for f in TEXT_FIELDS}
        # The optional cells' parsers, in the order their errors are reported.
        self.parsers = [
            *((name, partial(cells.max_length, limit=self.lengths[name])) for name in TEXT_FIELDS),
            *((name, cells.phone_text) for name in PHONE_FIELDS),
            *((name, cells.parse_bool) for name in FLAG_FIELDS),
            ("kind", _kind),
            ("tags", _tags),
        ]
        self.custom = CustomCells(msp=self.msp, kind=self.kind)  # definitions fetched once per job
        self.custom_on = self.custom.active(self.job.mapping.values())

    # --- per row, no database -------------------------------------------------------
    def clean(self, row: Row) -> None:
        email = row.take("email", cells.email, required=True)
        values = row.values
        for name, parse in self.parsers:
            if values.get(name):  # a blank or unmapped optional cell is left as it is
                row.take(name, parse)
        if self.custom_on:
            self.custom.clean(row)
        client_name = row.values.get("client", "")
        if self.into:
            row.data["client"] = self.into
        elif client_name:
            found = self.clients.get(name_key(client_name), False)
            if found is False:
                row.error("client", f"No client called “{client_name}”: create it first or fix the name.")
            elif found is None:
                row.error("client", f"Several clients are called “{client_name}”: rename one of them first.")
            else:
                row.data["client"] = found[0]
        if row.data.get("is_primary") and not row.data.get("client"):
            row.error("is_primary", "Only a contact of a client can be its primary contact: fill in ClientName.")
        if row.data.get("is_primary") and email:
            problem = self.msp.primary_contact_email_problem(email)
            if problem:
                row.error("email", problem)
        if email:
            first = self.seen_emails.setdefault(email, row.number)
            if first != row.number:
                row.error("email", f"Same email as row {first}: contacts are matched by email, so each may appear "
                                   f"only once.")
        if row.data.get("is_primary") and row.data.get("client"):
            first = self.seen_primary.setdefault(row.data["client"], row.number)
            if first != row.number:
                row.error("is_primary", f"Row {first} already makes another contact the primary contact of this "
                                        f"client; a client has one primary contact.")

    # --- per batch, set-based ---------------------------------------------------------
    def _existing(self, rows: list[Row]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = defaultdict(list)
        qs = Contact.objects.alive().filter(msp=self.msp)
        if self.into:  # dedupe by email within the client (seed 000)
            qs = qs.filter(client_id=self.into)
        qs = lower_in(qs, "email", {r.data["email"] for r in rows})
        extra = ("custom_fields",) if self.custom_on else ()
        for item in qs.values("id", "_lower", "client_id", *SCALAR_FIELDS, *extra):
            found[item["_lower"]].append(item)
        return found

    def _match(self, row: Row, candidates: list[dict]) -> dict | None:
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        wanted = row.data.get("client")
        for item in candidates:
            if wanted and item["client_id"] == wanted:
                return item
        row.error("client", f"{len(candidates)} contacts of different clients have this email: fill in ClientName "
                            f"to say which one this row is.")
        return None

    def _archived(self, client_id) -> bool:
        found = self.clients.get(name_key(self.client_names.get(client_id, ""))) if client_id else None
        return bool(found and found[1])

    def apply(self, rows: list[Row], *, mode: str) -> None:
        existing = self._existing(rows)
        matched = {}  # row number -> existing dict
        for row in rows:
            match = self._match(row, existing.get(row.data["email"], []))
            if not row.ok:
                continue
            if match is None:
                if mode == "update":
                    row.outcome = SKIPPED
                    continue
                kind = row.data.get("kind", Contact.Kind.PERSON)
                if kind == Contact.Kind.ORGANISATION and not row.data.get("organisation_name"):
                    row.error("organisation_name", "An organisation needs a name.")
                elif self._archived(row.data.get("client")):
                    row.error("client", f"{self.client_names[row.data['client']]} is archived: restore it before "
                                        f"adding contacts.")
                elif self.custom.check_new(row):
                    row.outcome = CREATED
            elif mode == "create":
                row.outcome = SKIPPED
            else:
                matched[row.number] = match
        writes, fields = self._plan_updates([r for r in rows if r.number in matched and r.ok], matched)
        self._clear_other_primaries(rows, matched)
        update_rows(Contact, writes, sorted(fields), msp_id=self.msp.pk)
        self.log.updated(Contact, self.logged)
        self.logged = []
        creates = [r for r in rows if r.ok and r.outcome == CREATED]
        new_ids = insert_rows(Contact, [self._new_contact(r) for r in creates])
        self.log.created(Contact, new_ids)
        for row, pk in zip(creates, new_ids, strict=True):
            row.data["_id"] = pk
            if row.data.get("is_portal_user") and row.data.get("is_active", True):
                self.portal_changes.append((pk, True))
        self._apply_tags([r for r in rows if r.ok and r.outcome in (CREATED, UPDATED, UNCHANGED)
                          and "tags" in r.data], matched)

    def _new_contact(self, row: Row) -> dict:
        fields = {k: v for k, v in row.data.items() if k in SCALAR_FIELDS}
        if "custom_fields" in row.data:
            fields["custom_fields"] = row.data["custom_fields"]
        return {**fields, "msp_id": self.msp.pk, "source": Contact.Source.IMPORT, "email": row.data["email"],
                "client_id": row.data.get("client")}

    def _plan_updates(self, rows: list[Row], matched: dict[int, dict]) -> tuple[list[tuple[int, dict]], set[str]]:
        writes: list[tuple[int, dict]] = []
        fields: set[str] = set()
        for row in rows:
            current = matched[row.number]
            row.data["_id"] = current["id"]
            changes = {k: v for k, v in row.data.items() if k in SCALAR_FIELDS and current[k] != v}
            if "client" in row.data and row.data["client"] != current["client_id"]:
                changes["client"] = row.data["client"]
            if self.custom_on and (custom := self.custom.merged(current["custom_fields"], row)) is not None:
                changes["custom_fields"] = custom
            if changes and (self._archived(current["client_id"]) or self._archived(changes.get("client"))):
                row.error("client", "This contact's client is archived: restore the client before changing it.")
                continue
            row.outcome = UPDATED if changes else UNCHANGED
            if not changes:
                continue
            if "is_portal_user" in changes or "is_active" in changes:
                before = current["is_portal_user"] and current["is_active"]
                after = changes.get("is_portal_user", current["is_portal_user"]) and changes.get(
                    "is_active", current["is_active"])
                if before != after:
                    self.portal_changes.append((current["id"], after))
            fields.update(changes)
            if self.log.enabled:
                old = {("client_id" if k == "client" else k): current["client_id" if k == "client" else k]
                       for k in changes}
                self.logged.append((current["id"], old, {("client_id" if k == "client" else k): v
                                                         for k, v in changes.items()}))
            merged = {**{k: current[k] for k in SCALAR_FIELDS}, "client": current["client_id"], **changes}
            if self.custom_on:
                merged.setdefault("custom_fields", current["custom_fields"])
            writes.append((current["id"], merged))
        return writes, fields

    def _clear_other_primaries(self, rows: list[Row], matched: dict[int, dict]) -> None:
        """One primary per client: rows that make a contact primary take the flag
        from the client's current primary, in the same transaction."""
        clients, keep = set(), []
        for row in rows:
            if row.ok and row.outcome in (CREATED, UPDATED) and row.data.get("is_primary"):
                current = matched.get(row.number)
                client_id = row.data.get("client") or (current or {}).get("client_id")
                clients.add(client_id)
                if current:
                    keep.append(current["id"])
        if clients:
            demoted = list(Contact.objects.filter(msp=self.msp, client_id__in=clients, is_primary=True).exclude(
                pk__in=keep).values_list("id", flat=True))
            update_ids(Contact, demoted, {"is_primary": False}, msp_id=self.msp.pk)
            self.log.updated(Contact, [(pk, {"is_primary": True}, {"is_primary": False}) for pk in demoted])

    def _apply_tags(self, rows: list[Row], matched: dict[int, dict]) -> None:
        if not rows:
            return
        ids = [r.data["_id"] for r in rows]
        current: dict[int, set[str]] = defaultdict(set)
        for contact_id, tag in ContactTag.objects.filter(msp=self.msp, contact_id__in=ids).values_list(
                "contact_id", "tag__name"):
            current[contact_id].add(tag.casefold())
        changed = [r for r in rows if {t.casefold() for t in r.data["tags"]} != current[r.data["_id"]]]
        if not changed:
            return
        tags = {t.name.casefold(): t.pk for t in tags_get_or_create(
            msp=self.msp, names=[n for r in changed for n in r.data["tags"]])}
        wanted = {(r.data["_id"], tags[n.casefold()]) for r in changed for n in r.data["tags"]}
        changed_ids = [r.data["_id"] for r in changed]
        have = {(contact_id, tag_id): pk for pk, contact_id, tag_id in ContactTag.objects.filter(
            msp=self.msp, contact_id__in=changed_ids).values_list("id", "contact_id", "tag_id")}
        self.log.delete(ContactTag, [pk for pair, pk in have.items() if pair not in wanted])
        self.log.created(ContactTag, insert_rows(ContactTag, [
            {"msp_id": self.msp.pk, "contact_id": c, "tag_id": t} for c, t in sorted(wanted) if (c, t) not in have]))
        for row in changed:
            if row.outcome == UNCHANGED:
                row.outcome = UPDATED

    def after_batch_commit(self) -> None:
        """Portal access granted or revoked by the import goes through the same signal
        as the contact services (invites, ending portal sessions)."""
        from contacts.signals import portal_access_changed

        changes, self.portal_changes = self.portal_changes, []
        if not changes:
            return
        contacts = {c.pk: c for c in Contact.objects.filter(msp=self.msp, pk__in=[pk for pk, _ in changes])}
        msp, actor = self.msp, self.actor

        def send():
            for pk, granted in changes:
                if pk in contacts:
                    portal_access_changed.send(sender=Contact, msp=msp, contact=contacts[pk], granted=granted,
                                               actor=actor)

        transaction.on_commit(send)

    def discard_batch(self) -> None:
        self.portal_changes = []
        self.logged = []


__all__ = ["ContactsProcessor", "Tag"]
