"""`manage.py check --deploy` with production-like settings reports nothing: DEBUG off,
a long random SECRET_KEY, explicit hosts, HTTPS everywhere (the defaults when DEBUG
is off), in a subprocess so the real settings module is imported fresh."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "opsmerge.settings",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "opsmerge.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://opsmerge.example.com",
    "SITE_URL": "https://opsmerge.example.com",
}
# Variables a developer's or the test run's environment may carry that production never has.
OVERRIDES_TO_DROP = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
                     "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_TASK_ALWAYS_EAGER")


def run_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in OVERRIDES_TO_DROP}
    env.update(PRODUCTION_ENV | extra_env)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=180)


def test_check_deploy_reports_no_warnings():
    result = run_check({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_catch_an_insecure_setting():
    result = run_check({"SESSION_COOKIE_SECURE": "false"})
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr
