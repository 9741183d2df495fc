from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from .views import NONCE_SESSION_KEY, EntraOAuth2Adapter


class EntraProvider(OpenIDConnectProvider):
    """Entra ID's organizations endpoint at the configurable authority host
    (settings.M365_AUTHORITY_HOST: login.microsoftonline.com, a sovereign cloud, or the
    local emulator). Work and school accounts of any tenant; the account must match a
    staff user by verified email (accounts.adapter.SocialAccountAdapter)."""

    id = "entra"
    name = "Microsoft"
    package = "accounts.entra"
    oauth2_adapter_class = EntraOAuth2Adapter

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = "Microsoft"

    @property
    def server_url(self):
        return f"{settings.M365_AUTHORITY_HOST}/organizations/v2.0/.well-known/openid-configuration"

    def get_login_url(self, request, **kwargs):
        url = reverse("entra_login")
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def get_callback_url(self):
        return reverse("entra_callback")

    def get_oauth2_adapter(self, request):
        return self.oauth2_adapter_class(request)

    def get_auth_params_from_request(self, request, action):
        params = super().get_auth_params_from_request(request, action)
        params["nonce"] = request.session[NONCE_SESSION_KEY] = secrets.token_urlsafe(32)
        params.setdefault("prompt", "select_account")
        return params

    def extract_uid(self, data):
        claims = data.get("id_token") or {}
        return f"{claims['tid']}:{claims['oid']}"  # stable per person and tenant (sub is per app)

    def extract_common_fields(self, data):
        claims = data.get("id_token") or {}
        return {"email": claims.get("email"), "first_name": claims.get("given_name"),
                "last_name": claims.get("family_name"), "name": claims.get("name")}

    def extract_email_addresses(self, data):
        """Entra's `email` is verified only when the tenant owns the address's domain
        (the xms_edov claim); otherwise any tenant admin could type anyone's email."""
        claims = data.get("id_token") or {}
        email = (claims.get("email") or "").strip().lower()
        if not email:
            return []
        return [EmailAddress(email=email, verified=claims.get("xms_edov") is True, primary=True)]


provider_classes = [EntraProvider]
