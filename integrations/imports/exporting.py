"""Exports of clients and contacts as CSV (streamed) or .xlsx (openpyxl write-only).

The columns are the import columns (integrations.imports.columns), so an export
re-imports with no changes. Cells a spreadsheet would evaluate as a formula
(= + - @ tab CR first) are prefixed with an apostrophe; the importer strips that
prefix again, so the round trip is exact.

    export_response(msp=msp, kind="clients", queryset=filterset.qs, fmt="csv")
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from opsmerge.tenancy import msp_scope

from .columns import CLIENTS, CONTACTS, headers_for
from .custom import CustomCells

CHUNK = 1000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: str) -> str:
    """Make a cell inert in Excel / LibreOffice / Google Sheets (OWASP CSV injection)."""
    return "'" + value if value and value.startswith(FORMULA_TRIGGERS) else value


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def join_list(values: Iterable[str]) -> str:
    return ", ".join(values)


def batched(iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _grouped(pairs) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for owner_id, value in pairs:
        out[owner_id].append(value)
    return out


def _client_rows(msp, queryset, custom: CustomCells) -> Iterator[list[str]]:
    from clients.models import ClientDomain, ClientTag, ClientTechGroup
    from contacts.models import Contact
    from sites.models import Site

    for chunk in batched(queryset.select_related("account_manager").iterator(chunk_size=CHUNK), CHUNK):
        ids = [c.pk for c in chunk]
        domains = _grouped(ClientDomain.objects.filter(msp=msp, client_id__in=ids)
                           .order_by("-is_primary", "domain").values_list("client_id", "domain"))
        tags = _grouped(ClientTag.objects.filter(msp=msp, client_id__in=ids)
                        .order_by("tag__name").values_list("client_id", "tag__name"))
        groups = _grouped(ClientTechGroup.objects.filter(msp=msp, client_id__in=ids)
                          .order_by("group__name").values_list("client_id", "group__name"))
        hq = dict(Site.objects.filter(msp=msp, client_id__in=ids, is_hq=True).values_list("client_id", "name"))
        primary = {row[0]: row[1:] for row in Contact.objects.alive().filter(
            msp=msp, client_id__in=ids, is_primary=True).values_list("client_id", "first_name", "last_name", "email")}
        for c in chunk:
            first, last, email = primary.get(c.pk, ("", "", ""))
            yield [
                c.name, first, last, email, hq.get(c.pk, ""), c.time_zone, c.phone_country_code, c.phone_number,
                c.street, c.city, c.postal_code, c.state, c.country, join_list(domains.get(c.pk, ())),
                c.account_manager.email if c.account_manager_id else "", join_list(groups.get(c.pk, ())),
                c.industry, c.website, join_list(tags.get(c.pk, ())), *custom.export_cells(c.custom_fields),
            ]


def _contact_rows(msp, queryset, custom: CustomCells) -> Iterator[list[str]]:
    from contacts.models import ContactTag

    for chunk in batched(queryset.select_related("client").iterator(chunk_size=CHUNK), CHUNK):
        tags = _grouped(ContactTag.objects.filter(msp=msp, contact_id__in=[c.pk for c in chunk])
                        .order_by("tag__name").values_list("contact_id", "tag__name"))
        for c in chunk:
            yield [
                c.first_name, c.last_name, c.email, c.client.name if c.client_id else "", c.phone, c.mobile,
                c.job_title, c.department, c.office, c.kind, c.organisation_name, yes_no(c.is_primary),
                yes_no(c.is_billing), yes_no(c.is_portal_user), yes_no(c.is_technical), yes_no(c.is_vip),
                yes_no(c.is_active), join_list(tags.get(c.pk, ())), *custom.export_cells(c.custom_fields),
            ]


_ROWS = {CLIENTS: _client_rows, CONTACTS: _contact_rows}


def export_rows(*, msp, kind: str, queryset) -> Iterator[list[str]]:
    """Header row, then one neutralised row per object; the MSP's custom fields of
    the kind are the last columns. Call inside msp_scope."""
    yield headers_for(kind, msp)
    for row in _ROWS[kind](msp, queryset, CustomCells(msp=msp, kind=kind)):
        yield [neutralise(str(v)) for v in row]


class Echo:
    """A file-like that returns what csv.writer writes (for streamed responses)."""

    def write(self, value):
        return value


def _csv_stream(msp, kind, queryset) -> Iterator[str]:
    # Runs after the tenancy middleware returned: open the scope here.
    with msp_scope(msp):
        writer = csv.writer(Echo())
        yield "\ufeff"  # BOM: Excel then reads UTF-8 correctly
        for row in export_rows(msp=msp, kind=kind, queryset=queryset):
            yield writer.writerow(row)


def _filename(kind: str, ext: str) -> str:
    return f"{kind}-{timezone.now():%Y%m%d-%H%M}.{ext}"


def export_response(*, msp, kind: str, queryset, fmt: str) -> HttpResponse:
    """A download of `queryset` (already filtered to what the list shows) as
    kind "clients" | "contacts", fmt "csv" | "xlsx"."""
    if kind not in _ROWS:
        raise ValueError(f"Unknown export kind: {kind}")
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(msp, kind, queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(kind, "csv")}"'
        return response
    if fmt == "xlsx":
        return FileResponse(_xlsx_file(msp, kind, queryset), as_attachment=True,
                            filename=_filename(kind, "xlsx"), content_type=XLSX_TYPE)
    raise ValueError(f"Unknown export format: {fmt}")


def _xlsx_file(msp, kind, queryset):
    """Write-only workbook into a spooled temp file (memory stays flat for big lists)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=kind.capitalize())
    with msp_scope(msp):
        for row in export_rows(msp=msp, kind=kind, queryset=queryset):
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula or a number
                cells.append(cell)
            sheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(out)
    out.seek(0)
    return out
