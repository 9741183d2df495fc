import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from clients.merge import client_merge_execute, client_merge_preview, client_merge_start, client_merge_undo
from clients.models import BusinessHours, Client, ClientDomain, ClientMerge, ClientTag, Holiday
from clients.tests.factories import ClientFactory
from clients.tests.merge_world import build_pair, counts, dump, without_new_audit
from contacts.models import Contact
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope
from sites.models import Site
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db


def merge_now(msp, target, sources, actor, **kwargs):
    """Start + run in-process (the Celery job body); the worker test covers the queue."""
    merge = client_merge_start(msp=msp, target=target, sources=sources, actor=actor, **kwargs)
    return client_merge_execute(msp=msp, merge=merge)


def test_preview_counts_and_conflicts(scoped, user):
    target, source = build_pair(scoped)
    preview = client_merge_preview(msp=scoped, target=target, sources=[source])
    counts_by_label = dict(preview.counts)
    assert counts_by_label["tickets"] == 2 and counts_by_label["contacts"] == 3
    assert counts_by_label["Microsoft 365 tenants"] == 1
    assert preview.domains == ["acme-old.example", "acme.example", "mail.acme.example"]
    assert preview.tags == ["legacy", "tier:gold"]
    [(email, pair)] = preview.duplicate_emails
    assert email == "pat@acme.example" and len(pair) == 2
    assert {f["name"] for f in preview.differing_fields} >= {"name", "industry", "website"}
    assert preview.site_renames == ["london"]


def test_merge_moves_everything_and_resolves_conflicts(scoped, user):
    target, source = build_pair(scoped)
    s_pat = Contact.objects.get(email="PAT@acme.example")
    t_pat = Contact.objects.get(email="pat@acme.example")
    merge = merge_now(scoped, target, [source], user, choices={"fields": {"industry": source.pk}})
    assert merge.status == ClientMerge.Status.DONE, merge.error

    # Nothing points at the source any more, except its own activity of the merge.
    for model in (Ticket, Site, ClientDomain, ClientTag, BusinessHours, Holiday, Contact):
        assert not model.objects.filter(client=source).exists(), model
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.is_archived and source.merged_into == target and source.pre_archive_status == "active"
    assert target.industry == "Legal" and target.name == "Acme Ltd"
    assert target.custom_fields == {"tier": "gold", "seats": "40", "region": "north"}
    assert target.external_ids == {"cw": "1", "halo": "9"}

    # Duplicate email: one contact; the loser's tickets/comments/tags follow; flags ORed.
    s_pat.refresh_from_db()
    t_pat.refresh_from_db()
    assert s_pat.deleted_at is not None and s_pat.merged_into == t_pat
    assert Ticket.objects.filter(contact=t_pat).count() == 2
    assert TicketComment.objects.filter(author_contact=t_pat).count() == 2
    assert sorted(t_pat.tags.values_list("name", flat=True)) == ["legacy", "tier:gold"]
    assert t_pat.is_vip and t_pat.is_portal_user and t_pat.is_primary
    assert Contact.objects.alive().filter(client=target, is_primary=True).count() == 1

    # Unions and single flags.
    assert sorted(target.tags.values_list("name", flat=True)) == ["legacy", "tier:gold"]
    assert ClientDomain.objects.filter(client=target, is_primary=True).get().domain == "acme.example"
    assert sorted(Site.objects.filter(client=target).values_list("name", "is_hq")) == [
        ("Leeds", False), ("London", True), ("london (ACME-Limited)", False)]
    assert BusinessHours.objects.filter(client=target, site__isnull=True).count() == 1  # target's hours win
    assert Holiday.objects.filter(client=target).count() == 2
    assert merge.moved["tickets.ticket.client_id"] == 2

    event = AuditEvent.objects.get(action="client.merge")
    assert event.client_id == target.pk and event.changes["merge_id"] == merge.pk and event.actor == user
    assert AuditEvent.objects.filter(action="client.update", client=target).count() == 3  # activity moved


def test_chosen_primary_contact_wins_its_email_group(scoped, user):
    target, source = build_pair(scoped)
    s_pat = Contact.objects.get(email="PAT@acme.example")
    merge = merge_now(scoped, target, [source], user, choices={"primary_contact": s_pat.pk})
    assert merge.status == "done", merge.error
    s_pat.refresh_from_db()
    assert s_pat.is_primary and s_pat.deleted_at is None and s_pat.client == target
    assert Contact.objects.get(email="pat@acme.example").merged_into == s_pat


def test_undo_restores_exactly(scoped, user):
    target, source = build_pair(scoped)
    before = dump()
    merge = merge_now(scoped, target, [source], user, choices={"fields": {"name": source.pk, "website": source.pk}})
    assert merge.status == "done", merge.error
    assert dump() != before
    client_merge_undo(msp=scoped, merge=merge, actor=user)
    assert without_new_audit(dump(), before) == before
    merge.refresh_from_db()
    assert merge.status == "undone"
    assert AuditEvent.objects.filter(action="client.merge_undo", client=target).exists()
    with pytest.raises(ValidationError):
        client_merge_undo(msp=scoped, merge=merge, actor=user)


def test_undo_refused_when_a_moved_row_changed_and_nothing_changes(scoped, user):
    target, source = build_pair(scoped)
    other = ClientFactory(msp=scoped)
    merge = merge_now(scoped, target, [source], user)
    moved_ticket = Ticket.objects.filter(client=target).order_by("pk").last()
    Ticket.objects.filter(pk=moved_ticket.pk).update(client=other)
    snapshot = dump()
    with pytest.raises(ValidationError, match="changed since the merge"):
        client_merge_undo(msp=scoped, merge=merge, actor=user)
    assert dump() == snapshot
    merge.refresh_from_db()
    assert merge.status == "done"


