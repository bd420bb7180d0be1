"""docs/configuration.md is generated from the Settings model and must be committed up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kopplingar.config import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_configuration_reference_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_config_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_is_documented_with_its_variable() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    for name, info in Settings.model_fields.items():
        assert f"`KOPPLINGAR_{name.upper()}`" in text
        assert info.description, f"{name} needs a description for the reference"
