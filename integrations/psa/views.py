"""Settings → Integrations → PSA: connect (a form from the connector's credential
fields), the connection page (status, settings, field ownership, run history), the
match review, conflicts; and the client's PSA tab. Thin: every write is a service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import path, reverse

from accounts.permissions import Op
from clients.selectors import client_get
from clients.views.tabs import ClientTabView
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView

from . import selectors, services
from .connectors import CONNECTORS, PsaError, load_all
from .models import (
    COMPANY_SYNC_FIELDS,
    CONTACT_SYNC_FIELDS,
    OWNER_CHOICES,
    Conflict,
    PsaSyncRun,
)

REVIEW_PAGE = 50


class ConnectForm(forms.Form):
    base_url = forms.URLField(label="API URL", max_length=255, assume_scheme="https")

    def __init__(self, *args, connector, connection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_url"].help_text = getattr(connector, "base_url_help", "The product's API address.")
        for f in connector.credential_fields:
            if f.secret:
                self.fields[f.name] = forms.CharField(
                    label=f.label, required=f.required and connection is None, max_length=500,
                    widget=forms.PasswordInput(render_value=False),
                    help_text=(f.help + " " if f.help else "") + (
                        "Stored encrypted, never shown again; leave blank to keep it." if connection else
                        "Stored encrypted, never shown again."))
            else:
                self.fields[f.name] = forms.CharField(label=f.label, required=f.required, max_length=255,
                                                      help_text=f.help)


def _connector(kind: str):
    load_all()
    if kind not in CONNECTORS:
        raise Http404("No such PSA.")
    return CONNECTORS[kind]


class PsaIndexView(MspView):
    permission = Op.SETTINGS

    def get(self, request):
        return render(request, "psa/index.html", {"cards": selectors.connection_cards(msp=self.msp)})


class PsaConnectView(MspView):
    """?kind=connectwise|autotask|halopsa: the connect (or change credentials) form."""

    permission = Op.SETTINGS

    def _context(self, request):
        connector = _connector(request.GET.get("kind", ""))
        connection = self.msp_connection(connector.kind)
        return connector, connection

    def msp_connection(self, kind):
        from .models import PsaConnection

        return PsaConnection.objects.filter(msp=self.msp, kind=kind).first()

    def _render(self, request, connector, connection, form, status=200):
        return render(request, "psa/connect.html", {"connector": connector, "connection": connection,
                                                    "form": form}, status=status)

    def get(self, request):
        if request.GET.get("kind", "") not in load_all():
            return HttpResponseRedirect(reverse("settings:psa"))
        connector, connection = self._context(request)
        initial = {"base_url": connection.base_url, **connection.credentials} if connection else {}
        return self._render(request, connector, connection,
                            ConnectForm(connector=connector, connection=connection, initial=initial))

    def post(self, request):
        connector, connection = self._context(request)
        form = ConnectForm(request.POST, connector=connector, connection=connection)
        if not form.is_valid():
            return self._render(request, connector, connection, form, status=400)
        data = dict(form.cleaned_data)
        try:
            connection = services.connection_connect(msp=self.msp, kind=connector.kind, base_url=data.pop("base_url"),
                                                     credentials=data, actor=request.user, connection=connection)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self._render(request, connector, connection, form, status=400)
        if connection.stage == connection.Stage.REVIEW:
            services.sync_enqueue(msp=self.msp, connection=connection, trigger=PsaSyncRun.Trigger.CONNECT,
                                  actor=request.user)
            messages.success(request, f"{connector.label} answered. Its companies are being read for the match "
                                      "review.")
        else:
            messages.success(request, f"{connector.label} credentials saved.")
        return HttpResponseRedirect(reverse("settings:psa_connection", args=[connection.pk]))


class ConnectionMixin:
    def connection(self):
        return selectors.connection_get(msp=self.msp, pk=self.kwargs["psa_connection"])


class PsaConnectionView(ConnectionMixin, MspView):
    permission = Op.SETTINGS

    def get(self, request, psa_connection):
        connection = self.connection()
        runs = list(PsaSyncRun.objects.filter(msp=self.msp, connection=connection)[:10])
        ownership = [(entity, label, [(f, connection.owner(entity, f)) for f in fields])
                     for entity, label, fields in (("company", "Company → client", COMPANY_SYNC_FIELDS),
                                                   ("contact", "Contact", CONTACT_SYNC_FIELDS))]
        return render(request, "psa/connection.html", {
            "connection": connection, "runs": runs, "ownership": ownership, "owner_choices": OWNER_CHOICES,
            "review": selectors.review_counts(msp=self.msp, connection=connection),
            "open_conflicts": Conflict.objects.filter(msp=self.msp, connection=connection, state="open").count(),
            "connector": CONNECTORS.get(connection.kind),
        })

    def post(self, request, psa_connection):
        connection = self.connection()
        action = request.POST.get("action")
        if action == "sync":
            services.sync_enqueue(msp=self.msp, connection=connection, actor=request.user,
                                  full=request.POST.get("full") == "1")
            messages.success(request, "Sync queued.")
        elif action == "disconnect":
            services.connection_disconnect(msp=self.msp, connection=connection, actor=request.user)
            messages.success(request, f"{connection.label} disconnected. Clients, contacts and tickets are kept.")
            return HttpResponseRedirect(reverse("settings:psa"))
        elif action == "settings":
            ownership = {entity: {f: request.POST.get(f"own_{entity}_{f}", "") for f in fields}
                         for entity, fields in (("company", COMPANY_SYNC_FIELDS), ("contact", CONTACT_SYNC_FIELDS))}
            try:
                interval = max(5, int(request.POST.get("interval_minutes") or 15))
            except ValueError:
                interval = 15
            try:
                services.connection_settings(
                    msp=self.msp, connection=connection, actor=request.user, ownership=ownership,
                    enabled="enabled" in request.POST, import_new="import_new" in request.POST,
                    push_new_contacts="push_new_contacts" in request.POST,
                    sync_tickets="sync_tickets" in request.POST, interval_minutes=interval)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Sync settings saved.")
        return HttpResponseRedirect(reverse("settings:psa_connection", args=[connection.pk]))


class PsaReviewView(ConnectionMixin, MspView):
    """The match review: PSA companies with their suggested client (exact id, domain,
    name), confirm / link by hand / import as new / ignore; OpsMerge clients the PSA
    lacks, to push; Finish starts the two-way sync."""

    permission = Op.SETTINGS
    STATES = ("suggested", "unmatched", "linked", "ignored")

    def get(self, request, psa_connection):
        connection = self.connection()
        state = request.GET.get("state") or "suggested"
        state = state if state in self.STATES else "suggested"
        links = selectors.review_links(msp=self.msp, connection=connection, state=state)
        page = Paginator(links, REVIEW_PAGE).get_page(request.GET.get("page"))
        unlinked = selectors.unlinked_clients(msp=self.msp, connection=connection)
        counts = selectors.review_counts(msp=self.msp, connection=connection)
        return render(request, "psa/review.html", {
            "connection": connection, "state": state, "page": page,
            "states": [(s, counts.get(s, 0)) for s in self.STATES],
            "unlinked": unlinked[:REVIEW_PAGE], "unlinked_count": unlinked.count(),
            "client_choices": unlinked.only("pk", "name")[:500],
        })

    def post(self, request, psa_connection):
        connection = self.connection()
        action, actor = request.POST.get("action"), request.user
        ids = [int(i) for i in request.POST.getlist("link") if i.isdigit()]
        state = request.POST.get("state", "suggested")
        try:
            if action in ("confirm", "confirm_all"):
                if action == "confirm_all":
                    ids = selectors.link_ids(msp=self.msp, connection=connection, state="suggested")
                n = services.review_confirm(msp=self.msp, connection=connection, link_ids=ids, actor=actor)
                messages.success(request, f"{n} match{pluralize(n, 'es')} confirmed.")
            elif action in ("import", "import_all"):
                if action == "import_all":
                    ids = selectors.link_ids(msp=self.msp, connection=connection, state="unmatched")
                n = services.review_import(msp=self.msp, connection=connection, link_ids=ids, actor=actor)
                messages.success(request, f"{n} new client{pluralize(n)} imported.")
            elif action == "link":
                pk = request.POST.get("client", "")
                if not pk.isdigit() or not ids:
                    raise ValidationError("Choose a client to link.")
                client = client_get(msp=self.msp, pk=int(pk))
                link = services.review_link(msp=self.msp, connection=connection, link_id=ids[0], client=client,
                                            actor=actor)
                messages.success(request, f"{link.name} linked to {client.name}.")
            elif action == "ignore" and ids:
                services.review_ignore(msp=self.msp, connection=connection, link_id=ids[0], actor=actor)
                messages.success(request, "Ignored: it stays out of OpsMerge.")
            elif action == "push":
                pk = request.POST.get("client", "")
                client = client_get(msp=self.msp, pk=int(pk)) if pk.isdigit() else None
                if client is None:
                    raise ValidationError("Choose a client to push.")
                link = services.review_push(msp=self.msp, connection=connection, client=client, actor=actor)
                messages.success(request, f"{client.name} created in {connection.label} (id {link.external_id}).")
            elif action == "finish":
                services.review_finish(msp=self.msp, connection=connection, actor=actor)
                messages.success(request, "Review finished: OpsMerge and the PSA now sync both ways.")
                return HttpResponseRedirect(reverse("settings:psa_connection", args=[connection.pk]))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PsaError as exc:
            messages.error(request, f"{connection.label}: {exc.describe()}")
        return HttpResponseRedirect(f"{reverse('settings:psa_review', args=[connection.pk])}?state={state}")


class PsaConflictsView(ConnectionMixin, MspView):
    permission = Op.SETTINGS

    def get(self, request, psa_connection):
        connection = self.connection()
        conflicts = selectors.open_conflicts(msp=self.msp, connection=connection)
        page = Paginator(conflicts, REVIEW_PAGE).get_page(request.GET.get("page"))
        return render(request, "psa/conflicts.html", {"connection": connection, "page": page})

    def post(self, request, psa_connection):
        connection = self.connection()
        pk = request.POST.get("conflict", "")
        conflict = msp_get_or_404(Conflict.objects.filter(connection=connection), msp=self.msp,
                                  pk=int(pk) if pk.isdigit() else 0)
        try:
            services.conflict_resolve(msp=self.msp, conflict=conflict, choice=request.POST.get("choice", ""),
                                      actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            kept = "OpsMerge's" if request.POST.get("choice") == "ours" else f"{connection.label}'s"
            messages.success(request, f"Kept {kept} value; the next sync sends it to the other side.")
        return HttpResponseRedirect(reverse("settings:psa_conflicts", args=[connection.pk]))


class ClientPsaView(ClientTabView):
    """The client's PSA tab: its PSA companies, linked contacts, tickets, conflicts."""

    template_name = "psa/client_tab.html"
    active_tab = "psa"

    def tab_context(self, client) -> dict:
        return selectors.client_tab(msp=self.msp, client=client)


def urls() -> list:
    return [
        path("psa/", PsaIndexView.as_view(), name="psa"),
        path("psa/connect/", PsaConnectView.as_view(), name="psa_connect"),
        path("psa/<int:psa_connection>/", PsaConnectionView.as_view(), name="psa_connection"),
        path("psa/<int:psa_connection>/review/", PsaReviewView.as_view(), name="psa_review"),
        path("psa/<int:psa_connection>/conflicts/", PsaConflictsView.as_view(), name="psa_conflicts"),
    ]
