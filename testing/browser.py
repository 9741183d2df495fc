"""Playwright fixtures (sync API) driving Debian's Chromium against pytest-django's
live_server. Registered in the root conftest.py (pytest_plugins).

    @pytest.mark.browser
    def test_something(signed_in_page, live_server):
        page = signed_in_page()               # an Admin of a fresh MSP
        page.goto(live_server.url + "/clients/")
        screenshot(page, "clients-list")

`signed_in_page(user=None)` signs in with a session cookie (no login form round
trip); `screenshot(page, name)` saves test-artifacts/screenshots/<name>.png.
Plain Playwright, not pytest-playwright's fixtures: we need our own executable and
flags, and one browser per session is enough.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"

# live_server + Playwright's sync API share the test thread's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def require_chromium(path: str) -> None:
    """Skip browser tests without Chromium on a developer machine; under CI=true a
    missing Chromium fails them, so they can never disappear from a green run."""
    if Path(path).exists():
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"Chromium is required for browser tests under CI=true but is not at {path} "
                    "(apt-get install -y chromium, or set CHROMIUM_PATH).", pytrace=False)
    pytest.skip(f"Chromium not installed at {path}")


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    require_chromium(CHROMIUM)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def chromium_context_options():
    """Extra new_context() options; override in a test module (e.g. ignore_https_errors=True)."""
    return {}


@pytest.fixture
def chromium_context(chromium, live_server, chromium_context_options):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900},
                                  accept_downloads=True, **chromium_context_options)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def signed_in_page(chromium_context, live_server, transactional_db):
    """Factory: a page signed in as `user` (default: an Admin of a new MSP)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    def make(user=None):
        if user is None:
            from accounts.roles import Role
            from accounts.tests.factories import MspFactory, UserFactory

            msp = MspFactory(name="Northwind IT", slug="northwind-browser")
            user = UserFactory(msp=msp, role=Role.ADMIN, email="ada@northwind.example", full_name="Ada Admin")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        host = live_server.url.split("//", 1)[1].split(":")[0]
        chromium_context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                                      "domain": host, "path": "/"}])
        page = chromium_context.new_page()
        page.user = user
        return page

    return make


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if not full_page:
        page.screenshot(path=str(path))
        return path
    # Grow the viewport to the whole document instead of Playwright's full_page
    # stitching, which paints the sticky sidebar and top bar in the middle.
    viewport = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path
