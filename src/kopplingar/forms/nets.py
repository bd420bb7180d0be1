"""The few layers our small CNNs need, in numpy: the networks are trained with torch by scripts
in ``scripts/`` and run here, so the service needs no torch at runtime. Channels last (NHWC);
batch-norm is folded into the convolutions when a model is exported."""

from __future__ import annotations

import numpy as np


def _shifts(size: int) -> list[tuple[slice, slice]]:
    """(output, input) slices along one axis for the kernel offsets -1, 0, +1 of a same-padded conv."""
    return [
        (slice(1, size), slice(0, size - 1)),
        (slice(0, size), slice(0, size)),
        (slice(0, size - 1), slice(1, size)),
    ]


def conv3x3_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same-padded 3×3 convolution + ReLU, channels last: x (n, h, w, c), w (9·c, k) rows (ky, kx, c)."""
    n, h, wd, c = x.shape
    cols = np.zeros((n, h, wd, 9, c), np.float32)
    k = 0
    for out_y, in_y in _shifts(h):
        for out_x, in_x in _shifts(wd):
            cols[:, out_y, out_x, k] = x[:, in_y, in_x]
            k += 1
    out = cols.reshape(n * h * wd, 9 * c) @ w
    out += b
    np.maximum(out, 0, out=out)
    return np.asarray(out.reshape(n, h, wd, w.shape[1]))


def maxpool2(x: np.ndarray) -> np.ndarray:
    """2×2 max pooling, channels last; an odd last row or column is dropped (like torch)."""
    h, w = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    x = x[:, :h, :w]
    return np.asarray(
        np.maximum(
            np.maximum(x[:, 0::2, 0::2], x[:, 1::2, 0::2]),
            np.maximum(x[:, 0::2, 1::2], x[:, 1::2, 1::2]),
        )
    )
