"""The reading benchmark reports a stopped run from its own workers' checkpoints only."""

from pathlib import Path

import pytest

from kopplingar.bench import reading


def _checkpoint(seed: int, documents: int) -> None:
    score = reading.Score()
    score.kind.add(True)
    outcome = reading._outcome(score, documents, documents, 1.0, baseline_s=2.0, baseline_pages=1)
    reading._save(reading._checkpoint(seed), outcome)


def test_a_stopped_run_is_reported_from_its_own_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "CACHE", tmp_path / "scans")
    out = tmp_path / "report.txt"
    args = ["--from-checkpoints", "--count", "10", "--seed", "1000", "--jobs", "2"]
    _checkpoint(1000, 5)
    assert reading.main([*args, "--out", str(out)]) == 1  # the second worker's file is missing
    assert not out.exists()
    _checkpoint(1005, 4)
    _checkpoint(700_000, 400)  # another run's (the calibration script's) file beside them
    assert reading.main([*args, "--out", str(out)]) == 0
    text = out.read_text()
    assert "(9 documents)" in text  # this run's two workers, not the other run's 400
    assert "100.0% (2)" in text  # one scored kind per worker file


def test_the_peak_memory_is_the_readers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the baseline's tesseract processes (children), whose figure Linux inflates."""
    import resource

    monkeypatch.setattr(reading, "CACHE", tmp_path / "scans")
    outcome = reading.run(1, 640_000, True, progress=False)
    assert outcome["baseline_pages"] >= 1
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert 0 < outcome["peak_rss_mib"] <= own
    assert "peak RSS (largest reader worker)" in reading.report({**outcome, "quiet": True})
