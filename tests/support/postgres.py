"""A throwaway PostgreSQL server: initdb + pg_ctl as user postgres under a temp dir, 127.0.0.1.

initdb refuses to run as root, so as root the server runs as ``postgres``; as any other user it
runs as that user. A missing server binary is an error, never a skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port, wait_for_port


def _bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries (initdb) not found: run `make test` to install them"
    )


@dataclass
class PostgresServer:
    root: Path
    port: int
    user: str
    bindir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._run(
            [
                str(self.bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                name,
            ]
        )
        return self.url(name)

    def stop(self) -> None:
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"]
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, argv: list[str]) -> None:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, cwd="/tmp", timeout=60)


def start_postgres() -> PostgresServer:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="kopplingar-pg-", dir="/tmp"))
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        user = "postgres"
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = free_port()
    server = PostgresServer(root=root, port=port, user=user, bindir=bindir)
    server._run(
        [str(bindir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", user, "-E", "UTF8"]
    )
    opts = f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    server._run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-l",
            str(root / "log"),
            "-o",
            opts,
            "-w",
            "start",
        ]
    )
    wait_for_port(port)
    return server
