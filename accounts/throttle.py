"""Brute-force limits for staff sign-in, password reset, MFA codes and invite
acceptance (issue 13, items 2 and 5).

The named limits of the core limiter (opsmerge.ratelimit), one per (limit, identity):
per account (the email typed, whether or not an account has it, so the answer never
tells which emails exist) and per client IP. A blocked attempt is refused before the
password is even checked, with "Too many attempts … try again in N minutes".

A lockout refuses new sign-ins only: sessions already signed in are untouched, so an
attacker hammering a user's email cannot throw that user out of the app.

If Redis cannot be reached the limiter lets the attempt through and logs an error
(sign-in stays available; the password check still applies).
"""

from __future__ import annotations

from django.conf import settings

from opsmerge.ratelimit import Limit


def _limit(name, attempts, window):
    conf = getattr(settings, "AUTH_THROTTLE", {}).get(name, {})
    return Limit(name, conf.get("attempts", attempts), conf.get("window", window))


def sign_in_limits():
    return (_limit("signin-account", 10, 15 * 60), _limit("signin-ip", 100, 15 * 60))


def password_reset_limits():
    return (_limit("reset-account", 5, 60 * 60), _limit("reset-ip", 30, 60 * 60))


def mfa_limits():
    """Second-factor codes (authenticator app, recovery code) at sign-in and step-up:
    per user and per IP. A 6-digit code has a million values; 10 tries per 15 minutes
    makes guessing hopeless."""
    return (_limit("mfa-account", 10, 15 * 60), _limit("mfa-ip", 100, 15 * 60))


def invite_accept_limit():
    """Opening or submitting an invite link, per client IP: the links are unguessable,
    this caps scanning for them. Generous enough for a whole office joining at once
    from behind one NAT address (each invitee opens and submits the page a few times)."""
    return _limit("invite-accept-ip", 60, 15 * 60)
