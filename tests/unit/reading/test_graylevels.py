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
