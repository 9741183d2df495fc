"""Technician ticket pages: list (filters, constant queries), new ticket, detail
with the conversation, reply / internal note, status-priority-assignee changes,
downloads."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from accounts.permissions import Op, require
from clients.selectors import client_pickable
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import ObjectEditView

from ..filtersets import TicketFilterSet
from ..forms import TicketCreateForm, TicketReplyForm, TicketUpdateForm, add_service_errors
from ..models import Ticket, TicketAttachment, TicketComment
from ..services import ticket_comment_add, ticket_update

LIST_FILTERS = ("q", "status", "priority", "source", "client", "site", "assigned_to")


class _OneOf(forms.Select):
    """A single <select> for a multiple-choice filter (?status=open&status=new still works)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [v for v in values if v]


class TicketListFilterSet(TicketFilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        for name, label in (("status", "Any status"), ("priority", "Any priority"), ("source", "Any source")):
            fields[name].widget = _OneOf(choices=[("", label), *fields[name].choices])
        client = self.form["client"].value() if self.is_bound else None
        site_qs = fields["site"].queryset
        fields["site"].queryset = site_qs.filter(client_id=client) if str(client or "").isdigit() else site_qs.none()
        fields["q"].widget.attrs["placeholder"] = "Subject or #number"
        for name, label in (("client", "Any client"), ("site", "Any site"), ("assigned_to", "Anyone")):
            fields[name].empty_label = label


def ticket_list_queryset(*, msp):
    return (Ticket.objects.filter(msp=msp)
            .select_related("client", "contact", "site", "assigned_to")
            .order_by("-created_at", "-pk"))


@method_decorator(login_required, name="dispatch")
class TicketListView(ListView):
    template_name = "tickets/ticket_list.html"
    context_object_name = "tickets"
    paginate_by = 50

    def get_queryset(self):
        require(self.request.user, Op.VIEW)
        self.filterset = TicketListFilterSet(self.request.GET or None, request=self.request,
                                             queryset=ticket_list_queryset(msp=self.request.msp))
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        context.update(
            # Sites are offered once a client is chosen (an MSP can have thousands).
            filter_fields=[form[name] for name in LIST_FILTERS
                           if name != "site" or str(self.request.GET.get("client", "")).isdigit()],
            is_filtered=any(self.request.GET.get(name) for name in self.filterset.form.fields),
        )
        return context


class TicketCreateView(ObjectEditView):
    """New ticket by a technician. `?client=<pk>` preselects the client (the client's
    Tickets tab links here); an htmx request with `?client=` answers only the
    contact / site / asset selects of that client. A client of another MSP, missing
    or archived, is 404 either way."""

    form_class = TicketCreateForm
    template_name = "tickets/ticket_form.html"
    permission = Op.TICKET_WORK
    heading = "New ticket"
    success_message = "Created ticket {object}."

    def dispatch(self, request, *args, **kwargs):
        self.prefill_client = None
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        client = request.GET.get("client", "")
        if client:
            if not client.isdigit():
                raise Http404("No such client.")
            self.prefill_client = msp_get_or_404(client_pickable(msp=self.msp), msp=self.msp, pk=int(client))
        if request.htmx:
            self.object = None
            form = self.form_class(**self.get_form_kwargs())
            return render(request, "tickets/_ticket_client_fields.html", {"form": form})
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        initial = {"priority": Ticket.Priority.NORMAL}
        if self.prefill_client is not None:
            initial["client"] = self.prefill_client
        initial["assigned_to"] = self.request.user  # technicians usually log their own work
        return initial

    def get_success_url(self, obj):
        return reverse("tickets:detail", kwargs={"pk": obj.pk})

    def get_cancel_url(self):
        if self.prefill_client is not None:
            return reverse("clients:tickets", kwargs={"pk": self.prefill_client.pk})
        return reverse("tickets:list")

    def get_context_data(self, **kwargs):
        return {**kwargs, "client": kwargs["form"].client}


def _ticket(request, pk) -> Ticket:
    return msp_get_or_404(Ticket.objects.select_related("client", "contact", "site", "asset", "assigned_to"),
                          msp=request.msp, pk=pk)


def _detail(request, ticket, *, reply_form=None, update_form=None, status=200):
    comments = (TicketComment.objects.filter(msp=request.msp, ticket=ticket)
                .select_related("author_user", "author_contact")
                .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.filter(msp=request.msp)
                                                    .order_by("pk"))))
    return render(request, "tickets/ticket_detail.html", {
        "ticket": ticket,
        "comments": comments,
        "ticket_attachments": TicketAttachment.objects.filter(msp=request.msp, ticket=ticket, comment__isnull=True),
        "reply_form": reply_form or TicketReplyForm(),
        "update_form": update_form or TicketUpdateForm(instance=ticket, msp=request.msp),
    }, status=status)


@login_required
def ticket_detail(request, pk):
    require(request.user, Op.VIEW)
    return _detail(request, _ticket(request, pk))


@login_required
@require_POST
def ticket_reply(request, pk):
    ticket = _ticket(request, pk)
    require(request.user, Op.TICKET_WORK)
    form = TicketReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket_comment_add(msp=request.msp, ticket=ticket, body=form.cleaned_data["body"],
                               author_user=request.user, is_internal=form.cleaned_data["is_internal"],
                               attachments=form.cleaned_data["attachments"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Internal note added." if form.cleaned_data["is_internal"] else "Reply sent.")
            return redirect("tickets:detail", pk=ticket.pk)
    return _detail(request, ticket, reply_form=form, status=400)


@login_required
@require_POST
def ticket_change(request, pk):
    ticket = _ticket(request, pk)
    require(request.user, Op.TICKET_WORK)
    form = TicketUpdateForm(request.POST, instance=_ticket(request, pk), msp=request.msp)  # a copy the form may edit
    if form.is_valid():
        try:
            ticket_update(msp=request.msp, ticket=ticket, actor=request.user,
                          **{name: form.cleaned_data[name] for name in form.Meta.fields})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Ticket updated.")
            return redirect("tickets:detail", pk=ticket.pk)
    return _detail(request, ticket, update_form=form, status=400)


@login_required
def attachment_download(request, pk, attachment_pk):
    require(request.user, Op.VIEW)
    attachment = msp_get_or_404(TicketAttachment.objects.all(), msp=request.msp, pk=attachment_pk, ticket_id=pk)
    return attachment_response(attachment)


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """Always a download (never rendered inline), with our own content type."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
