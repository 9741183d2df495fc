"""Technicians re-send a contact's portal invite (a button on the contact page:
templates/portal/_invite_button.html)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.permissions import Op, require
from contacts.models import Contact
from opsmerge import ratelimit
from opsmerge.tenancy import msp_get_or_404

from .. import conf
from ..services import Access, portal_access
from ..tasks import invite_send


def _back(request, contact):
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return redirect(nxt)
    try:
        return redirect(reverse("contacts:detail", kwargs={"pk": contact.pk}))
    except NoReverseMatch:
        return redirect("home")


@login_required
@require_POST
def send_invite(request, contact_pk):
    contact = msp_get_or_404(Contact.objects.alive().select_related("client"), msp=request.msp, pk=contact_pk)
    require(request.user, Op.CONTACT_EDIT)
    if portal_access(contact) is not Access.OK or not contact.email:
        status, text = "error", "Only an active portal user with an email address, at an open client, can be invited."
    else:
        try:
            ratelimit.hit(ratelimit.Limit("portal-invite-contact", *conf.invite_limit()),
                          f"{contact.msp_id}:{contact.pk}")
        except ratelimit.Blocked:
            status, text = "error", "Several invites were just sent to this contact; wait a few minutes."
        else:
            transaction.on_commit(lambda: invite_send.delay(request.msp.pk, contact.pk, request.user.pk))
            status, text = "success", f"Invite sent to {contact.email}."
    if request.htmx:
        return render(request, "portal/_invite_button.html", {"contact": contact, "invite_status": status,
                                                              "invite_message": text})
    getattr(messages, status)(request, text)
    return _back(request, contact)


@login_required
@require_POST
def quiet_hours(request, client_pk: int):
    """Save a client's portal quiet hours (the card on the client page)."""
    import datetime

    from django.core.exceptions import ValidationError

    from clients.selectors import client_get

    from ..quiet_hours import quiet_hours_save

    require(request.user, Op.CLIENT_EDIT)
    client = client_get(msp=request.msp, pk=client_pk)
    try:
        start = datetime.time.fromisoformat(request.POST.get("start", ""))
        end = datetime.time.fromisoformat(request.POST.get("end", ""))
    except ValueError:
        messages.error(request, "Quiet hours: give start and end as HH:MM.")
    else:
        try:
            quiet_hours_save(msp=request.msp, client=client, actor=request.user, start=start, end=end,
                             is_active=request.POST.get("is_active") == "on")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Portal quiet hours of {client.name} saved.")
    return redirect(reverse("clients:detail", kwargs={"pk": client.pk}))
