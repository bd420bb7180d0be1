"""A throwaway Dovecot IMAP server: its own config under a temp dir, 127.0.0.1, a high port.

Self-contained (no include of /etc/dovecot): own base_dir, state_dir, log and instance name; one
passwd-file user whose mail (Maildir) is owned by uid 65534, since Dovecot refuses root-owned mail.
``without_move=True`` advertises capabilities without MOVE, so clients take the COPY + UID EXPUNGE
path. A missing dovecot binary is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from tests.support.ports import free_port, wait_for_port

MAIL_UID = 65534
CAPABILITIES_WITHOUT_MOVE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY LITERAL+ SPECIAL-USE"
)


@dataclass
class DovecotServer:
    root: Path
    config: Path
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            client.append(folder, raw)

    def append_many(self, mails: list[bytes], folder: str = "INBOX") -> None:
        with self.client() as client:
            for raw in mails:
                client.append(folder, raw)

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return list(client.search(["ALL"]))

    def bodies(self, folder: str) -> list[bytes]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(data[uid][b"BODY[]"]) for uid in uids if uid in data]

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(
            ["doveadm", "-c", str(self.config), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        self.doveadm("mailbox", "update", "-u", self.user, "--uid-validity", str(value), folder)

    def kick(self) -> None:
        """Drop every IMAP connection of the user, as a server restart or firewall would."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "kick", self.user],
            check=False,
            capture_output=True,
            timeout=30,
        )

    def stop(self) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.config), "stop"],
            check=False,
            capture_output=True,
            timeout=30,
        )
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(20):  # exiting children may still write their last log lines
            shutil.rmtree(self.root, ignore_errors=True)
            if not self.root.exists():
                return
            time.sleep(0.1)


def start_dovecot(*, without_move: bool = False) -> DovecotServer:
    if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
        raise RuntimeError("dovecot not installed: run `make test` (installs dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="kopplingar-dovecot-", dir="/tmp"))
    root.chmod(0o755)
    port = free_port()
    user, password = "kopplingar", uuid.uuid4().hex
    mail_root = root / "mail"
    (mail_root / user).mkdir(parents=True)
    users = root / "users"
    users.write_text(f"{user}:{{PLAIN}}{password}:{MAIL_UID}:{MAIL_UID}::{mail_root / user}::\n")
    if os.geteuid() == 0:
        shutil.chown(users, group="dovecot")
        for path in (mail_root, mail_root / user):
            os.chown(path, MAIL_UID, MAIL_UID)
    users.chmod(0o640)
    capability = f"imap_capability = {CAPABILITIES_WITHOUT_MOVE}\n" if without_move else ""
    config = root / "dovecot.conf"
    config.write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = kopplingar-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail_root}/%u/Maildir
first_valid_uid = 100
mail_fsync = always
{capability}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    (root / "state").mkdir()
    # dovecot daemonises; its child inherits stdio, so pipes would never reach EOF.
    with (root / "start.log").open("wb") as start_log:
        subprocess.run(
            ["dovecot", "-c", str(config)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=start_log,
            stderr=subprocess.STDOUT,
            timeout=30,
        )
    server = DovecotServer(root=root, config=config, port=port, user=user, password=password)
    try:
        wait_for_port(port)
    except TimeoutError:
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        server.stop()
        raise RuntimeError(f"dovecot did not start: {log[-2000:]}") from None
    return server
