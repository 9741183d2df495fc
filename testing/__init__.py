"""Test support that composes the apps: the pytest browser fixtures (Playwright in
Debian's Chromium) and the isolation test's per-MSP world. It sits above every app,
like the root conftest.py, and is never imported by the product. Test support that
needs no app (factories' base, the route enumerator) stays in opsmerge.testing."""