def test_merge_refuses_archived_target_and_repeated_source(scoped, user):
    target, source = build_pair(scoped)
    archived = ClientFactory(msp=scoped, status="archived", archived_at="2026-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="archived"):
        client_merge_start(msp=scoped, target=archived, sources=[source], actor=user)
    with pytest.raises(ValidationError, match="cannot also be a source"):
        client_merge_start(msp=scoped, target=target, sources=[target], actor=user)
    with pytest.raises(ValidationError, match="Choose a contact"):
        client_merge_start(msp=scoped, target=target, sources=[source], actor=user,
                           choices={"primary_contact": "nope"})


@pytest.mark.parametrize("role,allowed", [
    (Role.SUPER_ADMIN, True), (Role.ADMIN, True), (Role.MSP_ADMIN, True),
    (Role.COMPLIANCE_ADMIN, False), (Role.TECHNICIAN, False), (Role.READ_ONLY, False),
])
def test_merge_permission_matrix(scoped, make_user, role, allowed):
    target, source = ClientFactory(msp=scoped), ClientFactory(msp=scoped)
    actor = make_user(role=role)
    if allowed:
        assert client_merge_start(msp=scoped, target=target, sources=[source], actor=actor)
    else:
        with pytest.raises(PermissionDenied):
            client_merge_start(msp=scoped, target=target, sources=[source], actor=actor)


def test_query_count_does_not_grow_with_rows(scoped, user):
    from tickets.tests.factories import TicketFactory

    def queries_for(n):
        target, source = ClientFactory(msp=scoped), ClientFactory(msp=scoped)
        TicketFactory.create_batch(n, msp=scoped, client=source)
        merge = client_merge_start(msp=scoped, target=target, sources=[source], actor=user)
        with CaptureQueriesContext(connection) as ctx:
            assert client_merge_execute(msp=scoped, merge=merge).status == "done"
        return len(ctx.captured_queries)

    assert queries_for(3) == queries_for(60)


def test_other_msps_clients_cannot_be_merged(two_msps):
    alpha, bravo = two_msps
    with msp_scope(alpha.msp), pytest.raises(ValidationError):
        client_merge_start(msp=alpha.msp, target=alpha.objects["client"], sources=[bravo.objects["client"]],
                           actor=alpha.user)


def run_in_threads(msp, *calls):
    """Run each call in its own thread and DB connection, started together."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            with msp_scope(msp):
                barrier.wait()
                results[i] = call()
        except Exception as exc:  # asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_the_same_client_one_wins(msp, user):
    with msp_scope(msp):
        target, source = build_pair(msp)
        other_target = ClientFactory(msp=msp, name="Other target")
        m1 = client_merge_start(msp=msp, target=target, sources=[source], actor=user)
        m2 = client_merge_start(msp=msp, target=other_target, sources=[source], actor=user)
    before = counts()
    r1, r2 = run_in_threads(msp, lambda: client_merge_execute(msp=msp, merge=m1),
                            lambda: client_merge_execute(msp=msp, merge=m2))
    statuses = sorted([r1.status, r2.status])
    assert statuses == ["done", "failed"]
    loser = r1 if r1.status == "failed" else r2
    assert "already merged" in loser.error
    after = counts()
    # Only duplicate tag/tech-group/holiday/hours rows go (kept in the log); no row lost elsewhere.
    dropped = {"clients.clienttag": 1, "clients.clienttechgroup": 1, "clients.holiday": 1,
               "clients.businesshours": 1, "contacts.contacttag": 1}
    winner_target = target if r1.status == "done" else other_target
    if winner_target == other_target:  # the other target has nothing to clash with
        dropped = {}
    assert {k: before[k] - after[k] for k in before if k != "opsmerge.auditevent" and before[k] != after[k]} == dropped
    with msp_scope(msp):
        assert Client.objects.get(pk=source.pk).merged_into_id == winner_target.pk
        assert not Ticket.objects.filter(client=source).exists()


@pytest.mark.django_db(transaction=True)
def test_merge_against_permanent_delete_one_wins(msp, make_user):
    from clients.lifecycle import client_delete_permanently

    root = make_user(role=Role.SUPER_ADMIN)
    with msp_scope(msp):
        target = ClientFactory(msp=msp, name="Keeper")
        source = ClientFactory(msp=msp, name="Old Co", status="archived", archived_at="2026-01-01T00:00:00Z")
        from tickets.tests.factories import TicketFactory

        TicketFactory.create_batch(3, msp=msp, client=source)
        merge = client_merge_start(msp=msp, target=target, sources=[source], actor=root)
    before = counts()
    r_merge, r_delete = run_in_threads(
        msp,
        lambda: client_merge_execute(msp=msp, merge=merge),
        lambda: client_delete_permanently(msp=msp, client_id=source.pk, actor=root, typed_name="Old Co"),
    )
    after = counts()
    with msp_scope(msp):
        if r_merge.status == "done":
            assert isinstance(r_delete, ValidationError) and "merged into another client" in str(r_delete)
            assert after == {**before, "opsmerge.auditevent": after["opsmerge.auditevent"]}
            assert Ticket.objects.filter(client=target).count() == 3
        else:
            assert isinstance(r_delete, dict) and "no longer exists" in r_merge.error
            assert after["clients.client"] == before["clients.client"] - 1
            assert after["tickets.ticket"] == before["tickets.ticket"]  # unassigned, not lost
            assert Ticket.objects.filter(client__isnull=True).count() == 3
