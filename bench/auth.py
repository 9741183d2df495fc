"""Staff sign-in: server time of a sign-in (p95, the production password hasher),
with and without MFA, and the brute-force limiter under 1,000 wrong passwords from
20 IPs (Django test client, in-process: the times are server time).

Data: one MSP with a Super Admin (password only) and, for the MFA figure, users with
an authenticator app (one per sign-in: a TOTP code is good once). The password
figure is POST /accounts/login/ (form, scrypt, limiter check + reset in Redis, new-
device check, session write); the MFA figure adds the POST of the authenticator code
(code check, the limiter, session). Each sign-in comes from a new browser, so each
queues a new-device email (Celery runs eagerly here, into a local outbox).

Enumeration: the mean time of a wrong password for a real email and for unknown
emails (both under their limits) should be alike. Attack phase: 1,000 wrong passwords
for the real user's email over 20 client IPs, then 1,000 for random unknown emails;
it counts any 5xx and the attempts the limiter refused, and checks that the user's
already signed-in session still works.
"""

from __future__ import annotations

import secrets
import statistics
import time

from bench.harness import result

SIGN_INS = 40
WARMUP = 5
ATTACK = 1000
IPS = 20
PROBES = 9  # under the per-email limit (10)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def run():
    from allauth.mfa.totp.internal import auth as totp
    from django.core import mail
    from django.test import Client as TestClient
    from django.test.utils import override_settings
    from django.urls import reverse

    from accounts.models import Msp, User
    from accounts.roles import Role
    from opsmerge import ratelimit
    from opsmerge.celery import app as celery_app

    redis = ratelimit._redis()
    for key in redis.scan_iter(match="*:ratelimit:*"):
        redis.delete(key)
    celery_app.conf.task_always_eager = True
    overrides = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    overrides.enable()
    mail.outbox = []

    msp = Msp.objects.create(name="Bench Auth MSP", slug="bench-auth", require_mfa=False)
    password = secrets.token_urlsafe(16)
    user = User.objects.create_user("owner@bench-auth.example", password, full_name="Bench Owner", msp=msp,
                                    role=Role.SUPER_ADMIN)
    login, code_url = reverse("accounts:login"), reverse("mfa_authenticate")

    samples = []
    for i in range(SIGN_INS + WARMUP):
        elapsed, response = _ms(lambda i=i: TestClient().post(
            login, {"login": user.email, "password": password}, REMOTE_ADDR=f"10.1.0.{i % 250}"))
        assert response.status_code == 302 and response.url == "/", response.status_code
        if i >= WARMUP:
            samples.append(elapsed)
    yield result("auth.sign_in_password_p95", _percentile(samples, 0.95), "ms", 150)
    yield result("auth.sign_in_password_median", statistics.median(samples), "ms", None)

    mfa_msp = Msp.objects.create(name="Bench Auth MFA MSP", slug="bench-auth-mfa", require_mfa=True)
    samples = []
    for i in range(SIGN_INS + WARMUP):
        mfa_user = User.objects.create_user(f"mfa{i}@bench-auth.example", password, full_name=f"MFA {i}",
                                            msp=mfa_msp, role=Role.TECHNICIAN)
        secret = totp.generate_totp_secret()
        totp.TOTP.activate(mfa_user, secret)
        browser = TestClient()
        first, response = _ms(lambda b=browser, u=mfa_user, i=i: b.post(
            login, {"login": u.email, "password": password}, REMOTE_ADDR=f"10.2.0.{i % 250}"))
        assert response.status_code == 302 and response.url == code_url, response.status_code
        code = totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))
        second, response = _ms(lambda b=browser, c=code, i=i: b.post(code_url, {"code": c},
                                                                       REMOTE_ADDR=f"10.2.0.{i % 250}"))
        assert response.status_code == 302, response.status_code
        if i >= WARMUP:
            samples.append(first + second)
    yield result("auth.sign_in_with_mfa_p95", _percentile(samples, 0.95), "ms", 150)
    yield result("auth.sign_in_with_mfa_median", statistics.median(samples), "ms", None)

    # Enumeration by timing: wrong passwords, known email vs unknown emails, under every limit.
    # Interleaved, so a change of machine load affects both series alike.
    probe, known, unknown = TestClient(), [], []
    for n in range(PROBES):
        known.append(_ms(lambda n=n: probe.post(login, {"login": user.email, "password": f"nope-{n}"},
                                                REMOTE_ADDR=f"10.3.0.{n}"))[0])
        unknown.append(_ms(lambda n=n: probe.post(login, {"login": f"ghost{n}@bench-auth.example", "password": "nope"},
                                                  REMOTE_ADDR=f"10.3.1.{n}"))[0])
    yield result("auth.wrong_password_known_email_median", statistics.median(known), "ms", None)
    yield result("auth.wrong_password_unknown_email_median", statistics.median(unknown), "ms", None)
    for key in redis.scan_iter(match="*:ratelimit:*"):
        redis.delete(key)

    signed_in = TestClient()
    signed_in.force_login(user)
    mail.outbox = []
    errors = refused = 0
    attacker = TestClient()
    start = time.perf_counter()
    for i in range(ATTACK):
        response = attacker.post(login, {"login": user.email, "password": f"guess-{i}"},
                                 REMOTE_ADDR=f"198.51.100.{i % IPS + 1}")
        errors += response.status_code >= 500
        refused += b"Too many sign-in attempts" in response.content
    for i in range(ATTACK):
        response = attacker.post(login, {"login": f"nobody{i}@unknown.example", "password": "x"},
                                 REMOTE_ADDR=f"203.0.113.{i % IPS + 1}")
        errors += response.status_code >= 500
        refused += b"Too many sign-in attempts" in response.content
    attack_s = time.perf_counter() - start
    yield result("auth.attack_5xx_responses", errors, "count", 0)
    yield result("auth.attack_attempts_refused_by_limiter", refused, f"of {2 * ATTACK}", None)
    yield result("auth.attack_mean_ms_per_attempt", attack_s * 1000 / (2 * ATTACK), "ms", None)
    yield result("auth.lockout_emails_to_the_real_user", sum(m.to == [user.email] for m in mail.outbox), "count", 1)
    still = signed_in.get(reverse("clients:list")).status_code
    yield result("auth.real_users_session_after_attack", "kept" if still == 200 else f"lost ({still})", "", "kept")
    overrides.disable()
