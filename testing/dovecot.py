"""A real IMAP server for tests and the inbound-mail benchmark: Debian's dovecot,
started in a temporary directory on a free loopback port as a non-privileged
process (when the test run is root, dovecot runs as `nobody`: its login processes
refuse root). Users come from a passwd-file, mail is Maildir under the temp dir,
no TLS (loopback only). Deliver with `Dovecot.append(user, raw_bytes)` (IMAP APPEND).
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = os.environ.get("DOVECOT_BIN", "/usr/sbin/dovecot")


def available() -> bool:
    return Path(DOVECOT).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(*, root: Path, port: int, tls_port: int, user: str, group: str, uid: int, gid: int) -> str:
    ssl = (f"ssl = yes\nssl_cert = <{root}/tls/cert.pem\nssl_key = <{root}/tls/key.pem" if tls_port
           else "ssl = no")
    return f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = opsmerge-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
  user = {user}
  chroot =
}}
service anvil {{
  chroot =
  user = {user}
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
service stats {{
  user = {user}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    tls_port: int = 0  # IMAPS, when started with a certificate
    host: str = "127.0.0.1"
    users: dict[str, str] = field(default_factory=dict)
    _run_as: dict = field(default_factory=dict)

    def add_user(self, username: str, password: str) -> None:
        self.add_users({username: password})

    def add_users(self, users: dict[str, str]) -> None:
        """Dovecot re-reads the passwd-file when its mtime changes (whole seconds):
        add users before they sign in, in one go where possible."""
        self.users.update(users)
        lines = "".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items())
        (self.root / "passwd").write_text(lines)
        self._chown(self.root / "passwd")

    def _chown(self, path: Path) -> None:
        if self._run_as:
            os.chown(path, self._run_as["uid"], self._run_as["gid"])

    def connect(self, username: str) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(username, self.users[username])
        return imap

    def append(self, username: str, *messages: bytes, folder: str = "INBOX") -> None:
        imap = self.connect(username)
        try:
            for raw in messages:
                status, data = imap.append(folder, None, None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            imap.logout()

    def clear(self, username: str) -> None:
        """Delete every message of the user's INBOX (between tests)."""
        imap = self.connect(username)
        try:
            imap.select("INBOX")
            imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            imap.expunge()
        except imaplib.IMAP4.error:
            pass
        finally:
            imap.logout()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.root / "dovecot.conf"), "stop"], check=False,  # noqa: S603
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self._run_as_kwargs())
        pid_file = self.root / "run" / "master.pid"
        for _ in range(50):
            if not pid_file.exists():
                break
            time.sleep(0.1)

    def _run_as_kwargs(self) -> dict:
        return {"user": self._run_as["user"], "group": self._run_as["group"]} if self._run_as else {}


def start(*, tls: tuple[bytes, bytes] | None = None) -> Dovecot:
    """Start a private dovecot; stop it with `.stop()` (then remove `.root`). With
    `tls=(certificate chain PEM, private key PEM)` (e.g. from trustme) it also
    listens for IMAPS on `.tls_port`."""
    root = Path(tempfile.mkdtemp(prefix="opsmerge-dovecot-"))
    port = _free_port()
    tls_port = _free_port() if tls else 0
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        run_as = {"user": "nobody", "group": nobody.pw_gid, "uid": nobody.pw_uid, "gid": nobody.pw_gid}
        user, uid, gid = "nobody", nobody.pw_uid, nobody.pw_gid
    else:
        run_as = {}
        user, uid, gid = pwd.getpwuid(os.getuid()).pw_name, os.getuid(), os.getgid()
    group = grp.getgrgid(gid).gr_name
    for sub in ("run", "state", "mail", "tls"):
        (root / sub).mkdir()
    if tls:
        (root / "tls" / "cert.pem").write_bytes(tls[0])
        (root / "tls" / "key.pem").write_bytes(tls[1])
    (root / "dovecot.conf").write_text(_config(root=root, port=port, tls_port=tls_port, user=user, group=group,
                                               uid=uid, gid=gid))
    server = Dovecot(root=root, port=port, tls_port=tls_port, _run_as=run_as)
    (root / "passwd").write_text("")
    if run_as:
        for path in (root, *root.rglob("*")):
            os.chown(path, uid, gid)
    # dovecot daemonizes: its children must not hold our pipes open (stdout/stderr to devnull)
    subprocess.run([DOVECOT, "-c", str(root / "dovecot.conf")], check=True, stdin=subprocess.DEVNULL,  # noqa: S603
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **server._run_as_kwargs())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((server.host, port), timeout=0.5) as s:
            if s.recv(64).startswith(b"* OK"):
                return server
        time.sleep(0.1)
    log = server.log()
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"dovecot did not start on port {port}:\n{log}")


@contextlib.contextmanager
def running(*, tls: tuple[bytes, bytes] | None = None):
    server = start(tls=tls)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
