"""Set-based writes for the sync: one UPDATE … FROM (VALUES …) per page instead of a
save() per row (Django's bulk_update builds CASE WHEN chains that grow with rows ×
fields), and array-based "everything not seen" updates."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

MAX_PARAMS = 60_000  # PostgreSQL's bind-parameter limit is 65535


def bulk_update_values(model, *, msp, rows: Sequence[dict], fields: Sequence[str]) -> int:
    """UPDATE model rows (dicts with "id" and each attname in `fields`) in place,
    always restricted to `msp`. Returns the number of rows updated."""
    if not rows:
        return 0
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    cols = [by_attname[f] for f in fields]
    casts = [c.db_type(connection) for c in cols]
    table = connection.ops.quote_name(meta.db_table)
    names = [connection.ops.quote_name(c.column) for c in cols]
    placeholder = "(%s::bigint, " + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    assignments = ", ".join(f"{n} = v.{n}" for n in names)
    assignments += ", updated_at = statement_timestamp()"  # Contact and Asset both have auto_now updated_at
    per_batch = max(1, MAX_PARAMS // (len(fields) + 1))
    total = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start:start + per_batch]
            params: list = []
            for row in batch:
                params.append(row["id"])
                params.extend(row[f] for f in fields)
            # Identifiers come from model meta (quoted); every value is a bound parameter.
            sql = (f"UPDATE {table} AS t SET {assignments} "  # noqa: S608
                   f"FROM (VALUES {', '.join([placeholder] * len(batch))}) AS v(id, {', '.join(names)}) "
                   f"WHERE t.id = v.id AND t.msp_id = %s")
            cursor.execute(sql, [*params, msp.pk])
            total += cursor.rowcount
    return total


def deactivate_unseen(model, *, msp, tenant, seen: set[str], id_field: str, reason: str, now,
                      at_field: str, reason_field: str, only_unlinked: bool = False) -> int:
    """Mark the tenant's rows whose `id_field` is not in `seen` inactive (never delete),
    keeping the first removal time of rows already removed. The difference is taken in
    Python over one indexed read of the tenant's ids: linear, whatever the planner's
    statistics say about freshly bulk-inserted rows."""
    rows = model.objects.filter(msp=msp, m365_tenant=tenant, **{f"{at_field}__isnull": True}).exclude(
        **{id_field: ""})
    if only_unlinked:
        rows = rows.filter(m365_object_id="")
    gone = [pk for pk, key in rows.values_list("id", id_field).iterator(chunk_size=10_000) if key not in seen]
    if not gone:
        return 0
    q = connection.ops.quote_name
    # Identifiers come from model meta (quoted); every value is a bound parameter.
    sql = (f"UPDATE {q(model._meta.db_table)} SET is_active = false, {q(at_field)} = %s, "  # noqa: S608
           f"{q(reason_field)} = %s, updated_at = statement_timestamp() WHERE msp_id = %s AND id = ANY(%s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, reason, msp.pk, gone])
        return cursor.rowcount


def deactivate_ids(model, *, msp, tenant, ids: Sequence[str], id_field: str, reason: str, now,
                   at_field: str, reason_field: str) -> int:
    """Mark the tenant's rows with these Graph ids inactive for `reason`."""
    if not ids:
        return 0
    meta = model._meta
    q = connection.ops.quote_name
    # Identifiers come from model meta (quoted); every value is a bound parameter.
    sql = (f"UPDATE {q(meta.db_table)} SET is_active = false, {q(at_field)} = COALESCE({q(at_field)}, %s), "  # noqa: S608
           f"{q(reason_field)} = %s, updated_at = statement_timestamp() "
           f"WHERE msp_id = %s AND m365_tenant_id = %s AND {q(id_field)} = ANY(%s) "
           f"AND ({q(reason_field)} <> %s OR is_active)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, reason, msp.pk, tenant.pk, list(ids), reason])
        return cursor.rowcount


def bulk_insert(model, rows: Sequence[dict]) -> int:
    """INSERT new rows (dicts of attnames) with COPY: no model instances, no per-row
    SQL. Fields a row leaves out get the model field's default; auto_now(_add)
    fields get the current time. Returns the number of rows written."""
    if not rows:
        return 0
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default():
            defaults[f.attname] = f.get_default()
        else:
            defaults[f.attname] = None if f.null else ("" if f.empty_strings_allowed else None)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    # Identifiers come from model meta (quoted); the values go through COPY, never into SQL.
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {q(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for f in fields:
                value = row.get(f.attname, defaults[f.attname])
                values.append(Jsonb(value) if f.attname in json_fields else value)
            copy.write_row(values)
    return len(rows)
