"""The shipped digit model on held-out handwriting, and the constrained number decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kopplingar.forms import cellsynth, datasets, digits, numbers

pytestmark = pytest.mark.timeout(120)


def test_held_out_handwritten_digits_in_comb_cells_are_read() -> None:
    evaluation = datasets.handwritten_digits("eval")
    rng = np.random.default_rng(2)
    pick = rng.choice(len(evaluation.images), size=400, replace=False)
    cells = [
        cellsynth.synth_cell(cellsynth.glyph_from_dataset(evaluation.images[i]), rng) for i in pick
    ]
    probs = digits.classify_cells(cells)
    assert probs.shape == (400, 11)
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-4)
    predicted = probs.argmax(axis=1)
    assert (predicted == evaluation.labels[pick]).mean() >= 0.92
    sure = probs.max(axis=1) >= 0.99
    assert sure.mean() > 0.4 and (predicted[sure] == evaluation.labels[pick][sure]).mean() >= 0.98


def test_held_out_digits_in_margin_crops_are_read() -> None:
    """Crops with a margin around the box: lines removed, big or off-centre digits, neighbours."""
    evaluation = datasets.handwritten_digits("eval")
    rng = np.random.default_rng(6)
    pick = rng.choice(len(evaluation.images), size=300, replace=False)
    glyphs = [cellsynth.glyph_from_dataset(evaluation.images[i]) for i in pick]
    cells = [
        cellsynth.synth_margin_cell(g, rng, (glyphs[(k + 1) % 300], None))
        for k, g in enumerate(glyphs)
    ]
    probs = digits.classify_cells(cells)
    predicted = probs.argmax(axis=1)
    assert (predicted == evaluation.labels[pick]).mean() >= 0.92
    sure = probs.max(axis=1) >= 0.99
    assert sure.mean() > 0.4 and (predicted[sure] == evaluation.labels[pick][sure]).mean() >= 0.98
    empty = [cellsynth.synth_margin_cell(None, rng, (glyphs[k], glyphs[k + 1])) for k in range(100)]
    assert (digits.classify_cells(empty).argmax(axis=1) == digits.EMPTY).mean() >= 0.9


def test_augmented_glyphs_stay_glyphs() -> None:
    train = datasets.handwritten_digits("train")
    rng = np.random.default_rng(7)
    for i in (0, 1, 2, 4000, 4001):
        glyph = cellsynth.glyph_from_dataset(train.images[i])
        for _ in range(5):
            out = cellsynth.augment_glyph(glyph, rng, semeion=train.source[i] == "semeion")
            assert out.ndim == 2 and out.shape[0] >= 4 and out.shape[1] >= 2
            assert out.min() >= 0.0 and out.max() <= 1.01 and out.max() > 0.3
    cell = cellsynth.synth_margin_cell(None, rng)
    assert cell.dtype == np.uint8 and cell.shape[0] >= 40


def test_clean_digits_are_read_with_high_probability() -> None:
    evaluation = datasets.handwritten_digits("eval")
    cells = []
    for img in evaluation.images[:100]:
        cell = np.full((60, 50), 255, np.uint8)
        glyph = (255 - img[2:26, 2:26]).astype(np.uint8)
        cell[8:56, 1:49] = np.repeat(np.repeat(glyph, 2, axis=0), 2, axis=1)
        cells.append(cell)
    predicted = digits.classify_cells(cells).argmax(axis=1)
    assert (predicted == evaluation.labels[:100]).mean() >= 0.95


def test_empty_cells_with_borders_specks_and_noise_are_empty() -> None:
    rng = np.random.default_rng(3)
    blank = np.full((60, 50), 245, np.uint8)
    bordered = blank.copy()
    bordered[:, :3] = 20  # left box border
    bordered[-2:, :] = 40  # bottom border
    noisy = np.clip(blank + rng.normal(0, 8, blank.shape), 0, 255).astype(np.uint8)
    speck = blank.copy()
    speck[30:32, 20:22] = 60
    synthetic = [cellsynth.synth_cell(None, rng) for _ in range(300)]
    probs = digits.classify_cells([blank, bordered, noisy, speck, *synthetic])
    assert (probs[:4, digits.EMPTY] > 0.95).all()
    assert (probs[4:].argmax(axis=1) == digits.EMPTY).mean() >= 0.97


def test_printed_digits_are_read() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 10, 200)
    cells = [cellsynth.synth_cell(cellsynth.glyph_printed(int(d), rng), rng) for d in labels]
    assert (digits.classify_cells(cells).argmax(axis=1) == labels).mean() >= 0.95


def test_an_ensemble_file_averages_its_networks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(8)
    evaluation = datasets.handwritten_digits("eval")
    cells = [
        cellsynth.synth_cell(cellsynth.glyph_from_dataset(evaluation.images[i]), rng)
        for i in range(30)
    ]
    first = dict(digits._members()[0])
    biased = {**first, "fc2_b": first["fc2_b"] + np.eye(digits.N_CLASSES)[3] * 4.0}
    path = tmp_path / "two.npz"
    np.savez_compressed(path, **digits.combine_models([first, biased]))
    images, scalars, has_ink = digits.prepare_batch(cells)
    expected = np.zeros((len(cells), digits.N_CLASSES))
    for wts in (first, biased):
        z = digits.logits(images, scalars, wts) / float(wts["temperature"][0])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        expected += e / e.sum(axis=1, keepdims=True) / 2
    expected[~has_ink] = np.eye(digits.N_CLASSES)[digits.EMPTY]
    monkeypatch.setattr(digits, "MODEL_PATH", path)
    digits._members.cache_clear()
    try:
        assert len(digits._members()) == 2
        probs = digits.classify_cells(cells)
    finally:
        monkeypatch.undo()
        digits._members.cache_clear()
    assert np.allclose(probs, expected, atol=1e-5)
    first_alone = digits.classify_cells(cells)
    assert (probs[has_ink, 3] > first_alone[has_ink, 3]).all()


def _confident(value: str, p: float = 0.98) -> np.ndarray:
    probs = np.full((len(value), 11), (1 - p) / 10)
    for i, ch in enumerate(value):
        probs[i, digits.EMPTY if ch == "_" else int(ch)] = p
    return probs


def test_luhn() -> None:
    assert numbers.luhn_ok("5560360793")  # a published org number (SAAB AB)
    assert numbers.luhn_ok("2120000142")
    assert not numbers.luhn_ok("5560360794")
    assert not numbers.luhn_ok("556036079")


def test_a_clear_valid_org_number_is_read_with_high_confidence() -> None:
    reading = numbers.best_org_number(_confident("5560360793"))
    assert reading.value == "5560360793" and reading.luhn_ok and reading.confidence > 0.95


def test_luhn_fixes_an_uncertain_digit() -> None:
    probs = _confident("5560360793")
    probs[3] = 0.0
    probs[3, 8] = 0.55  # the classifier prefers 8 ...
    probs[3, 0] = 0.40  # ... but only 0 gives a valid number
    probs[3, digits.EMPTY] = 0.05
    reading = numbers.best_org_number(probs)
    assert numbers.raw_reading(probs) == "5568360793"
    assert reading.value == "5560360793" and reading.confidence > 0.9


def test_confidence_drops_when_no_valid_reading_fits() -> None:
    reading = numbers.best_org_number(_confident("5560360794", p=0.995))
    assert reading.value is not None and numbers.luhn_ok(reading.value)
    assert reading.confidence < 0.5


def _heap_luhn_beam(p: np.ndarray, keep: int) -> list[tuple[float, str]]:
    """The plain beam the vectorised one replaced: one heap per residue of the Luhn sum."""
    import heapq

    logp = np.log(p).tolist()
    beams: dict[int, list[tuple[float, str]]] = {0: [(0.0, "")]}
    for i in range(10):
        new: dict[int, list[tuple[float, str]]] = {}
        for residue, entries in beams.items():
            for d in range(10):
                add = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][d] if i % 2 == 0 else d
                new.setdefault((residue + add) % 10, []).extend(
                    (s + logp[i][d], text + str(d)) for s, text in entries
                )
        beams = {r: heapq.nlargest(keep, b) for r, b in new.items()}
    return beams.get(0, [])


@pytest.mark.parametrize("seed", range(40))
def test_the_org_number_beam_ranks_exactly_as_a_plain_heap_beam(seed: int) -> None:
    """Same strings, same order (ties to the larger string), same scores, down to the bit."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(digits.N_CLASSES, [0.05, 0.3, 2.0][seed % 3]), size=10)
    if seed % 4 == 0:
        p[:, :10] = np.round(p[:, :10], 1) + 1e-3  # many exact ties
    p = p / p.sum(axis=1, keepdims=True)
    reading = numbers.best_org_number(p)
    p_clipped = np.clip(p, 1e-12, None)
    p_clipped = p_clipped / p_clipped.sum(axis=1, keepdims=True)
    expected = _heap_luhn_beam(p_clipped, 8)
    got = [(reading.value, reading.confidence), *reading.alternatives]
    assert [text for text, _ in got] == [text for _, text in expected]
    ratios = [conf / np.exp(score) for (_, conf), (score, _) in zip(got, expected, strict=True)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-12)  # one normaliser for all


