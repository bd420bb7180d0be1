"""Histogram percentiles are numpy's percentiles, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from kopplingar.forms import graylevels

QS = (0, 1, 25, 50, 90, 95, 99, 99.5, 100)


@pytest.mark.parametrize("seed", range(40))
def test_percentiles_of_uint8_crops_equal_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 3, 7, 50, 999, 4096, 30_001]))
    kind = seed % 4
    if kind == 0:  # paper with a little ink: long runs of one level
        values = np.where(rng.random(n) < 0.1, rng.integers(0, 120, n), rng.integers(240, 256, n))
    elif kind == 1:  # two levels only: interpolation between different neighbours
        values = rng.choice([0, 255], n)
    elif kind == 2:
        values = rng.integers(0, 256, n)
    else:
        values = np.full(n, int(rng.integers(256)))
    crop = values.astype(np.uint8).reshape(1, n)
    for q in QS:
        assert graylevels.percentile(crop, q) == float(np.percentile(crop, q)), (n, kind, q)
    assert graylevels.percentiles(crop, *QS) == tuple(float(np.percentile(crop, q)) for q in QS)


def test_a_non_contiguous_view_and_other_dtypes_are_read_too() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (60, 80)).astype(np.uint8)
    view = image[5:50:2, 7:70:3]
    assert graylevels.percentile(view, 90) == float(np.percentile(view, 90))
    floats = image.astype(np.float32) / 3
    assert graylevels.percentile(floats, 50) == float(np.percentile(floats, 50))


@pytest.mark.parametrize("shape", [(1, 1), (1, 30_001), (97, 1411), (40, 60, 3), (5000,)], ids=str)
def test_the_histogram_counts_every_level_exactly(shape: tuple[int, ...]) -> None:
    """OpenCV's histogram for 2-D crops, numpy's otherwise: the same integer counts."""
    rng = np.random.default_rng(len(shape) * 1000 + shape[0])
    image = rng.integers(0, 256, shape).astype(np.uint8)
    expected = np.bincount(image.ravel(), minlength=256)
    counts = graylevels.histogram(image)
    assert counts.dtype == np.int64 and np.array_equal(counts, expected)
    if image.ndim == 2 and image.shape[1] > 2:
        view = image[:, 1:-1:2]  # not contiguous
        assert np.array_equal(graylevels.histogram(view), np.bincount(view.ravel(), minlength=256))
