"""The Contacts tab of the client page."""

from __future__ import annotations

from clients.views.tabs import ClientTabView
from opsmerge.registry import annotations_for

from ..models import Contact
from ..selectors import contact_tags_prefetch


class ClientContactsTab(ClientTabView):
    template_name = "clients/tab_contacts.html"
    active_tab = "contacts"

    def tab_context(self, client):
        contacts = (
            Contact.objects.filter(msp=self.msp, client=client).alive().select_related("organisation")
            .annotate(**annotations_for("contacts.Contact", on_list=True))
            .prefetch_related(contact_tags_prefetch(self.msp))
            .order_by("-is_primary", "-is_active", "last_name", "first_name", "organisation_name")
        )
        return {"contacts": contacts}
