"""A staff user's signed-in sessions (issue 13, item 7), stored in allauth.usersessions'
table (IP, user agent, created, last seen).

A session is recorded when it signs in (Django's `user_logged_in`, which every path
sends: allauth's form, Microsoft sign-in, invite acceptance, a test's force_login)
and refreshed by `SessionActivityMiddleware` at most every `TOUCH_SECONDS`, which also
records a session it has never seen (one from before this table existed). Between
touches a request costs no query: the last touch time lives in the session itself.
allauth's own per-request tracking (USERSESSIONS_TRACK_ACTIVITY) is left off because
it writes on every request.

Ending a session deletes it from the session store: the browser holding it is
signed out on its next request. Backstops that do not depend on this table: a
deactivated user is refused by the auth backend on every request, and a password
change rotates the session hash Django checks, so every other session ends.
"""

from __future__ import annotations

import ipaddress
import time

from allauth.usersessions.models import UserSession
from django.utils import timezone

from opsmerge.ratelimit import client_ip

TOUCH_SECONDS = 5 * 60
_SEEN_KEY = "_opsmerge_session_seen"
UNKNOWN_IP = "0.0.0.0"  # noqa: S104 - a placeholder stored when the request carried no address


def _ip(request) -> str:
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return UNKNOWN_IP


def session_record(request, user) -> None:
    """Create or refresh the row of `request`'s session for `user`."""
    session = request.session
    if not session.session_key:
        session.save()
    agent = request.META.get("HTTP_USER_AGENT", "")[:UserSession._meta.get_field("user_agent").max_length]
    UserSession.objects.update_or_create(session_key=session.session_key, defaults={
        "user": user, "ip": _ip(request), "user_agent": agent, "last_seen_at": timezone.now()})
    session[_SEEN_KEY] = int(time.time())


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_record(request, user)


def session_touch(request) -> None:
    """Refresh the request's session row if it was not touched for TOUCH_SECONDS."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None or not session.session_key:
        return
    if int(time.time()) - session.get(_SEEN_KEY, 0) < TOUCH_SECONDS:
        return
    session_record(request, user)


class SessionActivityMiddleware:
    """After AuthenticationMiddleware: keeps "last seen" of staff sessions current."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_touch(request)
        return self.get_response(request)


def sessions_list(user) -> list[UserSession]:
    """The user's live sessions, most recently seen first (rows of ended sessions are purged)."""
    sessions = UserSession.objects.purge_and_list(user)
    return sorted(sessions, key=lambda s: s.last_seen_at, reverse=True)


def sessions_end(user, *, keep_session_key: str | None = None) -> int:
    """End every session of `user` except `keep_session_key`; the number ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk).exclude(session_key=keep_session_key or ""):
        session.end()
        ended += 1
    return ended
