"""From a mail in Dovecot to an applied connection and its confirmations: the real reader, two
workers in parallel, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid
from pathlib import Path

from tests.support.dovecot import start_dovecot

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "samples"


def mail_with(path: Path, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kopplingar@fortnox.se"
    message["Subject"] = f"Blankett {path.stem}"
    message["Message-ID"] = make_msgid(domain="example.se")
    message.set_content("Hej, här är den underskrivna blanketten.")
    message.add_attachment(
        path.read_bytes(), maintype="application", subtype="pdf", filename=path.name
    )
    return message.as_bytes()


def cases(cli: list[str], env: dict[str, str]) -> list[dict[str, object]]:
    out = subprocess.run(
        [*cli, "cases", "--json"], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_mailed_forms_connect_and_disconnect_with_confirmations(
    tmp_path: Path, database_url: str
) -> None:
    dovecot = start_dovecot()
    env = {
        **os.environ,
        "KOPPLINGAR_HOME": str(tmp_path),
        "KOPPLINGAR_DATABASE_URL": database_url,
        "KOPPLINGAR_IMAP_URL": dovecot.url,
        "KOPPLINGAR_IMAP_TIMEOUT": "10",
        "KOPPLINGAR_IDLE_RENEW_SECONDS": "5",
        "OMP_THREAD_LIMIT": "1",
    }
    cli = [sys.executable, "-m", "kopplingar.cli"]
    subprocess.run(
        [*cli, "registry", "load", str(SAMPLES / "registry.json")],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    runner = subprocess.Popen(
        [*cli, "run", "--workers", "2", "--no-web"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        dovecot.append(mail_with(SAMPLES / "01-connect-valid-typed-scan.pdf", "david@bageriet.se"))
        dovecot.append(mail_with(SAMPLES / "07-disconnect-valid-digital.pdf", "anna@siffrorna.se"))
        deadline, found = time.monotonic() + 240, []
        while time.monotonic() < deadline:
            found = cases(cli, env)
            if len(found) == 2 and all(c["status"] != "received" for c in found):
                break
            time.sleep(1)
        assert sorted((c["operation"], c["status"]) for c in found) == [
            ("connect", "applied"),
            ("disconnect", "applied"),
        ], found
    finally:
        runner.send_signal(signal.SIGTERM)
        log = runner.communicate(timeout=120)[0].decode()
        dovecot.stop()
    assert runner.returncode == 0, log[-3000:]

    confirmations = []
    for path in sorted((tmp_path / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        if str(message["Subject"]).startswith("Bekräftelse"):
            confirmations.append({a.strip() for a in str(message["To"]).split(",")})
    # To the addresses on record for both parties, not only to whoever mailed the scan.
    assert {"anna@siffrorna.se", "david@bageriet.se", "eva@bageriet.se"} in confirmations
    assert {"anna@siffrorna.se", "fredrik@snickeri.se"} in confirmations
    assert len(confirmations) == 2
    # Exactly once: no second run of the same cases applies anything again.
    again = cases(cli, env)
    assert [c["status"] for c in again] == ["applied", "applied"]
