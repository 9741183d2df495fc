"""Browser tests must not vanish silently in CI: a missing Chromium fails the run
when CI=true, and only skips on a developer machine."""

import pytest

from testing import browser


def test_missing_chromium_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is required"):
        browser.require_chromium(str(tmp_path / "no-chromium"))


def test_missing_chromium_skips_on_a_developer_machine(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not installed"):
        browser.require_chromium(str(tmp_path / "no-chromium"))


def test_present_chromium_passes(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    binary = tmp_path / "chromium"
    binary.write_text("")
    browser.require_chromium(str(binary))
