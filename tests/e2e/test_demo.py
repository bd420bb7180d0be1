import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_demo_runs_the_digital_route_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "KOPPLINGAR_HOME": str(tmp_path / "demo"), "COLUMNS": "200"}
    for _ in range(2):  # running it again starts afresh
        proc = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "demo.py")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    assert "godkänd av eva@bageriet.se" in proc.stdout
    assert "Utgående e-post (5 st)" in proc.stdout
    assert len(list((tmp_path / "demo" / "outbox").glob("*.eml"))) == 5
