"""The signed-in contact's pages: tickets (list, raise, detail + reply), assets,
profile. Every view receives the PortalIdentity; every query goes through
portal/selectors.py, which pins MSP, client and (unless allowed) contact."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from contacts.services import contact_update
from opsmerge.files import file_response, safe_extension
from tickets.forms import add_service_errors
from tickets.models import Ticket, TicketAttachment
from tickets.services import ticket_comment_add, ticket_create
from tickets.views.tickets import attachment_response

from ..decorators import portal_login_required
from ..forms import ProfileForm, ReplyForm, TicketRaiseForm
from ..selectors import portal_assets, portal_attachment_get, portal_comments, portal_ticket_get, portal_tickets


@portal_login_required
def home(request, identity):
    return redirect("portal:tickets")


@portal_login_required
def ticket_list(request, identity):
    show = request.GET.get("show", "open")
    qs = portal_tickets(identity)
    if show == "closed":
        qs = qs.exclude(status__in=Ticket.OPEN_STATUSES)
    elif show != "all":
        show = "open"
        qs = qs.filter(status__in=Ticket.OPEN_STATUSES)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "portal/ticket_list.html", {
        "identity": identity, "page_obj": page, "tickets": page.object_list, "show": show, "nav": "tickets"})


@portal_login_required
def ticket_new(request, identity):
    form = TicketRaiseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_create(msp=identity.msp, client=identity.client, contact=identity.contact,
                                   subject=form.cleaned_data["subject"], description=form.cleaned_data["description"],
                                   source=Ticket.Source.PORTAL, actor=identity.contact,
                                   attachments=form.cleaned_data["attachments"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("portal:ticket", number=ticket.number)
    return render(request, "portal/ticket_new.html", {"identity": identity, "form": form, "nav": "new"},
                  status=400 if form.errors else 200)


@portal_login_required
def ticket_detail(request, identity, number):
    ticket = portal_ticket_get(identity, number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_comment_add(msp=identity.msp, ticket=ticket, body=form.cleaned_data["body"],
                               author_contact=identity.contact, attachments=form.cleaned_data["attachments"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("portal:ticket", number=ticket.number)
    return render(request, "portal/ticket_detail.html", {
        "identity": identity, "ticket": ticket, "comments": portal_comments(identity, ticket),
        "ticket_attachments": TicketAttachment.objects.filter(msp=identity.msp, ticket=ticket, comment__isnull=True),
        "form": form, "nav": "tickets", "portal": True, "msp_name": identity.msp.name,
    }, status=400 if form.errors else 200)


@portal_login_required
def attachment(request, identity, pk):
    return attachment_response(portal_attachment_get(identity, pk))


@portal_login_required
def msp_logo(request, identity):
    """The contact's own MSP's logo (the portal header), inline when it is a raster image."""
    logo = identity.msp.logo
    if not logo:
        raise Http404("No logo.")
    return file_response(logo, filename=f"logo{safe_extension(logo.name)}", inline_image=True)


@portal_login_required
def assets(request, identity):
    return render(request, "portal/assets.html", {"identity": identity, "assets": portal_assets(identity),
                                                  "nav": "assets"})


@portal_login_required
def profile(request, identity):
    contact = identity.contact
    form = ProfileForm(request.POST or None, region=contact.client.country,
                       initial={"phone": contact.phone, "mobile": contact.mobile})
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(msp=identity.msp, contact=contact, actor=contact, phone=form.cleaned_data["phone"],
                           mobile=form.cleaned_data["mobile"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            saved = True
    return render(request, "portal/profile.html", {"identity": identity, "form": form, "saved": saved,
                                                   "nav": "profile"}, status=400 if form.errors else 200)
