"""The scale harness (scripts/bench_scale.py) at a tiny size, so it keeps working: its own
PostgreSQL and Dovecot, two ``kopplingar poll`` and two ``kopplingar work`` processes, a backlog
with resends; nothing lost, nothing applied twice, the queue drained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.postgres
@pytest.mark.slow
def test_tiny_backlog_through_two_pollers_and_two_workers() -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "OMP_THREAD_LIMIT": "1"}
    completed = subprocess.run(
        [
            sys.executable,
            "scripts/bench_scale.py",
            "--mails",
            "12",
            "--pool",
            "8",
            "--workers",
            "2",
            "--stall-seconds",
            "90",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr[-3000:]
    [result] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert completed.returncode == 0, (result, completed.stderr[-3000:])
    assert (result["workers"], result["pollers"]) == (2, 2)
    assert (result["mails"], result["unique_scans"], result["resends"]) == (12, 8, 4)
    assert result["drained"]
    assert result["lost_total"] == 0, result["lost_examples"]
    assert result["doubled_total"] == 0, result["doubled_examples"]
    # one case per mail (each carries one scan), every one decided
    assert result["cases"] == 12
    assert sum(result["statuses"].values()) == 12
    assert set(result["statuses"]) <= {"applied", "rejected", "review"}
    assert result["first_copies"]["defective_applied"] == 0
    # the sampler saw every process: two pollers, two workers and their reading children
    assert result["peak_rss"]["poller"]["processes"] == 2
    assert result["peak_rss"]["worker"]["processes"] == 2
    assert result["peak_rss"]["reader"]["processes"] >= 2
    assert set(result["exit_codes"].values()) == {0}
