"""Soft delete, the Super Admin's "Deleted contacts" view and restore, and merging
contacts of one client."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import Op
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView, ObjectActionView, ObjectListView

from ..lifecycle import contact_delete, contact_deleted_list, contact_restore
from ..merge import contacts_merge
from ..models import Contact
from ..tables import DeletedContactTable

PICKER_LIMIT = 50


class DeletedContactListView(ObjectListView):
    template_name = "contacts/deleted_list.html"
    url_name = "contacts:deleted"
    permission = Op.CONTACT_RESTORE
    table_class = DeletedContactTable

    def get_queryset(self):
        qs = contact_deleted_list(msp=self.msp)
        q = self.request.GET.get("q", "").strip()
        return qs.filter(email__icontains=q) | qs.filter(last_name__icontains=q) if q else qs

    def apply_sort(self, queryset, key):
        return queryset  # newest deletions first (contact_deleted_list)


class ContactDeleteView(MspView):
    permission = Op.CONTACT_DELETE

    def get_contact(self, pk):
        return msp_get_or_404(Contact.objects.alive().select_related("client"), msp=self.msp, pk=pk)

    def get(self, request, pk):
        return render(request, "contacts/delete_confirm.html", {"contact": self.get_contact(pk)})

    def post(self, request, pk):
        contact = self.get_contact(pk)
        contact_delete(msp=self.msp, contact=contact, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, f"Deleted {contact}. A Super Admin can restore it from Deleted contacts.")
        if contact.client_id:
            return HttpResponseRedirect(reverse("clients:contacts", kwargs={"pk": contact.client_id}))
        return HttpResponseRedirect(reverse("contacts:list"))


class ContactRestoreView(ObjectActionView):
    write_permission = Op.CONTACT_RESTORE

    def get_object(self):
        return msp_get_or_404(Contact.objects.all(), msp=self.msp, pk=self.kwargs["pk"])

    def perform(self, contact) -> str:
        contact_restore(msp=self.msp, contact=contact, actor=self.request.user)
        return f"Restored {contact}."

    def get_success_url(self, contact) -> str:
        return reverse("contacts:deleted")


class ContactMergeView(MspView):
    """GET ?ids=…: pick the winner among contacts of one client; POST merges."""

    permission = Op.CONTACT_MERGE

    def contacts(self, data):
        ids = [int(v) for v in data.getlist("ids") if str(v).isdigit()]
        found = Contact.objects.filter(msp=self.msp).alive().select_related("client").in_bulk(ids)
        if len(found) != len(set(ids)):  # missing, deleted or another MSP's: 404, as one by one
            raise Http404
        return [found[pk] for pk in ids]

    def render_page(self, contacts, errors=(), status=200):
        return render(self.request, "contacts/merge.html", {"contacts": contacts, "errors": list(errors)},
                      status=status)

    def get(self, request):
        contacts = self.contacts(request.GET)
        if len(contacts) == 1:  # "Merge with…" from a contact's page: pick the others first
            return self.render_picker(contacts[0], request.GET.get("q", "").strip()[:100])
        return self.render_page(contacts)

    def render_picker(self, contact, q: str):
        """Other live contacts of the same client (only those can merge), people
        with the same name first; `q` narrows by name or email."""
        others = Contact.objects.filter(msp=self.msp, client_id=contact.client_id).alive().exclude(pk=contact.pk)
        if q:
            others = others.filter(Q(first_name__icontains=q) | Q(last_name__icontains=q)
                                   | Q(organisation_name__icontains=q) | Q(email__iexact=q) | Q(email__istartswith=q))
        alike = Q(last_name__iexact=contact.last_name, first_name__iexact=contact.first_name,
                  organisation_name__iexact=contact.organisation_name)
        others = others.annotate(alike=Case(When(alike, then=Value(0)), default=Value(1))).order_by(
            "alike", "last_name", "first_name", "organisation_name", "pk")[:PICKER_LIMIT]
        return render(self.request, "contacts/merge_pick.html", {"contact": contact, "others": others, "q": q})

    def post(self, request):
        contacts = self.contacts(request.POST)
        winner = next((c for c in contacts if str(c.pk) == request.POST.get("winner")), None)
        if winner is None:
            return self.render_page(contacts, errors=["Choose the contact that stays."], status=422)
        try:
            contacts_merge(msp=self.msp, winner=winner, losers=[c for c in contacts if c.pk != winner.pk],
                           actor=request.user)
        except ValidationError as exc:
            return self.render_page(contacts, errors=exc.messages, status=422)
        messages.success(request, f"Merged into {winner}; tickets and assets follow.")
        return HttpResponseRedirect(reverse("contacts:detail", kwargs={"pk": winner.pk}))
