"""Test helpers: current authenticator-app codes and enrolled factors."""

from allauth.mfa.totp.internal import auth as totp_auth


def totp_code(secret: str) -> str:
    counter = next(totp_auth.yield_hotp_counters_from_time())
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def enrol_totp(user) -> str:
    """Give `user` an authenticator app and recovery codes; returns the TOTP secret."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def recovery_codes(user) -> list[str]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    return RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)).get_unused_codes()


def step_up(client, password=None):
    """Re-enter the password through allauth's re-authentication page (users without MFA),
    as a technician would before a step-up action."""
    from django.urls import reverse

    from accounts.tests.factories import DEFAULT_PASSWORD

    response = client.post(reverse("account_reauthenticate"), {"password": password or DEFAULT_PASSWORD})
    assert response.status_code == 302, response.status_code
    return client
