"""Connected components through ``opencv.components``: 16-bit labels where they cannot overflow."""

from __future__ import annotations

import numpy as np

from kopplingar.forms.opencv import components, cv2_module


def _reference(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    n, labels, stats, centroids = cv2_module().connectedComponentsWithStats(mask, connectivity=8)
    return n, labels, stats, centroids


def test_small_masks_get_16_bit_labels_equal_to_32_bit_ones() -> None:
    rng = np.random.default_rng(5)
    mask = (rng.random((120, 700)) < 0.3).astype(np.uint8)  # noise: thousands of components
    n, labels, stats, centroids = components(mask)
    n32, labels32, stats32, centroids32 = _reference(mask)
    assert labels.dtype == np.uint16
    assert n == n32 > 1000
    assert np.array_equal(labels, labels32)
    assert np.array_equal(stats, stats32) and np.allclose(centroids, centroids32)


def test_a_mask_that_could_overflow_16_bits_gets_32_bit_labels() -> None:
    mask = np.zeros((600, 600), np.uint8)
    mask[::2, ::2] = 1  # 90,000 single-pixel components: more than 16 bits can count
    n, labels, _, _ = components(mask)
    assert labels.dtype == np.int32
    assert n == 90_001 and int(labels.max()) == 90_000
