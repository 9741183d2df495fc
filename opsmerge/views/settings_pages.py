"""Settings index: one card per page an app registered (opsmerge.registry.settings_pages)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from opsmerge.permissions import permissions_for
from opsmerge.registry import settings_pages
from opsmerge.tenancy import msp_get_or_404

from .generic import ObjectEditView, msp_view


@msp_view("settings")
def settings_index(request):
    allowed = permissions_for(request.user)
    cards = []
    for page in settings_pages:
        if page.op not in allowed:
            continue
        try:
            url = reverse(page.url_name)
        except NoReverseMatch:
            continue
        count = page.count(msp=request.msp) if page.count is not None else None
        cards.append({"label": page.label, "url": url, "description": page.description, "count": count})
    return render(request, "settings/index.html", {"cards": cards})


class SettingsObjectEditView(ObjectEditView):
    """New / edit one object of a settings page (a tech group, a custom field …):
    give `form_class`, `model`, `pk_kwarg` (the URL kwarg of an existing object),
    `list_url_name` (the page it belongs to) and `noun`."""

    permission = "settings"
    template_name = "settings/form.html"
    model = None
    pk_kwarg = ""
    list_url_name = ""
    noun = ""

    @property
    def success_message(self) -> str:
        return f"{self.noun.capitalize()} {{object}} saved."

    def get_object(self):
        if self.pk_kwarg not in self.kwargs:
            return None
        return msp_get_or_404(self.model.objects.all(), msp=self.msp, pk=self.kwargs[self.pk_kwarg])

    def get_context_data(self, **kwargs):
        return {**kwargs, "heading": f"Edit {self.object}" if self.object else f"New {self.noun}",
                "section_url": reverse(self.list_url_name)}

    def get_success_url(self, obj):
        return reverse(self.list_url_name)

    def get_cancel_url(self):
        return reverse(self.list_url_name)
