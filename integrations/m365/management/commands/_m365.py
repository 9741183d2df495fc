"""Shared bits of the m365_* commands: resolve the MSP by slug and open its scope."""

from __future__ import annotations

from django.core.management.base import CommandError

from accounts.models import Msp


def msp_by_slug(slug: str) -> Msp:
    try:
        return Msp.objects.get(slug=slug)
    except Msp.DoesNotExist:
        raise CommandError(f"No MSP with slug {slug!r}.") from None
