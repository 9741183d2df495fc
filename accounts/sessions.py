"""A staff user's signed-in sessions (issue 13, item 7), over allauth.usersessions.

allauth records a row per session (IP, user agent, created, last seen) at sign-in
and, with USERSESSIONS_TRACK_ACTIVITY, on every request of a signed-in user, so a
session made any other way (a test's force_login, a session from before the
upgrade) is listed from its first request on. Ending a session deletes it from the
session store: the browser holding it is signed out on its next request.

Backstops that do not depend on this list: a deactivated user is refused by
ModelBackend.get_user on every request, and a password change rotates the session
hash that Django checks, so every other session of the user ends.
"""

from __future__ import annotations

from allauth.usersessions.models import UserSession


def sessions_list(user) -> list[UserSession]:
    """The user's live sessions, most recently seen first (stale rows are purged)."""
    sessions = UserSession.objects.purge_and_list(user)
    return sorted(sessions, key=lambda s: s.last_seen_at, reverse=True)


def sessions_end(user, *, keep_session_key: str | None = None) -> int:
    """End every session of `user` except `keep_session_key`; the number ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk).exclude(session_key=keep_session_key or ""):
        session.end()
        ended += 1
    return ended
