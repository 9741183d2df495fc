from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.http import Http404
from django.urls import reverse

from .tokens import verify_id_token

NONCE_SESSION_KEY = "opsmerge_entra_nonce"


class EntraOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    def __init__(self, request):
        super().__init__(request, "entra")

    def get_callback_url(self, request, app):
        return build_absolute_uri(request, reverse("entra_callback"), self.redirect_uri_protocol)

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            from allauth.socialaccount.providers.oauth2.client import OAuth2Error

            raise OAuth2Error("Microsoft returned no id_token")
        return self.get_provider().sociallogin_from_response(request, {"id_token": self._decode_id_token(app, id_token)})

    def _decode_id_token(self, app, id_token):
        with get_adapter().get_requests_session() as session:
            response = session.get(self.openid_config["jwks_uri"])
            response.raise_for_status()
            jwks = response.json()
        return verify_id_token(id_token, client_id=app.client_id, issuer_template=self.openid_config["issuer"],
                               jwks=jwks, nonce=self.request.session.pop(NONCE_SESSION_KEY, None))


def _adapter_view(view_class):
    @login_not_required
    def view(request):
        try:
            return view_class.adapter_view(EntraOAuth2Adapter(request))(request)
        except SocialApp.DoesNotExist:
            raise Http404("Sign in with Microsoft is not configured") from None

    return view


login = _adapter_view(OAuth2LoginView)
callback = _adapter_view(OAuth2CallbackView)
