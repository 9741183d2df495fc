"""Staff sign-in: server time of a password sign-in (p95, production password hasher)
and the brute-force limiter under 1,000 wrong attempts from 20 IPs (Django test client).

Data: one MSP with one Admin. The sign-in figure is the POST /accounts/login/ with the
right password (form, hashing, throttle check + reset in Redis, session write). The
attack phase posts 1,000 wrong passwords for the real user's email spread over 20 client
IPs, then 1,000 for random unknown emails; it counts any 5xx, how many attempts were
refused by the limiter, and checks that the user's already signed-in session still
works. Sign-in with MFA is not measured: MFA is not built yet.
"""

from __future__ import annotations

import secrets
import time

from bench.harness import result

SIGN_INS = 40
ATTACK = 1000
IPS = 20


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run():
    from django.test import Client as TestClient
    from django.urls import reverse

    from accounts.models import Msp, User
    from accounts.roles import Role
    from opsmerge import ratelimit

    redis = ratelimit._redis()
    for key in redis.scan_iter(match="*:ratelimit:*"):
        redis.delete(key)

    msp = Msp.objects.create(name="Bench Auth MSP", slug="bench-auth")
    password = secrets.token_urlsafe(16)
    user = User.objects.create_user("owner@bench-auth.example", password, full_name="Bench Owner", msp=msp,
                                    role=Role.SUPER_ADMIN)
    url = reverse("accounts:login")

    samples = []
    for i in range(SIGN_INS + 5):
        browser = TestClient()
        start = time.perf_counter()
        response = browser.post(url, {"login": user.email, "password": password}, REMOTE_ADDR=f"10.1.0.{i % 250}")
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 302, response.status_code
        if i >= 5:
            samples.append(elapsed)
    yield result("auth.sign_in_password_p95", _percentile(samples, 0.95), "ms", 150)

    signed_in = TestClient()
    signed_in.force_login(user)
    errors = refused = 0
    attacker = TestClient()
    start = time.perf_counter()
    for i in range(ATTACK):
        response = attacker.post(url, {"login": user.email, "password": f"guess-{i}"},
                                 REMOTE_ADDR=f"198.51.100.{i % IPS + 1}")
        errors += response.status_code >= 500
        refused += b"Too many sign-in attempts" in response.content
    for i in range(ATTACK):
        response = attacker.post(url, {"login": f"nobody{i}@unknown.example", "password": "x"},
                                 REMOTE_ADDR=f"203.0.113.{i % IPS + 1}")
        errors += response.status_code >= 500
        refused += b"Too many sign-in attempts" in response.content
    attack_s = time.perf_counter() - start
    yield result("auth.attack_5xx_responses", errors, "count", 0)
    yield result("auth.attack_attempts_refused_by_limiter", refused, f"of {2 * ATTACK}", None)
    yield result("auth.attack_mean_ms_per_attempt", attack_s * 1000 / (2 * ATTACK), "ms", None)
    still = signed_in.get(reverse("clients:list")).status_code
    yield result("auth.real_users_session_after_attack", "kept" if still == 200 else f"lost ({still})", "", "kept")
