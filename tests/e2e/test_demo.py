import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_demo_runs_the_paper_and_the_digital_route(tmp_path: Path) -> None:
    env = {**os.environ, "KOPPLINGAR_HOME": str(tmp_path / "demo"), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    samples = len(
        [
            p
            for p in (ROOT / "samples").iterdir()
            if re.match(r"\d\d-.*\.(pdf|jpg|png|tif)$", p.name)
        ]
    )
    assert f"{samples} e-brev levererade" in proc.stdout
    totals = re.search(r"Genomförda: (\d+), avvisade: (\d+) .*till granskning: (\d+)", proc.stdout)
    assert totals is not None
    assert sum(int(n) for n in totals.groups()) >= samples  # every mail became at least one case
    assert int(totals.group(1)) >= 1  # valid forms are applied without a person
    assert int(totals.group(2)) >= 1  # defective ones are rejected with a reply
    assert "godkänd av ivar@cykelverkstan.se" in proc.stdout
    assert len(list((tmp_path / "demo" / "outbox").glob("*.eml"))) >= 5
