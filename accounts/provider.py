"""Where allauth's provider registry finds OpsMerge's own providers: it imports
`<installed app>.provider` for every app (allauth.socialaccount.providers.registry)."""

from .entra.provider import provider_classes

__all__ = ["provider_classes"]
