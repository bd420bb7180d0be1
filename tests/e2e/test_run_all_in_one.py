"""``kopplingar run``: a mail dropped in the Maildir ends as an applied case; SIGTERM stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kopplingar.intake.maildir import deliver
from tests.integration.queue.helpers import REGISTRY, form
from tests.support.mails import form_mail
from tests.support.ports import free_port, wait_for_port
from tests.support.readers import scripted_document


def test_run_takes_mail_to_an_applied_case_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "KOPPLINGAR_HOME": str(tmp_path),
        "KOPPLINGAR_READER": "tests.support.readers:scripted",
        "KOPPLINGAR_POLL_INTERVAL_SECONDS": "0.5",
    }
    cli = [sys.executable, "-m", "kopplingar.cli"]
    subprocess.run(
        [*cli, "registry", "load", str(REGISTRY)],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = subprocess.Popen(
        [*cli, "run", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert json.load(response)["status"] == "ok"
        deliver(
            tmp_path / "maildir",
            form_mail(
                "run", attachments=[(scripted_document([form()]), "application/pdf", "f.pdf")]
            ),
        )
        deadline, cases = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            out = subprocess.run(
                [*cli, "cases", "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            cases = [json.loads(line) for line in out.splitlines()]
            if cases and cases[0]["status"] != "received":
                break
            time.sleep(0.5)
        assert [(c["status"], c["operation"]) for c in cases] == [("applied", "connect")]
        assert cases[0]["message_id"]
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
    assert "stopped" in output
