"""Sign-in by magic link: request a link, open it (GET shows a button, so email
scanners that prefetch links cannot use it), use it (POST), sign out."""

from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opsmerge import ratelimit

from .. import conf
from ..decorators import forget_cookie, no_store
from ..forms import SignInForm
from ..models import PortalSession
from ..scoping import PORTAL_PATH_PREFIX
from ..services import Outcome, link_token_peek, link_token_redeem, session_end
from ..tasks import signin_links_send

LIMITED = "Too many sign-in requests. Please wait {minutes} minutes and try again."


def _limited(request, form, blocked):
    form.add_error(None, LIMITED.format(minutes=max(1, round(blocked.retry_after_seconds / 60))))
    response = render(request, "portal/signin.html", {"form": form}, status=429)
    response["Retry-After"] = str(blocked.retry_after_seconds)
    return response


@require_http_methods(["GET", "POST"])
def signin(request):
    """The same answer for every address (known, unknown, paused): a redirect to
    "check your email". The lookup and the email happen in a Celery task."""
    if request.portal is not None and request.method == "GET":
        return redirect("portal:tickets")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = ratelimit.client_ip(request)
        limits = conf.signin_limits()
        email = form.cleaned_data["email"].strip().lower()
        for scope, subject in (("ip", ip), ("address", email)):
            try:
                ratelimit.hit(ratelimit.Limit(f"portal-signin-{scope}", *limits[scope]), subject)
            except ratelimit.Blocked as blocked:
                return _limited(request, form, blocked)
        transaction.on_commit(lambda: signin_links_send.delay(email, ip))
        return redirect("portal:signin_sent")
    return render(request, "portal/signin.html", {"form": form}, status=400 if form.errors else 200)


def signin_sent(request):
    return render(request, "portal/signin_sent.html", {"ttl_minutes": conf.link_ttl_seconds() // 60})


def _sensitive(response):
    """The link page: never cached, never leaks the token in a Referer. Not
    "no-referrer": browsers then send `Origin: null` with the form POST and the
    CSRF origin check (rightly) refuses it; "strict-origin" sends the origin only."""
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


@require_http_methods(["GET", "POST"])
def redeem(request, token):
    if request.method == "GET":
        found = link_token_peek(token)
        if found is None:
            return _sensitive(render(request, "portal/link_invalid.html", {"form": SignInForm()}, status=410))
        return _sensitive(render(request, "portal/redeem.html", {
            "msp": found.msp, "client": found.contact.client, "contact": found.contact}))

    ip = ratelimit.client_ip(request)
    try:
        ratelimit.hit(ratelimit.Limit("portal-redeem-ip", *conf.redeem_limit()), ip)
    except ratelimit.Blocked as blocked:
        response = render(request, "portal/link_invalid.html", {"form": SignInForm(), "limited": True}, status=429)
        response["Retry-After"] = str(blocked.retry_after_seconds)
        return _sensitive(response)
    result = link_token_redeem(secret=token, ip=ip,
                               user_agent=request.headers.get("User-Agent", ""))
    if result.outcome is Outcome.PAUSED:
        return _sensitive(render(request, "portal/paused.html", {"msp": result.contact.msp,
                                                                  "client": result.contact.client}, status=403))
    if result.outcome is Outcome.INVALID:
        return _sensitive(render(request, "portal/link_invalid.html", {"form": SignInForm()}, status=410))
    if request.portal is not None:  # signing in again in this browser replaces the old session
        session_end(msp=request.portal.msp, session=request.portal.session, reason=PortalSession.EndReason.REPLACED)
    response = redirect("portal:tickets")
    response.set_cookie(conf.cookie_name(), result.session_secret, max_age=conf.session_max_age_seconds(),
                        path=PORTAL_PATH_PREFIX, secure=conf.cookie_secure(), httponly=True, samesite="Lax")
    return _sensitive(response)


@require_POST
def signout(request):
    if request.portal is not None:
        session_end(msp=request.portal.msp, session=request.portal.session,
                    reason=PortalSession.EndReason.SIGNED_OUT)
    return no_store(forget_cookie(redirect("portal:signed_out")))


def signed_out(request):
    return render(request, "portal/signed_out.html", {"form": SignInForm()})