def test_org_number_needs_ten_cells() -> None:
    assert numbers.best_org_number(_confident("556036079")).value is None


def test_subscription_number_of_variable_length() -> None:
    reading = numbers.best_digits(_confident("123456__", p=0.995), (4, 8))
    assert reading.value == "123456" and reading.confidence > 0.9
    shifted = numbers.best_digits(_confident("__123456"), (4, 8))
    assert shifted.value == "123456"
    gap = numbers.best_digits(_confident("123_456_"), (4, 8))
    assert gap.confidence < 0.5  # a gap inside the number is not a valid way to write it


def test_digit_cells_feed_the_org_number_decoder() -> None:
    rng = np.random.default_rng(5)
    value = "5560360793"
    cells = [cellsynth.synth_cell(cellsynth.glyph_printed(int(ch), rng), rng) for ch in value]
    reading = numbers.best_org_number(digits.classify_cells(cells))
    assert reading.value == value and reading.confidence > 0.9


def test_a_stroke_near_the_edge_of_a_line_free_cell_is_kept() -> None:
    """A "1" written at the left edge of a box: in a raw crop it looks like the box border, in a
    cell whose lines ``combs`` already removed it is the digit."""
    import cv2

    cell = np.full((71, 55), 250, np.uint8)
    cv2.line(cell, (4, 10), (4, 60), 20, 3)
    assert not digits.prepare_cell(cell).has_ink
    kept = digits.prepare_cell(cell, lines_removed=True)
    assert kept.has_ink and kept.scalars[1] > 0.6  # the whole stroke's height


