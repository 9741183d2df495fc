"""Import pages: upload → map columns → dry run → commit, and the job page with a
live progress bar (htmx polling). Thin: every write is a service call."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import Op
from clients.models import Client
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import msp_view

from .columns import KINDS, headers_for
from .formats import FORMATS, formats_for
from .forms import ClientContactsUploadForm, MappingForm, UploadForm
from .models import ImportJob
from .services import (
    failed_rows_csv,
    import_job_cancel,
    import_job_commit,
    import_job_create,
    import_job_is_stalled,
    import_job_resume,
    import_job_set_mapping,
    import_job_start,
    likely_duplicate_rows,
)
from .undo import import_job_can_undo, import_job_undo


def _job(request, pk) -> ImportJob:
    return msp_get_or_404(ImportJob.objects.select_related("created_by", "source_job", "client", "undone_by"),
                          msp=request.msp, pk=pk)


@msp_view(Op.IMPORT)
def job_list(request):
    form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(msp=request.msp, actor=request.user, upload=form.cleaned_data["file"],
                                    kind=form.cleaned_data["kind"], mode=form.cleaned_data["mode"])
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("imports:detail", pk=job.pk)
    page = Paginator(ImportJob.objects.filter(msp=request.msp).select_related("created_by"), 25).get_page(
        request.GET.get("page"))
    return render(request, "imports/job_list.html", {
        "form": form, "page_obj": page, "jobs": page.object_list, "kinds": KINDS,
        "templates": [(k, ", ".join(headers_for(k, request.msp))) for k in KINDS],
    })


@msp_view(Op.IMPORT)
def template_download(request):
    """An empty file with the exact headers of a kind (seed 004: use the sample header)."""
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        return HttpResponse("Choose kind=clients, contacts or sites.", status=400, content_type="text/plain")
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerow(headers_for(kind, request.msp))  # with the MSP's custom fields
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="opsmerge-{kind}-template.csv"'
    return response


@msp_view(Op.IMPORT)
def client_contacts(request, client_pk):
    """Client → Contacts → Import (seed 000): every row goes to this client."""
    client = msp_get_or_404(Client.objects.all(), msp=request.msp, pk=client_pk)
    form = ClientContactsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(msp=request.msp, actor=request.user, upload=form.cleaned_data["file"],
                                    kind="contacts", mode=form.cleaned_data["mode"], client=client)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("imports:detail", pk=job.pk)
    jobs = ImportJob.objects.filter(msp=request.msp, client=client).select_related("created_by")[:10]
    return render(request, "imports/client_contacts.html", {
        "client": client, "form": form, "jobs": jobs,
        "formats": list(formats_for("contacts")),
    }, status=400 if form.errors else 200)


def _context(request, job, form=None):
    errors = job.row_errors.filter(msp=request.msp)
    duplicates = likely_duplicate_rows(msp=request.msp, job=job) if job.dry_run and job.kind == "clients" else []
    return {"job": job, "form": form, "stalled": import_job_is_stalled(job), "errors": errors[:100],
            "error_count": errors.count(), "duplicates": list(duplicates[:200]),
            "can_undo": import_job_can_undo(job), "export_format": FORMATS.get(job.source_format)}


@msp_view(Op.IMPORT)
def job_detail(request, pk):
    job = _job(request, pk)
    form = MappingForm(job=job) if job.status == ImportJob.Status.MAPPING else None
    return render(request, "imports/job_detail.html", _context(request, job, form))


@msp_view(Op.IMPORT)
def job_progress(request, pk):
    """The progress card alone: htmx polls it while the job runs."""
    job = _job(request, pk)
    # The polled partial shows only the job and the stall warning: no error count,
    # no error rows on every poll.
    response = render(request, "imports/_progress.html", {"job": job, "stalled": import_job_is_stalled(job)})
    if job.is_done and request.htmx:
        response["HX-Refresh"] = "true"  # show the final page (errors, commit button)
    return response


@require_POST
@msp_view(Op.IMPORT)
def job_mapping(request, pk):
    job = _job(request, pk)
    form = MappingForm(request.POST, job=job)
    if form.is_valid():
        try:
            import_job_set_mapping(msp=request.msp, job=job, actor=request.user, mapping=form.mapping(),
                                   source_format=form.cleaned_data["source_format"])
            import_job_start(msp=request.msp, job=job, actor=request.user, mode=form.cleaned_data["mode"],
                             dry_run=request.POST.get("action") != "commit")
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("imports:detail", pk=job.pk)
    return render(request, "imports/job_detail.html", _context(request, job, form), status=400)


def _action(request, pk, service, done: str):
    job = _job(request, pk)
    try:
        result = service(msp=request.msp, job=job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:detail", pk=job.pk)
    messages.success(request, done)
    return redirect("imports:detail", pk=result.pk)


@require_POST
@msp_view(Op.IMPORT)
def job_commit(request, pk):
    confirmed = [n for n in request.POST.getlist("confirm") if n.isdigit()]
    return _action(request, pk, partial(import_job_commit, confirmed_rows=confirmed),
                   "Import started: valid rows are being saved.")


@require_POST
@msp_view(Op.IMPORT)
def job_undo(request, pk):
    return _action(request, pk, import_job_undo, "Undone: what this import created is removed and what it "
                                                 "updated is back as it was.")


@require_POST
@msp_view(Op.IMPORT)
def job_cancel(request, pk):
    return _action(request, pk, import_job_cancel, "Cancelling: the batch in progress finishes or rolls back.")


@require_POST
@msp_view(Op.IMPORT)
def job_resume(request, pk):
    return _action(request, pk, import_job_resume, "Resumed after the last saved batch.")


@msp_view(Op.IMPORT)
def failed_rows(request, pk):
    job = _job(request, pk)
    response = StreamingHttpResponse(failed_rows_csv(msp=request.msp, job=job), content_type="text/csv; charset=utf-8")
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-failed-rows.csv"'
    return response
