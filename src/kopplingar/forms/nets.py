"""The few layers our small CNNs need, in numpy: the networks are trained with torch by scripts
in ``scripts/`` and run here, so the service needs no torch at runtime. Channels last (NHWC);
batch-norm is folded into the convolutions when a model is exported."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from threadpoolctl import threadpool_limits

from kopplingar.forms.opencv import cv2_module


@lru_cache(maxsize=1)
def _one_blas_thread() -> None:
    """Limit numpy's BLAS to one thread, once per process, before the first network runs.

    Our matrices are small: extra BLAS threads bring no speed, but they spin on the other core,
    which belongs to the other worker (80 dev documents: 30.7 CPU-s against 16.5 with one thread,
    the same wall time). threadpoolctl finds the BLAS numpy actually loaded, whatever the import
    order, where an environment variable only works if set before numpy is imported. OpenCV's
    wheel brings an OpenBLAS of its own, loaded with ``cv2``: cv2 is imported first, so that
    one is limited too, whichever module ran first in the process.
    """
    cv2_module()
    threadpool_limits(limits=1, user_api="blas")


def conv3x3_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray, *, pool: bool = False) -> np.ndarray:
    """Same-padded 3×3 convolution + ReLU, channels last: x (n, h, w, c), w (9·c, k) rows (ky, kx, c).

    ``pool``: followed by ``maxpool2``, taken before the bias and the ReLU, on a quarter of the
    values: both are monotonic and the same for every value of a channel, so the result is
    bit for bit the same as pooling after them.
    """
    _one_blas_thread()
    n, h, wd, c = x.shape
    padded = np.zeros((n, h + 2, wd + 2, c), np.float32)
    padded[:, 1:-1, 1:-1] = x
    s = padded.strides
    # the 3×3 neighbourhoods as a view (no copy until the one reshape): rows (ky, kx, c)
    windows = np.lib.stride_tricks.as_strided(
        padded, (n, h, wd, 3, 3, c), (s[0], s[1], s[2], s[1], s[2], s[3]), writeable=False
    )
    out = (windows.reshape(n * h * wd, 9 * c) @ w).reshape(n, h, wd, w.shape[1])
    if pool:
        out = maxpool2(out)
    out += b
    np.maximum(out, 0, out=out)
    return np.asarray(out)


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
