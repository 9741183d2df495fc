"""The client page: its base tab view, and the tabs the clients app owns (overview,
documents, activity). Other apps add tabs (contacts, sites, assets, tickets, billing,
Microsoft 365) through opsmerge.registry.client_tabs, and cards on the overview
through opsmerge.registry.panels."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from accounts.permissions import Op
from opsmerge.files import download_name, file_response, safe_extension
from opsmerge.forms import save_or_errors
from opsmerge.models import AuditEvent
from opsmerge.registry import annotations_for
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView, ObjectDetailView

from ..business_hours import business_hours_for
from ..forms import DocumentUploadForm
from ..models import LOGO_CACHE_SECONDS, Client, ClientDocument, CustomField
from ..selectors import client_get


class ClientTabView(ObjectDetailView):
    """A tab of the client page; `active_tab` is its key in opsmerge.registry.client_tabs.
    Subclasses (in the app that owns the tab's rows) give `template_name`,
    `active_tab` and `tab_context(client)`."""

    context_object_name = "client"
    active_tab = "overview"

    def get_object(self):
        return client_get(msp=self.msp, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        from .merge import merged_client_redirect  # old URLs of a merged-away client lead to its target

        redirect = merged_client_redirect(msp=self.msp, pk=kwargs["pk"], url_name=request.resolver_match.view_name)
        return redirect or super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**kwargs, "active_tab": self.active_tab, **self.tab_context(kwargs["client"])}

    def tab_context(self, client) -> dict:
        return {}


class ClientDetailView(ClientTabView):
    """The overview: the client's details, plus every count and card other apps
    registered for clients (one query for all the counts)."""

    template_name = "clients/client_detail.html"

    def get_object(self):
        client = super().get_object()
        counts = annotations_for("clients.Client")
        if counts:
            values = Client.objects.filter(msp=self.msp, pk=client.pk).annotate(**counts).values(*counts).get()
            for name, value in values.items():
                setattr(client, name, value)
        return client

    def tab_context(self, client):
        msp = self.msp
        hours, holidays = business_hours_for(msp=msp, client=client)
        definitions = CustomField.objects.filter(msp=msp, applies_to=CustomField.AppliesTo.CLIENT)
        return {
            "domains": list(client.domains.all()),
            "tags": list(client.tags.order_by("name")),
            "tech_groups": list(client.tech_groups.all()),
            "recent": list(AuditEvent.objects.filter(msp=msp, client=client).select_related("actor")[:8]),
            "hours": hours, "holidays": holidays,
            "custom_values": [(d.label, client.custom_fields.get(d.key)) for d in definitions
                              if client.custom_fields.get(d.key) not in (None, "")],
        }


class ClientDocumentsTab(ClientTabView):
    template_name = "clients/tab_documents.html"
    active_tab = "documents"

    def tab_context(self, client):
        form = getattr(self, "upload_form", None) or DocumentUploadForm(msp=self.msp, user=self.request.user,
                                                                         client=client)
        return {"documents": ClientDocument.objects.filter(msp=self.msp, client=client).select_related("uploaded_by"),
                "form": form}


class ClientDocumentUploadView(ClientDocumentsTab):
    """POST the upload form of the Documents tab."""

    http_method_names = ["post"]
    write_permission = Op.CLIENT_EDIT

    def post(self, request, *args, **kwargs):
        client = self.get_object()
        form = DocumentUploadForm(request.POST, request.FILES, msp=self.msp, user=request.user, client=client)
        document = save_or_errors(form, actor=request.user)
        if document is not None:
            messages.success(request, f"Uploaded {document.name}.")
            return HttpResponseRedirect(reverse("clients:documents", kwargs={"pk": client.pk}))
        self.upload_form = form
        return self.get(request, *args, **kwargs)


class DocumentDownloadView(MspView):
    """A client document: a download, or shown inline when its bytes are a raster
    image (opsmerge.files.file_response)."""

    def get(self, request, client_pk, document_pk):
        client = client_get(msp=self.msp, pk=client_pk)
        document = msp_get_or_404(ClientDocument.objects.all(), msp=self.msp, pk=document_pk, client=client)
        return file_response(document.file, filename=download_name(document.name, document.file.name),
                             content_type=document.content_type, inline_image=True)


class ClientLogoView(MspView):
    """The client's logo, inline when it really is a raster image. Its URL carries
    `?v=<version>` (Client.logo_src), so the browser may keep it for a day."""

    def get(self, request, pk):
        client = client_get(msp=self.msp, pk=pk)
        if not client.logo:
            raise Http404("This client has no logo.")
        return file_response(client.logo, filename=f"logo{safe_extension(client.logo.name)}", inline_image=True,
                             cache_seconds=LOGO_CACHE_SECONDS)


class DocumentDeleteView(MspView):
    http_method_names = ["post"]
    write_permission = Op.CLIENT_EDIT

    def post(self, request, client_pk, document_pk):
        from ..documents import document_delete

        client = client_get(msp=self.msp, pk=client_pk)
        document = msp_get_or_404(ClientDocument.objects.all(), msp=self.msp, pk=document_pk, client=client)
        document_delete(msp=self.msp, document=document, actor=request.user)
        messages.success(request, f"Deleted {document.name}.")
        return HttpResponseRedirect(reverse("clients:documents", kwargs={"pk": client.pk}))


class ClientActivityTab(ClientTabView):
    template_name = "clients/tab_activity.html"
    active_tab = "activity"
    permission = Op.AUDIT_VIEW

    def tab_context(self, client):
        from opsmerge.views.activity import activity_page

        return activity_page(self.request, AuditEvent.objects.filter(msp=self.msp, client=client))
