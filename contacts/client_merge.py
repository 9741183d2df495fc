# ruff: noqa: S608 - SQL is built from model metadata (table/column names); values are always parameters
"""What contacts do in a client merge (opsmerge.registry.client_merge_steps, run by
clients.merge.Merger through its change log, so Undo restores every row):
- contacts with the same email become one contact: the chosen primary contact or the
  target's contact wins, the others are soft-deleted with `merged_into` and every
  reference to them (tickets, comments, assets, members …) follows; role flags
  (billing, portal, technical, VIP) are ORed onto the winner;
- one primary contact: the user's choice, else the target's, else the first source's;
- merged-away portal users lose portal access once the merge commits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from clients.relations import movable_relations

from .models import Contact
from .signals import portal_access_changed

ROLE_FLAGS = ("is_billing", "is_portal_user", "is_technical", "is_vip")
# A merged-away contact's portal links and sessions end with it instead of moving.
CONTACT_NOT_MOVED = frozenset({"portal.portallinktoken.contact", "portal.portalsession.contact"})
CONTACT_MAP = "contacts"  # the name of the merger's loser → winner map of contacts


def duplicates_preview(*, preview, msp, target, sources) -> None:
    alive = Contact.objects.alive().filter(msp=msp, client_id__in=[target.pk, *(s.pk for s in sources)])
    by_email: dict[str, list[Contact]] = {}
    for c in alive.exclude(email="").select_related("client").order_by("pk"):
        by_email.setdefault(c.email.lower(), []).append(c)
    preview.duplicate_emails = sorted((e, cs) for e, cs in by_email.items() if len(cs) > 1)


def duplicates_run(merger) -> None:
    msp_id = merger.msp.pk
    primary = merger.merge.choices.get("primary_contact")
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT array_agg(id ORDER BY id = %s DESC, array_position(%s::bigint[], client_id), id)
            FROM contacts_contact
            WHERE msp_id = %s AND client_id = ANY(%s::bigint[]) AND deleted_at IS NULL AND email <> ''
            GROUP BY lower(email) HAVING count(*) > 1""",
            [primary or 0, merger.all_ids, msp_id, merger.all_ids])
        groups = [row[0] for row in cursor.fetchall()]
    losers = [pk for g in groups for pk in g[1:]]
    winners = [g[0] for g in groups for _pk in g[1:]]
    merger.state["contact_losers"] = losers
    if not losers:
        return
    log = merger.log
    merger.map_ids(CONTACT_MAP, losers, winners)
    for rel in movable_relations(Contact):
        if rel.key not in CONTACT_NOT_MOVED:
            merger.remap(rel, CONTACT_MAP)
    pairs = "unnest(%s::bigint[], %s::bigint[]) AS m(l, w)"
    for flag in ROLE_FLAGS:
        log.update(Contact, flag, f"""
            SELECT x.id, x.{flag} AS old, x.{flag} OR bool_or(l.{flag}) AS new
            FROM contacts_contact x JOIN {pairs} ON m.w = x.id
            JOIN contacts_contact l ON l.msp_id = x.msp_id AND l.id = m.l
            WHERE x.msp_id = %s GROUP BY x.id, x.{flag}""", [losers, winners, msp_id])
    loser_rows = f"FROM contacts_contact x JOIN {pairs} ON m.l = x.id WHERE x.msp_id = %s"
    log.update(Contact, "is_primary", f"SELECT x.id, x.is_primary AS old, false AS new {loser_rows}",
               [losers, winners, msp_id])
    log.update(Contact, "merged_into_id", f"SELECT x.id, x.merged_into_id AS old, m.w AS new {loser_rows}",
               [losers, winners, msp_id])
    log.update(Contact, "deleted_by_id", f"SELECT x.id, x.deleted_by_id AS old, %s::bigint AS new {loser_rows}",
               [getattr(merger.actor, "pk", None), losers, winners, msp_id])
    log.update(Contact, "deleted_at", f"SELECT x.id, x.deleted_at AS old, %s AS new {loser_rows}",
               [merger.now, losers, winners, msp_id])


def duplicates_after(*, msp, merger) -> None:
    """Merged-away contacts lose portal access (the portal ends their sessions)."""
    loser_ids = merger.state.get("contact_losers")
    if not loser_ids:
        return
    actor = merger.actor

    def send():
        for contact in Contact.objects.filter(msp=msp, pk__in=loser_ids, is_portal_user=True):
            portal_access_changed.send(sender=Contact, msp=msp, contact=contact, granted=False, actor=actor)

    transaction.on_commit(send)


def primary_preview(*, preview, msp, target, sources) -> None:
    preview.primary_candidates = list(
        Contact.objects.alive().filter(msp=msp, client_id__in=[target.pk, *(s.pk for s in sources)], is_primary=True)
        .select_related("client"))


def primary_clean_choices(*, msp, client_ids, choices) -> dict:
    primary = choices.get("primary_contact")
    if primary in (None, ""):
        return {"primary_contact": None}
    wrong = ValidationError({"primary_contact": "Choose a contact of one of the clients being merged."})
    try:
        primary = int(primary)
    except (TypeError, ValueError):
        raise wrong from None
    if not Contact.objects.alive().filter(msp=msp, pk=primary, client_id__in=client_ids).exists():
        raise wrong
    return {"primary_contact": primary}


def primary_run(merger) -> None:
    chosen = merger.merge.choices.get("primary_contact")
    alive = Contact.objects.alive().filter(msp=merger.msp, client_id__in=merger.all_ids)
    if chosen is not None and not alive.filter(pk=chosen).exists():
        raise ValidationError({"primary_contact": "The chosen primary contact no longer exists."})
    keeper = chosen or merger.keeper(list(alive.filter(is_primary=True).values_list("pk", "client_id")))
    merger.one_flag(Contact, "is_primary", keeper, extra="AND x.deleted_at IS NULL")
