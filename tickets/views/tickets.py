"""Technician ticket pages over opsmerge.views.generic: the list (filters, constant
queries), new ticket, the detail with the conversation, reply / internal note,
status-priority-assignee changes, and attachment downloads. Reading is Op.VIEW,
every write Op.TICKET_WORK, both through the one guard."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import Op
from clients.selectors import client_pickable
from opsmerge.files import file_response
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView, ObjectDetailView, ObjectEditView, ObjectListView

from ..filtersets import TicketListFilterSet
from ..forms import TicketCreateForm, TicketReplyForm, TicketUpdateForm
from ..models import Ticket, TicketAttachment
from ..selectors import ticket_attachment_get, ticket_attachments, ticket_comments, ticket_get, ticket_list
from ..sla.policies import ticket_sla
from ..tables import TicketTable


class TicketListView(ObjectListView):
    template_name = "tickets/ticket_list.html"
    url_name = "tickets:list"
    filterset_class = TicketListFilterSet
    table_class = TicketTable
    permission = Op.VIEW

    def get_queryset(self):
        return ticket_list(msp=self.msp)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(tickets=context["object_list"], filter_fields=context["filterset"].shown_fields())
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


class TicketDetailView(ObjectDetailView):
    template_name = "tickets/ticket_detail.html"
    context_object_name = "ticket"
    permission = Op.VIEW

    def get_object(self):
        return ticket_get(msp=self.msp, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ticket, user = kwargs["ticket"], self.request.user
        context = {
            "comments": ticket_comments(msp=self.msp, ticket=ticket),
            "ticket_attachments": ticket_attachments(msp=self.msp, ticket=ticket),
            "reply_form": TicketReplyForm(msp=self.msp, user=user, ticket=ticket),
            "update_form": TicketUpdateForm(msp=self.msp, user=user, instance=ticket),
            "sla": ticket_sla(msp=self.msp, ticket=ticket),
        }
        return {**context, **kwargs}  # a form posted with errors replaces the blank one


class TicketFormPostView(ObjectEditView):
    """A form posted from the ticket page (Op.TICKET_WORK). Invalid: the ticket page
    again with the form's errors, status 400."""

    http_method_names = ["post"]
    permission = Op.TICKET_WORK
    form_name: str = ""

    def get_object(self):
        return ticket_get(msp=self.msp, pk=self.kwargs["pk"])

    def get_success_url(self, obj):
        return reverse("tickets:detail", kwargs={"pk": self.object.pk})

    def render_form(self, form, status=200):
        detail = TicketDetailView(request=self.request, kwargs=self.kwargs)
        context = {"object": self.object, "ticket": self.object, "view": detail, self.form_name: form}
        return render(self.request, detail.template_name, detail.get_context_data(**context), status=400)


class TicketReplyView(TicketFormPostView):
    form_class = TicketReplyForm
    form_name = "reply_form"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "ticket": self.object}

    @property
    def success_message(self) -> str:
        internal = forms.CheckboxInput().value_from_datadict(self.request.POST, None, "is_internal")
        return "Internal note added." if internal else "Reply sent."


class TicketUpdateView(TicketFormPostView):
    form_class = TicketUpdateForm
    form_name = "update_form"
    success_message = "Ticket updated."

    def get_form_kwargs(self):
        # The form edits a copy: the page shown again on errors keeps the saved values.
        return {**super().get_form_kwargs(), "instance": self.get_object()}


class TicketAttachmentView(MspView):
    permission = Op.VIEW

    def get(self, request, pk, attachment_pk):
        return attachment_response(ticket_attachment_get(msp=self.msp, ticket_pk=pk, pk=attachment_pk))


def attachment_response(attachment: TicketAttachment):
    """A download with our own content type, except a real raster image (PNG, JPEG,
    GIF, WebP by its bytes), which opens in the browser: opsmerge.files.file_response."""
    return file_response(attachment.file, filename=attachment.name, content_type=attachment.content_type,
                         inline_image=True)
