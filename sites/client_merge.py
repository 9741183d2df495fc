
"""What sites do in a client merge (opsmerge.registry.client_merge_steps): one HQ
site (the target's, else the first source's), and source sites whose name the target
(or an earlier source) already uses get " (<source name>)" appended."""

from __future__ import annotations

from .models import Site


def hq_run(merger) -> None:
    rows = Site.objects.filter(msp=merger.msp, client_id__in=merger.all_ids, is_hq=True)
    merger.one_flag(Site, "is_hq", merger.keeper(list(rows.values_list("pk", "client_id"))))


def names_preview(*, preview, msp, target, sources) -> None:
    taken = {n.lower() for n in Site.objects.filter(msp=msp, client=target).values_list("name", flat=True)}
    for site in Site.objects.filter(msp=msp, client_id__in=[s.pk for s in sources]).order_by("pk"):
        if site.name.lower() in taken:
            preview.site_renames.append(site.name)
        taken.add(site.name.lower())


def names_run(merger) -> None:
    msp = merger.msp.pk
    merger.log.update(Site, "name", """
        SELECT x.id, x.name AS old, left(x.name, 80) || ' (' || left(c.name, 36) || ')' AS new
        FROM sites_site x JOIN clients_client c ON c.msp_id = x.msp_id AND c.id = x.client_id
        WHERE x.msp_id = %s AND x.client_id = ANY(%s::bigint[]) AND (
          EXISTS (SELECT 1 FROM sites_site o WHERE o.msp_id = %s AND o.client_id = %s
                  AND lower(o.name) = lower(x.name))
          OR EXISTS (SELECT 1 FROM sites_site o WHERE o.msp_id = %s AND o.client_id = ANY(%s::bigint[])
                     AND o.id < x.id AND lower(o.name) = lower(x.name)))""",
        [msp, merger.source_ids, msp, merger.target.pk, msp, merger.source_ids])
