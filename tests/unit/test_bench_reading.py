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


def test_the_readers_memory_is_reported_apart_from_the_baselines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The baseline's tesseract processes are children; their peak is not the reader's."""
    import resource

    monkeypatch.setattr(reading, "CACHE", tmp_path / "scans")
    outcome = reading.run(1, 640_000, True, progress=False)
    assert outcome["baseline_pages"] >= 1
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert outcome["peak_rss_mib"] <= own
    assert 0 < outcome["baseline_rss_mib"] <= children
    text = reading.report({**outcome, "quiet": True})
    assert "peak RSS (largest reader worker)" in text
    assert "peak RSS of a baseline tesseract process" in text