def test_networks_run_with_one_blas_thread() -> None:
    """Extra BLAS threads spin on the core of the other worker; the first network run stops that."""
    from threadpoolctl import threadpool_info

    cell = np.full((40, 40), 255, np.uint8)
    cell[8:32, 18:22] = 0  # a "1": a cell with ink, so the network runs (a blank one skips it)
    digits.classify_cells([cell])
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas, "numpy's BLAS was not found"
    assert all(pool["num_threads"] == 1 for pool in blas), [
        (p["filepath"], p["num_threads"]) for p in blas
    ]


def _plain_runs(logp: list[list[float]], start: int, longest: int, keep: int) -> list:
    """The plain beam the pruned one replaced: every (string, digit) pair ranked."""
    import heapq

    beams: list[tuple[float, str]] = [(0.0, "")]
    out = []
    for i in range(start, start + longest):
        pairs = [(s + v, t + str(d)) for s, t in beams for d, v in enumerate(logp[i][:10])]
        beams = heapq.nlargest(keep, pairs)
        out.append(beams)
    return out


@pytest.mark.parametrize("seed", range(60))
def test_the_pruned_digit_run_beam_equals_ranking_every_pair(seed: int) -> None:
    """Same strings, same order (ties to the larger string), same scores, down to the bit,
    also where many digits share one probability (ties force the full ranking)."""
    rng = np.random.default_rng(1000 + seed)
    p = rng.dirichlet(np.full(digits.N_CLASSES, [0.05, 0.3, 2.0][seed % 3]), size=8)
    if seed % 4 == 0:
        p[:, :10] = np.round(p[:, :10], 1) + 1e-3  # many exact ties
    if seed % 5 == 0:
        p[:, :10] = 0.05  # every digit alike
    logp = np.log(numbers._as_probs(p)).tolist()
    keep = [8, 3, 12][seed % 3]
    for start in (0, 2):
        assert numbers._k_best_runs(logp, start, 8 - start, keep) == _plain_runs(
            logp, start, 8 - start, keep
        )
