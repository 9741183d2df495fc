"""Portal sign-in: magic-link tokens, portal sessions, invites.

Secrets (link tokens, session keys) are 256-bit random strings that exist only in
the email / cookie; the database holds SHA-256 hashes. Lookups by hash happen before
the MSP is known (the secret is the credential), inside an explicit `unscoped` block;
everything after runs in the MSP's scope. See docs/portal.md.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from opsmerge.audit import audit_record
from opsmerge.emails import absolute_url, send_templated
from opsmerge.tenancy import msp_scope, unscoped

from . import conf
from .models import PortalLinkToken, PortalSession


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)  # 32 bytes = 256 bits of randomness


class Access(StrEnum):
    OK = "ok"
    PAUSED = "paused"  # the client is archived: "Portal access is paused"
    NONE = "none"  # not a portal user, inactive, deleted, or without a client


def portal_access(contact: Contact) -> Access:
    """May this contact use the portal right now? (seeds 000 and 003)"""
    if (contact.deleted_at is not None or not contact.is_active or not contact.is_portal_user
            or contact.client_id is None):
        return Access.NONE
    if contact.client.is_archived:
        return Access.PAUSED
    return Access.OK


# --- links -------------------------------------------------------------------------

def link_token_issue(*, msp, contact: Contact, purpose: str = PortalLinkToken.Purpose.SIGN_IN,
                     ip: str | None = None) -> str:
    """A new single-use link secret for `contact`; the contact's older unused links
    stop working. Returns the secret (shown only in the email)."""
    now = timezone.now()
    secret = _new_secret()
    with transaction.atomic():
        PortalLinkToken.objects.filter(msp=msp, contact=contact, used_at__isnull=True,
                                       voided_at__isnull=True).update(voided_at=now)
        PortalLinkToken.objects.create(msp=msp, contact=contact, token_hash=secret_hash(secret), purpose=purpose,
                                       created_at=now,
                                       expires_at=now + timedelta(seconds=conf.link_ttl_seconds()),
                                       requested_ip=ip or None)
    return secret


def link_url(secret: str) -> str:
    return absolute_url(reverse("portal:redeem", kwargs={"token": secret}))


def _usable_token(secret: str, *, lock: bool = False) -> PortalLinkToken | None:
    if not secret or len(secret) > 100:
        return None
    with unscoped("portal link lookup: the secret is the credential and names its MSP"):
        found = PortalLinkToken.objects.filter(token_hash=secret_hash(secret)).values_list("msp_id", "pk").first()
        if found is None:
            return None
        # then by (msp_id, id): one shard on Citus, where a lock across shards is not possible
        qs = PortalLinkToken.objects.select_related("msp", "contact__client").filter(msp_id=found[0], pk=found[1])
        if lock:
            qs = qs.select_for_update(of=("self",))
        token = qs.first()
    if token is None or token.used_at or token.voided_at or token.expires_at <= timezone.now():
        return None
    return token


def link_token_peek(secret: str) -> PortalLinkToken | None:
    """The usable token for `secret`, without using it (the GET confirm page, which
    email scanners may fetch)."""
    return _usable_token(secret)


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    INVALID = "invalid"  # unknown, forged, used, voided, expired or access removed: one answer
    PAUSED = "paused"


@dataclass(frozen=True)
class Redemption:
    outcome: Outcome
    session_secret: str = ""
    contact: Contact | None = None


@transaction.atomic
def link_token_redeem(*, secret: str, ip: str = "", user_agent: str = "") -> Redemption:
    """Use a link (POST only): the row is locked so two concurrent posts of the same
    link cannot both sign in."""
    token = _usable_token(secret, lock=True)
    if token is None:
        return Redemption(Outcome.INVALID)
    with msp_scope(token.msp):
        token.used_at = timezone.now()
        token.save(update_fields=["used_at"])
        contact = token.contact
        access = portal_access(contact)
        if access is Access.NONE:
            return Redemption(Outcome.INVALID)
        if access is Access.PAUSED:
            return Redemption(Outcome.PAUSED, contact=contact)
        session_secret = session_start(msp=token.msp, contact=contact, ip=ip, user_agent=user_agent)
    return Redemption(Outcome.SIGNED_IN, session_secret=session_secret, contact=contact)


# --- sessions ----------------------------------------------------------------------

def session_start(*, msp, contact: Contact, ip: str = "", user_agent: str = "") -> str:
    """Start a session; returns the cookie value "<msp id>.<secret>" (only the secret's
    hash is stored). The MSP id only routes the lookup: the secret is the credential."""
    now = timezone.now()
    secret = _new_secret()
    PortalSession.objects.create(msp=msp, contact=contact, key_hash=secret_hash(secret), last_seen_at=now,
                                 expires_at=now + timedelta(seconds=conf.session_max_age_seconds()),
                                 ip=ip or None, user_agent=user_agent[:255])
    first = contact.portal_last_sign_in_at is None
    Contact.objects.filter(msp=msp, pk=contact.pk).update(portal_last_sign_in_at=now)
    contact.portal_last_sign_in_at = now
    audit_record(msp=msp, actor_label=str(contact), action="portal.sign_in", obj=contact,
                 changes={"first_sign_in": first, "ip": ip})
    return f"{msp.pk}.{secret}"


@dataclass
class PortalIdentity:
    """Who is using the portal in this request: one contact of one client of one MSP."""

    session: PortalSession
    contact: Contact
    access: Access

    @property
    def msp(self):
        return self.session.msp

    @property
    def client(self):
        return self.contact.client

    @property
    def paused(self) -> bool:
        return self.access is Access.PAUSED


def session_resolve(secret: str) -> PortalIdentity | None:
    """The identity behind a session cookie, or None. Sessions past their idle or
    absolute limit, and sessions of contacts who lost access, are ended here too, so
    losing access takes effect on the very next request."""
    if not secret or len(secret) > 100:
        return None
    msp_part, dot, raw = secret.partition(".")
    with unscoped("portal session lookup: the cookie secret is the credential"):
        sessions = PortalSession.objects.select_related("msp", "contact__client").filter(ended_at__isnull=True)
        if dot and msp_part.isdigit():  # "<msp id>.<secret>": one MSP's rows (one node on Citus)
            sessions = sessions.filter(msp_id=int(msp_part), key_hash=secret_hash(raw))
        else:  # a cookie set before the MSP id was part of it
            sessions = sessions.filter(key_hash=secret_hash(secret))
        session = sessions.first()
    if session is None:
        return None
    now = timezone.now()
    reason = None
    if session.expires_at <= now:
        reason = PortalSession.EndReason.EXPIRED
    elif (now - session.last_seen_at).total_seconds() > conf.session_idle_seconds():
        reason = PortalSession.EndReason.IDLE
    access = portal_access(session.contact)
    if reason is None and access is Access.NONE:
        reason = PortalSession.EndReason.ACCESS_LOST
    if reason is not None:
        with msp_scope(session.msp):
            session_end(msp=session.msp, session=session, reason=reason)
        return None
    return PortalIdentity(session=session, contact=session.contact, access=access)


def session_touch(*, msp, session: PortalSession) -> None:
    """Slide the inactivity window, writing at most once a minute."""
    now = timezone.now()
    if (now - session.last_seen_at).total_seconds() >= conf.session_touch_seconds():
        PortalSession.objects.filter(msp=msp, pk=session.pk).update(last_seen_at=now)
        session.last_seen_at = now


def session_end(*, msp, session: PortalSession, reason: str) -> None:
    PortalSession.objects.filter(msp=msp, pk=session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason)
    if reason == PortalSession.EndReason.SIGNED_OUT:
        audit_record(msp=msp, actor_label=str(session.contact), action="portal.sign_out", obj=session.contact)


def portal_access_revoke(*, msp, contact: Contact, actor=None) -> int:
    """End every open session and void every unused link of `contact` (made inactive,
    deleted, or no longer a portal user)."""
    now = timezone.now()
    ended = PortalSession.objects.filter(msp=msp, contact=contact, ended_at__isnull=True).update(
        ended_at=now, end_reason=PortalSession.EndReason.ACCESS_LOST)
    PortalLinkToken.objects.filter(msp=msp, contact=contact, used_at__isnull=True,
                                   voided_at__isnull=True).update(voided_at=now)
    audit_record(msp=msp, actor=actor, action="portal.access_revoked", obj=contact,
                 changes={"sessions_ended": ended})
    return ended


def portal_client_paused(*, msp, client, actor=None) -> int:
    """The client was archived: end the open sessions and void the unused links of
    all its contacts (portal access is paused until the client is restored)."""
    total = 0
    for contact in Contact.objects.filter(msp=msp, client=client, is_portal_user=True):
        total += portal_access_revoke(msp=msp, contact=contact, actor=actor)
    return total


# --- emails ------------------------------------------------------------------------

def portal_invite_send(*, msp, contact: Contact, actor=None) -> bool:
    """Email `contact` an invite link (on ticking Portal user, or re-sent by a
    technician). False when the contact cannot use the portal now."""
    if portal_access(contact) is not Access.OK or not contact.email:
        return False
    secret = link_token_issue(msp=msp, contact=contact, purpose=PortalLinkToken.Purpose.INVITE)
    send_templated(template="portal/email/invite", to=[contact.email], context={
        "msp": msp, "contact": contact, "client": contact.client, "link": link_url(secret),
        "ttl_minutes": conf.link_ttl_seconds() // 60, "signin_url": absolute_url(reverse("portal:signin")),
    }, reply_to=[msp.support_email] if msp.support_email else None)
    now = timezone.now()
    Contact.objects.filter(msp=msp, pk=contact.pk).update(portal_invited_at=now)
    contact.portal_invited_at = now
    audit_record(msp=msp, actor=actor, actor_label="" if actor else "system", action="portal.invite_sent",
                 obj=contact)
    return True


@dataclass(frozen=True)
class PortalLink:
    msp_name: str
    client_name: str
    contact_name: str
    url: str


def signin_links_send(*, email: str, ip: str = "") -> int:
    """Email `email` one sign-in link per portal it may use (it can be a portal user
    at several clients and MSPs), and a "paused" note for archived clients. Silent
    when the address is unknown: the web page never says which happened. Returns the
    number of links sent."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    with unscoped("portal sign-in: one address may be a portal user at several MSPs"):
        contacts = list(Contact.objects.alive().annotate(lemail=Lower("email"))
                        .filter(lemail=email, is_portal_user=True, is_active=True, client__isnull=False)
                        .select_related("msp", "client").order_by("msp__name", "client__name", "pk"))
    links, paused = [], []
    for contact in contacts:
        with msp_scope(contact.msp):
            access = portal_access(contact)
            if access is Access.PAUSED:
                paused.append(PortalLink(contact.msp.name, contact.client.name, contact.display_name, ""))
            elif access is Access.OK:
                secret = link_token_issue(msp=contact.msp, contact=contact, ip=ip)
                links.append(PortalLink(contact.msp.name, contact.client.name, contact.display_name,
                                        link_url(secret)))
    if not links and not paused:
        return 0
    single_msp = links[0].msp_name if len({link.msp_name for link in links}) == 1 and links else ""
    send_templated(template="portal/email/signin", to=[email], context={
        "links": links, "paused": paused, "single_msp": single_msp,
        "ttl_minutes": conf.link_ttl_seconds() // 60, "signin_url": absolute_url(reverse("portal:signin")),
    })
    return len(links)
