"""One object's views: detail, create/edit through a form whose save() calls a service, and a
POST-only action button."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render

from opsmerge.forms import save_or_errors
from opsmerge.links import object_url

from .base import MspView


class ObjectDetailView(MspView):
    """Implement `get_object()` with the app's selector (404 for foreign ids)."""

    template_name: str = ""
    context_object_name: str = "object"

    def get_object(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return kwargs

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        context = {"object": self.object, self.context_object_name: self.object, "view": self}
        context.update(self.get_context_data(**context))
        return render(request, self.template_name, context)


# ---------------------------------------------------------------- create / edit


class ObjectEditView(MspView):
    """Create (no object) or edit (object) through `form_class`, an MspModelForm or
    MspForm whose `save(actor=)` calls the app's service and returns the object."""

    template_name: str = "generic/object_edit.html"
    form_class: type[forms.BaseForm]
    permission = "client_edit"
    write_permission: str | None = None  # defaults to `permission`
    success_message: str = "Saved {object}."
    heading: str = ""

    def dispatch(self, request, *args, **kwargs):
        self.write_permission = self.write_permission or self.permission
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return None  # create

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = {"msp": self.msp, "user": self.request.user}
        if issubclass(self.form_class, forms.ModelForm):
            kwargs["instance"] = self.object
        if self.request.method == "POST":
            kwargs.update(data=self.request.POST, files=self.request.FILES)
        else:
            kwargs["initial"] = self.get_initial()
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get_success_url(self, obj) -> str:
        return object_url(obj)

    def get_cancel_url(self) -> str:
        return object_url(self.object) or self.safe_next("/")

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return kwargs

    def render_form(self, form, status=200):
        context = {
            "view": self, "form": form, "object": self.object,
            "heading": self.heading or (f"Edit {self.object}" if self.object else "New"),
            "cancel_url": self.get_cancel_url(),
        }
        context.update(self.get_context_data(**context))
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_form(self.form_class(**self.get_form_kwargs()))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.form_class(**self.get_form_kwargs())
        obj = save_or_errors(form, actor=request.user)
        if obj is not None:
            messages.success(request, self.success_message.format(object=obj))
            return HttpResponseRedirect(self.safe_next(self.get_success_url(obj)))
        return self.render_form(form, status=422 if request.htmx else 200)


class ObjectActionView(MspView):
    """A POST-only button on an object. Implement `get_object()` and
    `perform(obj) -> message`; ValidationError becomes an error toast."""

    http_method_names = ["post"]
    write_permission = "client_edit"

    def get_object(self):
        raise NotImplementedError

    def perform(self, obj) -> str:
        raise NotImplementedError

    def get_success_url(self, obj) -> str:
        return object_url(obj)

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            message = self.perform(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if message:
                messages.success(request, message)
        return HttpResponseRedirect(self.safe_next(self.get_success_url(obj)))


# ---------------------------------------------------------------- bulk actions
