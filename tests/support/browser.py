"""Debian's Chromium driven by Playwright for the page tests, and the CLI they set things up with."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; a missing browser is a failure, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def cli(env: dict[str, str], *args: str, stdin: str | None = None, ok: bool = True) -> str:
    """``kopplingar ARGS --json`` in a subprocess; it must succeed (``ok``) or fail (not ``ok``).
    Returns its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "kopplingar.cli", *args, "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    return proc.stdout


def screenshot(page: Page, folder: Path, name: str, env_var: str) -> None:
    """A full-page screenshot into the test's folder, and into ``$env_var`` when set."""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    extra = os.environ.get(env_var)
    if extra:
        page.screenshot(path=str(Path(extra) / f"{name}.png"), full_page=True)
