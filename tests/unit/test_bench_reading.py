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


def test_details_hold_every_field_of_each_form_with_its_glyphs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers write their parts; the joined file has each document's fields in seed order,
    handwritten combs with one data-set glyph per digit written, and no part left beside it."""
    import json

    from kopplingar.forms.layout import FIELD_NAMES

    monkeypatch.chdir(tmp_path)  # the spawned workers' scan cache and checkpoints (relative)
    details = tmp_path / "details.jsonl"
    seeds = range(500_002, 500_004)  # 500002 has a handwritten subscription number
    outcome = reading.run_parallel(2, seeds[0], False, 2, details=details)
    records = [json.loads(line) for line in details.read_text().splitlines()]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("details")] == [details.name]
    form_seeds = sorted({r["seed"] for r in records})
    assert form_seeds == list(seeds)
    assert len(records) == len(FIELD_NAMES) * len(form_seeds)
    assert [r["seed"] for r in records] == sorted(r["seed"] for r in records)
    scored = sum(t.n for t in outcome["score"].fields.values())
    assert scored == len(records)
    correct = sum(r["value"] == r["expected"] for r in records)
    assert correct == sum(t.ok for t in outcome["score"].fields.values())
    written = [
        r for r in records if r["fill"] == "handwritten" and r["field"] == "subscription_number"
    ]
    assert written, "the seed range was chosen for a handwritten subscription number"
    for r in written:
        assert len(r["glyphs"]) == len(r["expected"])
        assert all(g.split(":")[0] in ("mnist", "semeion") for g in r["glyphs"])
