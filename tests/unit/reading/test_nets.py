"""The numpy layers our networks run on, against plain loops over the definition."""

from __future__ import annotations

import numpy as np
import pytest

from kopplingar.forms import nets


def _conv_by_definition(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same-padded 3×3 convolution + ReLU, one kernel offset at a time (rows of w: ky, kx, c)."""
    n, h, wd, c = x.shape
    padded = np.zeros((n, h + 2, wd + 2, c), np.float64)
    padded[:, 1:-1, 1:-1] = x
    out = np.zeros((n, h, wd, w.shape[1]), np.float64)
    for ky in range(3):
        for kx in range(3):
            rows = w[(ky * 3 + kx) * c : (ky * 3 + kx + 1) * c].astype(np.float64)
            out += padded[:, ky : ky + h, kx : kx + wd] @ rows
    return np.maximum(out + b, 0)


@pytest.mark.parametrize(("h", "wd", "c", "k"), [(7, 7, 1, 4), (6, 9, 3, 5), (5, 4, 8, 2)])
def test_convolution_matches_its_definition(h: int, wd: int, c: int, k: int) -> None:
    rng = np.random.default_rng(h * 100 + c)
    x = rng.normal(size=(2, h, wd, c)).astype(np.float32)
    w = rng.normal(size=(9 * c, k)).astype(np.float32)
    b = rng.normal(size=k).astype(np.float32)
    got = nets.conv3x3_relu(x, w, b)
    assert got.shape == (2, h, wd, k) and got.dtype == np.float32
    np.testing.assert_allclose(got, _conv_by_definition(x, w, b), rtol=1e-4, atol=1e-4)


def test_pooling_inside_the_convolution_is_bit_for_bit_pooling_after_it() -> None:
    """Pooling before the bias and ReLU (a quarter of the work) must not change one bit."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 9, 8, 4)).astype(np.float32)  # odd height: the last row is dropped
    w = rng.normal(size=(36, 6)).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    after = nets.maxpool2(nets.conv3x3_relu(x, w, b))
    inside = nets.conv3x3_relu(x, w, b, pool=True)
    assert inside.shape == (3, 4, 4, 6)
    assert np.array_equal(inside, after)
