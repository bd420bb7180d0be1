"""The few layers our small CNNs need, in numpy: the networks are trained with torch by scripts
in ``scripts/`` and run here, so the service needs no torch at runtime. Channels last (NHWC);
batch-norm is folded into the convolutions when a model is exported."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from threadpoolctl import threadpool_limits


@lru_cache(maxsize=1)
def _one_blas_thread() -> None:
    """Limit numpy's BLAS to one thread, once per process, before the first network runs.

    Our matrices are small: extra BLAS threads bring no speed, but they spin on the other core,
    which belongs to the other worker (80 dev documents: 30.7 CPU-s against 16.5 with one thread,
    the same wall time). threadpoolctl finds the BLAS numpy actually loaded, whatever the import
    order, where an environment variable only works if set before numpy is imported.
    """
    threadpool_limits(limits=1, user_api="blas")


def _shifts(size: int) -> list[tuple[slice, slice]]:
    """(output, input) slices along one axis for the kernel offsets -1, 0, +1 of a same-padded conv."""
    return [
        (slice(1, size), slice(0, size - 1)),
        (slice(0, size), slice(0, size)),
        (slice(0, size - 1), slice(1, size)),
    ]


def conv3x3_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same-padded 3×3 convolution + ReLU, channels last: x (n, h, w, c), w (9·c, k) rows (ky, kx, c)."""
    _one_blas_thread()
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
