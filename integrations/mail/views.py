"""Settings → Email: the support mailbox (save, "Test connection", "Poll now") and
the latest inbound messages with what became of each (failed ones with the reason)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import path, reverse

from opsmerge.forms import MspForm
from opsmerge.views.generic import MspView

from . import imap, services
from .models import InboundMessage


class MailboxForm(forms.Form):
    host = forms.CharField(label="IMAP server", max_length=255, help_text="imap.example.com")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993)
    use_tls = forms.BooleanField(label="TLS (IMAPS)", required=False, initial=True)
    username = forms.CharField(max_length=255)
    password = forms.CharField(required=False, max_length=255, widget=forms.PasswordInput(render_value=False),
                               help_text="Stored encrypted, never shown again. Leave blank to keep the stored one.")
    folder = forms.CharField(max_length=255, initial="INBOX")
    address = forms.EmailField(label="Support address", required=False,
                               help_text="The address customers write to; mail from it never becomes a ticket.")
    is_active = forms.BooleanField(label="Poll every minute", required=False, initial=True)


class EmailSettingsView(MspView):
    permission = "settings"
    template_name = "mail/settings.html"

    def _render(self, request, form, mailbox, status=200):
        shown = request.GET.get("status", "")
        return render(request, self.template_name, {
            "form": form, "mailbox": mailbox, "status_filter": shown,
            "statuses": InboundMessage.Status.choices,
            "inbound": services.inbound_list(msp=self.msp, status=shown if shown in InboundMessage.Status.values
                                             else ""),
        }, status=status)

    def get(self, request):
        mailbox = services.mailbox_get(msp=self.msp)
        initial = {name: getattr(mailbox, name) for name in services.MAILBOX_FIELDS} if mailbox else {}
        return self._render(request, MailboxForm(initial=initial or None), mailbox)

    def post(self, request):
        mailbox = services.mailbox_get(msp=self.msp)
        action = request.POST.get("action", "save")
        if action == "poll" and mailbox is not None:
            result = imap.mailbox_poll(msp=self.msp, mailbox=mailbox)
            if result.error:
                messages.error(request, f"Polling failed: {result.error}")
            else:
                messages.success(request, f"{result.fetched} new message{pluralize(result.fetched)} processed.")
            return HttpResponseRedirect(reverse("settings:email"))
        form = MailboxForm(data=request.POST)
        if not form.is_valid():
            return self._render(request, form, mailbox, status=400)
        try:
            mailbox = services.mailbox_save(msp=self.msp, actor=request.user, **form.cleaned_data)
            if action == "test":
                count = imap.mailbox_test(mailbox=mailbox)
                messages.success(request, f"Connected: {mailbox.folder} holds {count} message{pluralize(count)}.")
            else:
                messages.success(request, "Mailbox saved.")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self._render(request, form, services.mailbox_get(msp=self.msp), status=400)
        return HttpResponseRedirect(reverse("settings:email"))


def settings_urls() -> list:
    return [path("email/", EmailSettingsView.as_view(), name="email")]


class TicketAssignClientView(MspView):
    """POST client=<pk>: a triage ticket joins that client (tickets without a client only)."""

    permission = "ticket_work"
    http_method_names = ["post"]

    def post(self, request, ticket_pk: int):
        from clients.selectors import client_get
        from tickets.selectors import ticket_get

        from .triage import ticket_assign_client

        ticket = ticket_get(msp=self.msp, pk=ticket_pk)
        target = reverse("tickets:detail", kwargs={"pk": ticket.pk})
        pk = request.POST.get("client", "")
        try:
            if not pk.isdigit():
                raise ValidationError("Choose a client.")
            client = client_get(msp=self.msp, pk=int(pk))
            ticket_assign_client(msp=self.msp, ticket=ticket, client=client, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(target)
        messages.success(request, f"Ticket #{ticket.number} now belongs to {client.name}.")
        return HttpResponseRedirect(target)


class AnnouncementForm(MspForm):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8}))


def _announce(*, request, queryset, data):
    from opsmerge.views.bulk_actions import selected_ids

    from .announcements import announcement_create

    ids = selected_ids(queryset)
    announcement = announcement_create(msp=request.msp, client_ids=ids, subject=data["subject"], body=data["body"],
                                       actor=request.user)
    recipients = announcement.recipients.count()
    return (f"Announcement “{announcement.subject}” is being sent to {recipients} primary "
            f"contact{pluralize(recipients)} of {len(ids)} client{pluralize(len(ids))}.")


def announcement_action():
    from accounts.permissions import Op
    from opsmerge.views.generic import BulkAction

    return BulkAction("announce", "Send announcement", Op.BULK_EDIT, _announce, AnnouncementForm,
                      confirm="Email the primary contacts of {count} {noun}? Archived clients and inactive or "
                              "deleted contacts are left out.")
